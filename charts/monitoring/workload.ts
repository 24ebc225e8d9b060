/** Pure helpers shared by the Prometheus and Grafana constructs. */
import { createHash } from "node:crypto";
import type * as kplus from "cdk8s-plus-27";
import { canonicalResources } from "../lib/quantities.js";

/** CPU and memory of one container, as Kubernetes quantities (`100m`, `256Mi`). */
export interface ContainerResources {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

/** The container's `resources` field, in the server's canonical quantity forms. */
export function resourceRequirements(
  resources: ContainerResources,
): kplus.k8s.ResourceRequirements {
  return canonicalResources(resources);
}

/**
 * Short content hash for a pod template annotation: a ConfigMap change alone
 * does not restart the pods that mount it, a changed annotation does.
 */
export function contentChecksum(...contents: readonly string[]): string {
  const hash = createHash("sha256");
  for (const content of contents) hash.update(content).update("\0");
  return hash.digest("hex").slice(0, 16);
}
