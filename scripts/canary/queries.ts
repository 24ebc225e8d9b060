/**
 * The PromQL the canary runs, per metric source, grouped by track (the
 * `version` target label: Prometheus copies it from the pod label, see
 * charts/monitoring/prometheus-config.ts). Pure string builders.
 *
 * Windows are `increase(...[<interval>])` evaluated at the end of the step's
 * interval, so each step is judged on its own traffic only.
 */
import { API_JOB, METRICS } from "../../charts/monitoring/contract.js";
import type { MetricSource } from "./analysis.js";

/** The user routes (Hono's templates, the `route` label of the app's metrics). */
export const USER_ROUTES: readonly string[] = ["/user", "/user/:username"];

/**
 * Istio's standard metrics, as the track's sidecar reports them on the
 * inbound side (`reporter="destination"`): they include requests the sidecar
 * answered itself (fault injection, RBAC), which the app never sees.
 */
export const MESH_METRICS = Object.freeze({
  requests: "istio_requests_total",
  durationBucket: "istio_request_duration_milliseconds_bucket",
});

export interface SourceQueries {
  readonly requests: string;
  readonly errors: string;
  readonly p99Seconds: string;
}

const labelValue = (value: string) => value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
const regexOf = (values: readonly string[]) =>
  values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|");

function selector(metric: string, matchers: readonly string[]): string {
  return `${metric}{${matchers.join(",")}}`;
}

/** The three queries of one source over `windowSeconds`, summed by `version`. */
export function sourceQueries(
  source: MetricSource,
  namespace: string,
  windowSeconds: number,
): SourceQueries {
  const window = `[${Math.round(windowSeconds * 1000)}ms]`;
  const scope = [`job="${labelValue(API_JOB)}"`, `namespace="${labelValue(namespace)}"`];
  const sum = (inner: string, by = "version") => `sum by (${by}) (increase(${inner}${window}))`;
  if (source === "app") {
    const user = [...scope, `route=~"${labelValue(regexOf(USER_ROUTES))}"`];
    return {
      requests: sum(selector(METRICS.requests, user)),
      errors: sum(selector(METRICS.requests, [...user, 'status=~"5.."'])),
      p99Seconds: `histogram_quantile(0.99, ${sum(selector(METRICS.durationBucket, user), "version, le")})`,
    };
  }
  const inbound = [...scope, 'reporter="destination"'];
  return {
    requests: sum(selector(MESH_METRICS.requests, inbound)),
    errors: sum(selector(MESH_METRICS.requests, [...inbound, 'response_code=~"5.."'])),
    // Istio's histogram is in milliseconds.
    p99Seconds: `histogram_quantile(0.99, ${sum(selector(MESH_METRICS.durationBucket, inbound), "version, le")}) / 1000`,
  };
}
