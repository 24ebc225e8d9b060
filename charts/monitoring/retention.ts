/**
 * Prometheus's size-based retention against its volume's size limit. The
 * data lives on an emptyDir with a `sizeLimit`: when the TSDB outgrows it the
 * kubelet evicts the pod and every sample is gone, so Prometheus must delete
 * old blocks well before that. `--storage.tsdb.retention.size` counts blocks,
 * the WAL and the head chunks; compaction writes a new block before it
 * removes the old ones, hence the headroom.
 */
import { parseMemoryBytes } from "../lib/quantities.js";

/** Share of the volume Prometheus may fill before it deletes its oldest blocks. */
export const RETENTION_SHARE = 0.75;

const PROMETHEUS_UNITS: Readonly<Record<string, number>> = {
  B: 1,
  KB: 2 ** 10,
  MB: 2 ** 20,
  GB: 2 ** 30,
  TB: 2 ** 40,
};

/** Bytes of a Prometheus size flag value such as `1536MB` (powers of 2, as Prometheus reads it). */
export function parsePrometheusBytes(size: string): number {
  const match = /^(\d+)(B|KB|MB|GB|TB)$/.exec(size);
  const unit = match?.[2] === undefined ? undefined : PROMETHEUS_UNITS[match[2]];
  if (match?.[1] === undefined || unit === undefined) {
    throw new Error(`not a Prometheus size (e.g. 1536MB): ${size}`);
  }
  return Number(match[1]) * unit;
}

/** `--storage.tsdb.retention.size` for a volume of `sizeLimit` (a Kubernetes quantity such as `2Gi`). */
export function retentionSizeFor(sizeLimit: string): string {
  const mebibytes = Math.floor((parseMemoryBytes(sizeLimit) * RETENTION_SHARE) / 2 ** 20);
  if (mebibytes < 1) throw new Error(`volume too small for Prometheus: ${sizeLimit}`);
  return `${mebibytes}MB`;
}
