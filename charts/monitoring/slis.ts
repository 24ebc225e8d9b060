/**
 * The service-level queries both the alert rules and the dashboard use, so an
 * alert and the panel that explains it compute the same number. `scope` adds
 * label matchers (the dashboard's `namespace="$namespace"`); `by` picks the
 * grouping (the alerts group by namespace, the panels by track or pod).
 */
import { API_JOB, METRICS, OPERATIONAL_ROUTES } from "./contract.js";
import { anyOf, type Matcher, selector } from "./promql.js";

const job: Matcher = { label: "job", value: API_JOB };

/** Leaves out probes and scrapes (see OPERATIONAL_ROUTES). */
export const userTraffic: Matcher = { label: "route", op: "!~", value: anyOf(OPERATIONAL_ROUTES) };

function sumBy(by: readonly string[], inner: string): string {
  return `sum by (${by.join(", ")}) (${inner})`;
}

/** `up` of the API targets. */
export function apiUp(scope: readonly Matcher[] = []): string {
  return selector("up", [job, ...scope]);
}

/** A metric of the API targets. */
export function apiSeries(metric: string, scope: readonly Matcher[] = []): string {
  return selector(metric, [job, ...scope]);
}

/** User requests per second. */
export function requestRate(
  by: readonly string[],
  window: string,
  scope: readonly Matcher[] = [],
): string {
  return sumBy(by, `rate(${apiSeries(METRICS.requests, [userTraffic, ...scope])}[${window}])`);
}

/** Share of user requests answered with a 5xx status (0..1). */
export function errorRatio(
  by: readonly string[],
  window: string,
  scope: readonly Matcher[] = [],
): string {
  const errors = apiSeries(METRICS.requests, [
    userTraffic,
    { label: "status", op: "=~", value: "5.." },
    ...scope,
  ]);
  return `${sumBy(by, `rate(${errors}[${window}])`)} / ${requestRate(by, window, scope)}`;
}

/** A latency quantile of user requests, in seconds. */
export function latencyQuantile(
  quantile: number,
  by: readonly string[],
  window: string,
  scope: readonly Matcher[] = [],
): string {
  const buckets = apiSeries(METRICS.durationBucket, [userTraffic, ...scope]);
  return `histogram_quantile(${quantile}, ${sumBy([...by, "le"], `rate(${buckets}[${window}])`)})`;
}
