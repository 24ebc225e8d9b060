/**
 * The API's public HTTP routing table for the ingress gateway: which paths
 * are published, and which track answers them. Pure: same weights in, same
 * routes out.
 */
import type {
  VirtualServiceSpecHttp,
  VirtualServiceSpecHttpMatch,
} from "../../imports/networking.istio.io.js";
import { API_NAME, API_SERVICE_PORT, serviceFqdn, TRACKS, type Track } from "./labels.js";

/** Header that pins a request to one track, e.g. `x-version: v1` (lowercase, as Envoy sees it). */
export const TRACK_HEADER = "x-version";

/** Share of traffic per track, in percent (validated to sum to 100 by the chart config). */
export type TrackWeights = Readonly<Record<Track, number>>;

/** One published path: an exact path or a path prefix (Envoy matches paths without the query). */
export type PathMatch = { readonly exact: string } | { readonly prefix: string };

/**
 * What the ingress gateway publishes: the user API, liveness, the service
 * info, the OpenAPI document and Swagger UI (its page loads its CSS and JS
 * from `/docs/assets/...`, hence the `/docs/` prefix). Not published:
 * `/ready`, `/serving` (probes) and `/metrics` (Prometheus scrapes it through
 * Istio's agent), which the gateway answers with a 404 of its own.
 */
export const PUBLIC_PATHS: readonly PathMatch[] = Object.freeze([
  { exact: "/" },
  { exact: "/health" },
  { exact: "/user" },
  { prefix: "/user/" },
  { exact: "/openapi.json" },
  { exact: "/docs" },
  { prefix: "/docs/" },
]);

/**
 * The same paths in AuthorizationPolicy syntax (`/user/*` is a prefix match),
 * so the API's sidecar refuses from the gateway what the gateway does not route.
 */
export function authorizationPaths(paths: readonly PathMatch[] = PUBLIC_PATHS): string[] {
  return paths.map((path) => ("exact" in path ? path.exact : `${path.prefix}*`));
}

/** True for the user API's paths (AuthorizationPolicy syntax), which need a token. */
export function isUserPath(path: string): boolean {
  return path === "/user" || path.startsWith("/user/");
}

/** Upper bound for one request through the mesh, retries included. */
export const ROUTE_TIMEOUT = "10s";

/**
 * Retries only where the request never reached the app, so a POST is never
 * replayed after the app has acted on it: connection refused, HTTP/2 refused
 * stream, and a pooled connection reset before the request was sent
 * (`reset-before-request`: the app closed an idle keep-alive connection
 * just as Envoy picked it). The timeouts in charts/lib/lifecycle.ts keep
 * that last race rare; this retry covers what is left of it.
 */
export const ROUTE_RETRIES = Object.freeze({
  attempts: 2,
  perTryTimeout: "4s",
  retryOn: "connect-failure,refused-stream,reset-before-request",
});

function destination(track: Track) {
  return {
    host: serviceFqdn(API_NAME),
    subset: track,
    port: { number: API_SERVICE_PORT },
  };
}

/** One match per published path, each with the given header conditions (ANDed by Istio). */
function pathMatches(
  headers: VirtualServiceSpecHttpMatch["headers"] | undefined,
): VirtualServiceSpecHttpMatch[] {
  return PUBLIC_PATHS.map((uri) => ({ uri: { ...uri }, ...(headers ? { headers } : {}) }));
}

/**
 * Header routes first (one per track), then the weighted split, each
 * limited to PUBLIC_PATHS; a request to any other path matches no route and
 * the gateway answers 404. A track with weight 0 is left out of the split
 * but stays reachable by header.
 */
export function httpRoutes(weights: TrackWeights): VirtualServiceSpecHttp[] {
  const total = TRACKS.reduce((sum, track) => sum + weights[track], 0);
  if (total !== 100) throw new Error(`track weights must sum to 100, got ${total}`);
  const pinned: VirtualServiceSpecHttp[] = TRACKS.map((track) => ({
    name: `pin-${track}`,
    match: pathMatches({ [TRACK_HEADER]: { exact: track } }),
    route: [{ destination: destination(track), weight: 100 }],
    timeout: ROUTE_TIMEOUT,
    retries: { ...ROUTE_RETRIES },
  }));
  const split: VirtualServiceSpecHttp = {
    name: "split",
    match: pathMatches(undefined),
    route: TRACKS.filter((track) => weights[track] > 0).map((track) => ({
      destination: destination(track),
      weight: weights[track],
    })),
    timeout: ROUTE_TIMEOUT,
    retries: { ...ROUTE_RETRIES },
  };
  return [...pinned, split];
}
