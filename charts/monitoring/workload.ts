/** Pure helpers shared by the Prometheus and Grafana constructs. */
import { createHash } from "node:crypto";
import * as kplus from "cdk8s-plus-27";

/** CPU and memory of one container, as Kubernetes quantities (`100m`, `256Mi`). */
export interface ContainerResources {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

/** The container's `resources` field. */
export function resourceRequirements(
  resources: ContainerResources,
): kplus.k8s.ResourceRequirements {
  const q = (value: string) => kplus.k8s.Quantity.fromString(value);
  return {
    requests: { cpu: q(resources.cpuRequest), memory: q(resources.memoryRequest) },
    limits: { cpu: q(resources.cpuLimit), memory: q(resources.memoryLimit) },
  };
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
