/**
 * Turns the Prometheus answers into per-track measurements: three queries
 * per metric source (requests, 5xx, p99), each summed by `version`, then the
 * sources combined per track (analysis.ts).
 */
import {
  combineSources,
  type MetricSource,
  type SourceFigures,
  type Track,
  type TrackMeasurement,
} from "./analysis.js";
import type { PrometheusClient, VectorSample } from "./prometheus.js";
import { sourceQueries } from "./queries.js";

const TRACKS: readonly Track[] = ["v1", "v2"];

function byTrack(samples: readonly VectorSample[]): Partial<Record<Track, number>> {
  const values: Partial<Record<Track, number>> = {};
  for (const s of samples) {
    const version = s.labels.version;
    if ((version === "v1" || version === "v2") && Number.isFinite(s.value))
      values[version] = s.value;
  }
  return values;
}

/** Measures both tracks over the `windowMs` ending at `endMs`. */
export async function measureTracks(
  prometheus: PrometheusClient,
  sources: readonly MetricSource[],
  namespace: string,
  windowMs: number,
  endMs: number,
): Promise<Record<Track, TrackMeasurement>> {
  const perTrack: Record<Track, Partial<Record<MetricSource, SourceFigures>>> = { v1: {}, v2: {} };
  for (const source of sources) {
    const q = sourceQueries(source, namespace, windowMs / 1000);
    const [requests, errors, p99] = await Promise.all([
      prometheus.query(q.requests, endMs).then(byTrack),
      prometheus.query(q.errors, endMs).then(byTrack),
      prometheus.query(q.p99Seconds, endMs).then(byTrack),
    ]);
    for (const t of TRACKS) {
      perTrack[t][source] = {
        requests: requests[t] ?? 0,
        errors: errors[t] ?? 0,
        p99Seconds: p99[t] ?? null,
      };
    }
  }
  return { v1: combineSources(perTrack.v1), v2: combineSources(perTrack.v2) };
}
