/**
 * Timing relations between the API process and the Envoy proxies around it,
 * in one place: connection reuse (who closes an idle connection first) and
 * shutdown (who stops first). Pure values and functions; the constructs
 * write them into the DestinationRule, the container env and the pod
 * template, and test/manifests-lifecycle.test.ts re-derives the relations
 * from dist/.
 */
import { Duration } from "cdk8s";

/**
 * Idle timeout of Envoy's HTTP connection pools to the API
 * (DestinationRule `connectionPool.http.idleTimeout`). Istio applies it to
 * the ingress gateway's pool to the API pods and, on each API pod, to the
 * sidecar's inbound pool to the app (the "receiver side" connection pool of
 * Istio's cluster builder). Without it Envoy keeps idle upstream
 * connections for 1 h.
 */
export const MESH_IDLE_TIMEOUT = Duration.seconds(30);

/**
 * The app's keep-alive timeout (env KEEP_ALIVE_TIMEOUT_MS): longer than
 * MESH_IDLE_TIMEOUT, so Envoy always closes an idle connection before the
 * app does and never sends a request into a connection the app is closing.
 */
export const APP_KEEP_ALIVE_TIMEOUT = Duration.seconds(65);

/**
 * The app's header timeout (env HEADERS_TIMEOUT_MS), counted from each
 * request's first byte; below the keep-alive timeout (see api/env.ts).
 */
export const APP_HEADERS_TIMEOUT = Duration.seconds(10);

/** Seconds of slack added between the steps of a shutdown. */
const SHUTDOWN_MARGIN = Duration.seconds(5);

/** How a terminating API pod stops, step by step. */
export interface ShutdownPlan {
  /** preStop sleep of the app container: endpoints and Envoy stop routing to the pod. */
  readonly preStop: Duration;
  /** The app's drain deadline after SIGTERM (env SHUTDOWN_TIMEOUT_MS). */
  readonly appDrain: Duration;
  /** The sidecar's `terminationDrainDuration`. */
  readonly proxyDrain: Duration;
  /** The pod's `terminationGracePeriodSeconds`. */
  readonly gracePeriod: Duration;
}

const seconds = (...durations: Duration[]): Duration =>
  Duration.seconds(durations.reduce((sum, d) => sum + d.toSeconds(), 0));

/**
 * Without native sidecars the proxy gets SIGTERM at once (it has no preStop)
 * while the app first sleeps through its preStop, then drains: the proxy
 * must keep serving until both are over, or the app's last responses and its
 * Redis connection die with it. With native sidecars (Kubernetes 1.33+ and
 * Istio 1.30) the proxy is stopped only after the app exited and then
 * drains, so the grace period covers preStop + app drain + proxy drain.
 */
export function shutdownPlan(preStop: Duration, appDrain: Duration): ShutdownPlan {
  const proxyDrain = seconds(preStop, appDrain, SHUTDOWN_MARGIN);
  return {
    preStop,
    appDrain,
    proxyDrain,
    gracePeriod: seconds(preStop, appDrain, proxyDrain, SHUTDOWN_MARGIN),
  };
}
