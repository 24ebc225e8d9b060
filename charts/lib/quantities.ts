/**
 * The few Kubernetes quantity forms the chart config accepts (CPU `100m` or
 * `0.5`, memory `128Mi`/`1Gi`), parsed to numbers for comparisons and for
 * cdk8s-plus's typed `Cpu` and `Size`.
 */
import { Size } from "cdk8s";
import { Cpu } from "cdk8s-plus-27";

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

/** cdk8s-plus CPU amount (always rendered in millicores, e.g. `500m`). */
export function cpu(quantity: string): Cpu {
  return Cpu.millis(parseCpuMillis(quantity));
}

/** cdk8s-plus memory size (rendered in Mi, e.g. `1024Mi` for `1Gi`). */
export function memory(quantity: string): Size {
  return Size.mebibytes(parseMemoryBytes(quantity) / 2 ** 20);
}
