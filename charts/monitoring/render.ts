/** Serialisation shared by the monitoring generators: stable YAML and JSON text. */
import { stringify } from "yaml";

/**
 * YAML for a config object: no line folding (PromQL stays on one line, so a
 * diff shows the whole expression) and no anchors or aliases.
 */
export function toYaml(value: unknown): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Pretty JSON with a trailing newline, as Grafana exports dashboards. */
export function toJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
