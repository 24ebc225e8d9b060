/**
 * The few Kubernetes quantity forms the chart config accepts (CPU `100m` or
 * `0.5`, memory `128Mi`/`1Gi`), parsed to numbers for comparisons and
 * written back in the API server's canonical form.
 */
import { k8s } from "cdk8s-plus-27";

/** Millicores of a CPU quantity such as `250m` or `0.5`. */
export function parseCpuMillis(quantity: string): number {
  if (/^\d+m$/.test(quantity)) return Number(quantity.slice(0, -1));
  if (/^\d+(?:\.\d+)?$/.test(quantity)) return Math.round(Number(quantity) * 1000);
  throw new Error(`not a CPU quantity: ${quantity}`);
}

const BINARY_UNITS: Readonly<Record<string, number>> = { Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** Bytes of a binary-suffixed quantity such as `128Mi`, `1Gi` or `2Ti`. */
export function parseMemoryBytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi|Ti)$/.exec(quantity);
  const unit = match?.[2] === undefined ? undefined : BINARY_UNITS[match[2]];
  if (match?.[1] === undefined || unit === undefined) {
    throw new Error(`not a memory quantity: ${quantity}`);
  }
  return Number(match[1]) * unit;
}

/**
 * A CPU quantity in the form the API server stores and returns (`500m`,
 * `1`, `1500m`): whole cores without a suffix, anything else in millicores.
 * Writing it any other way (`0.5`, `1000m`) makes every `kubectl apply`
 * report a change that the server then normalizes away again.
 */
export function canonicalCpu(quantity: string): string {
  const millis = parseCpuMillis(quantity);
  return millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`;
}

/** A binary-suffixed quantity in canonical form: the largest exact suffix (`1Gi`, not `1024Mi`). */
export function canonicalBytes(quantity: string): string {
  const bytes = parseMemoryBytes(quantity);
  for (const unit of ["Ti", "Gi", "Mi"] as const) {
    const size = BINARY_UNITS[unit] as number;
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  throw new Error(`not a whole number of Mi: ${quantity}`);
}

/** CPU and memory requests and limits, as the chart config holds them. */
export interface ResourceQuantities {
  readonly cpuRequest: string;
  readonly cpuLimit: string;
  readonly memoryRequest: string;
  readonly memoryLimit: string;
}

/** A container's `resources`, every quantity canonical. */
export function canonicalResources(resources: ResourceQuantities): k8s.ResourceRequirements {
  const q = (value: string) => k8s.Quantity.fromString(value);
  return {
    requests: {
      cpu: q(canonicalCpu(resources.cpuRequest)),
      memory: q(canonicalBytes(resources.memoryRequest)),
    },
    limits: {
      cpu: q(canonicalCpu(resources.cpuLimit)),
      memory: q(canonicalBytes(resources.memoryLimit)),
    },
  };
}
