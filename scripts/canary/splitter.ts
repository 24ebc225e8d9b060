/**
 * How the canary moves traffic: one small interface, two implementations
 * (Kubernetes in kubernetes-splitter.ts; the local weighted router here).
 */
import type { Track } from "./analysis.js";

/** Percent of traffic per track; sums to 100. */
export type TrackWeights = Readonly<Record<Track, number>>;

/** All traffic on the stable track: where every abort leaves it. */
export const ALL_ON_V1: TrackWeights = Object.freeze({ v1: 100, v2: 0 });

export interface TrafficSplitter {
  /** What it drives, for the log (e.g. `kubernetes (context kind-userapi)`). */
  readonly description: string;
  /** Sets the weights; resolves once the change is accepted, rejects if it was not. */
  setWeights(weights: TrackWeights): Promise<void>;
}

/** Drives the local weighted router (router.ts) through its admin API. */
export function routerSplitter(adminUrl: string, timeoutMs = 5000): TrafficSplitter {
  return {
    description: `router at ${adminUrl}`,
    async setWeights(weights) {
      const response = await fetch(`${adminUrl}/weights`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(weights),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await response.text();
      if (!response.ok) throw new Error(`router refused the weights (${response.status}): ${body}`);
    },
  };
}
