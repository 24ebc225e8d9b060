/**
 * The API's HTTP routing table, built once and used by both VirtualServices
 * (ingress gateway and mesh). Pure: same weights in, same routes out.
 */
import type { VirtualServiceSpecHttp } from "../../imports/networking.istio.io.js";
import { API_NAME, API_SERVICE_PORT, serviceFqdn, TRACKS, type Track } from "./labels.js";

/** Header that pins a request to one track, e.g. `x-version: v1` (lowercase, as Envoy sees it). */
export const TRACK_HEADER = "x-version";

/** Share of traffic per track, in percent (validated to sum to 100 by the chart config). */
export type TrackWeights = Readonly<Record<Track, number>>;

/** Upper bound for one request through the mesh, retries included. */
export const ROUTE_TIMEOUT = "10s";

/**
 * Retries only where the request never reached the app (connection refused or
 * reset before a response, HTTP/2 refused stream), so a POST is never
 * replayed after the app has acted on it.
 */
export const ROUTE_RETRIES = Object.freeze({
  attempts: 2,
  perTryTimeout: "4s",
  retryOn: "connect-failure,refused-stream",
});

function destination(track: Track) {
  return {
    host: serviceFqdn(API_NAME),
    subset: track,
    port: { number: API_SERVICE_PORT },
  };
}

/**
 * Header routes first (one per track), then the weighted split; a track
 * with weight 0 is left out of the split but stays reachable by header.
 */
export function httpRoutes(weights: TrackWeights): VirtualServiceSpecHttp[] {
  const total = TRACKS.reduce((sum, track) => sum + weights[track], 0);
  if (total !== 100) throw new Error(`track weights must sum to 100, got ${total}`);
  const pinned: VirtualServiceSpecHttp[] = TRACKS.map((track) => ({
    name: `pin-${track}`,
    match: [{ headers: { [TRACK_HEADER]: { exact: track } } }],
    route: [{ destination: destination(track), weight: 100 }],
    timeout: ROUTE_TIMEOUT,
    retries: { ...ROUTE_RETRIES },
  }));
  const split: VirtualServiceSpecHttp = {
    name: "split",
    route: TRACKS.filter((track) => weights[track] > 0).map((track) => ({
      destination: destination(track),
      weight: weights[track],
    })),
    timeout: ROUTE_TIMEOUT,
    retries: { ...ROUTE_RETRIES },
  };
  return [...pinned, split];
}
