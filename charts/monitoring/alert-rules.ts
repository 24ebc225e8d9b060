/**
 * Prometheus alerting rules for userapi, as typed data. Every expression is
 * built from the metric contract in ./contract.ts; `promtool check rules` and
 * `promtool test rules` run on the YAML this produces.
 */
import { METRICS } from "./contract.js";
import { apiSeries, apiUp, errorRatio, latencyQuantile } from "./slis.js";

export type Severity = "critical" | "warning";

/** One alerting rule. */
export interface AlertRule {
  readonly alert: string;
  readonly expr: string;
  readonly for: string;
  readonly labels: { readonly severity: Severity };
  readonly annotations: { readonly summary: string; readonly description: string };
}

export interface RuleGroup {
  readonly name: string;
  readonly rules: readonly AlertRule[];
}

/** A Prometheus rule file. */
export interface RuleFile {
  readonly groups: readonly RuleGroup[];
}

export interface AlertThresholds {
  /**
   * How long every API target must be down (or none discovered) before "API down".
   * @default "2m"
   */
  readonly apiDownFor?: string;
  /**
   * How long a single API pod must fail its scrapes before the warning.
   * @default "5m"
   */
  readonly podDownFor?: string;
  /**
   * How long no API pod may reach Redis before "Redis down".
   * @default "1m"
   */
  readonly storeDownFor?: string;
  /**
   * Share of user requests answered 5xx, over a 5 minute window.
   * @default 0.05
   */
  readonly errorRatio?: number;
  /**
   * How long the error ratio must stay above the threshold.
   * @default "5m"
   */
  readonly errorRatioFor?: string;
  /**
   * p99 latency threshold of user requests, in seconds.
   * @default 0.5
   */
  readonly p99Seconds?: number;
  /**
   * How long p99 must stay above the threshold.
   * @default "10m"
   */
  readonly p99For?: string;
}

/** The thresholds the cluster runs with; the dashboard draws the same lines. */
export const DEFAULT_THRESHOLDS: Required<AlertThresholds> = {
  apiDownFor: "2m",
  podDownFor: "5m",
  storeDownFor: "1m",
  errorRatio: 0.05,
  errorRatioFor: "5m",
  p99Seconds: 0.5,
  p99For: "10m",
};

/** Alert names, exported so tests and the README refer to one spelling. */
export const ALERTS = {
  apiDown: "UserapiDown",
  podDown: "UserapiPodDown",
  storeDown: "UserapiRedisDown",
  errorRatio: "UserapiHighErrorRatio",
  latency: "UserapiHighLatencyP99",
} as const;

/** Window of the rate() in the ratio and latency alerts. */
const RATE_WINDOW = "5m";

/** The rule file: API down, API pod down, Redis down, 5xx ratio, p99 latency. */
export function alertRules(thresholds: AlertThresholds = {}): RuleFile {
  const d = DEFAULT_THRESHOLDS;
  const t: Required<AlertThresholds> = {
    apiDownFor: thresholds.apiDownFor ?? d.apiDownFor,
    podDownFor: thresholds.podDownFor ?? d.podDownFor,
    storeDownFor: thresholds.storeDownFor ?? d.storeDownFor,
    errorRatio: thresholds.errorRatio ?? d.errorRatio,
    errorRatioFor: thresholds.errorRatioFor ?? d.errorRatioFor,
    p99Seconds: thresholds.p99Seconds ?? d.p99Seconds,
    p99For: thresholds.p99For ?? d.p99For,
  };
  const up = apiUp();
  const rules: AlertRule[] = [
    {
      alert: ALERTS.apiDown,
      // `absent` covers the case where no pod is discovered at all (scaled to
      // zero, deleted): then there is no `up` series whose value could be 0.
      expr: `sum by (namespace) (${up}) == 0 or absent(${up})`,
      for: t.apiDownFor,
      labels: { severity: "critical" },
      annotations: {
        summary: "userapi is down: no API pod answers Prometheus",
        description:
          "Every userapi pod has failed its scrapes, or none is discovered, for " +
          `${t.apiDownFor}. Clients get errors from the ingress gateway. ` +
          "Check `kubectl -n userapi get pods` and the pods' logs and events.",
      },
    },
    {
      alert: ALERTS.podDown,
      expr: `${up} == 0`,
      for: t.podDownFor,
      labels: { severity: "warning" },
      annotations: {
        summary: "userapi pod {{ $labels.pod }} ({{ $labels.version }}) is not scraped",
        description:
          "Prometheus could not scrape pod {{ $labels.pod }} in namespace {{ $labels.namespace }} " +
          `(track {{ $labels.version }}) for ${t.podDownFor}; ` +
          "the other pods may still serve. Look for crash loops or a failing sidecar.",
      },
    },
    {
      alert: ALERTS.storeDown,
      // The API's own view of Redis: 0 on every pod means no pod can reach it.
      expr: `max by (namespace) (${apiSeries(METRICS.storeUp)}) == 0`,
      for: t.storeDownFor,
      labels: { severity: "critical" },
      annotations: {
        summary: "Redis is unreachable from userapi in {{ $labels.namespace }}",
        description:
          `No userapi pod in namespace {{ $labels.namespace }} has reached Redis for ${t.storeDownFor} ` +
          "(userapi_store_up is 0 on every pod). /user requests answer 503 and /ready fails. " +
          "Check the redis pod, its volume and the Redis AuthorizationPolicy.",
      },
    },
    {
      alert: ALERTS.errorRatio,
      expr: `${errorRatio(["namespace"], RATE_WINDOW)} > ${t.errorRatio}`,
      for: t.errorRatioFor,
      labels: { severity: "critical" },
      annotations: {
        summary: "userapi answers {{ $value | humanizePercentage }} of requests with 5xx",
        description:
          "{{ $value | humanizePercentage }} of user requests in namespace {{ $labels.namespace }} " +
          `got a 5xx answer over the last ${RATE_WINDOW} (threshold ${t.errorRatio * 100}%, ` +
          `sustained for ${t.errorRatioFor}; probes and scrapes excluded). ` +
          "Compare the tracks on the dashboard: a canary (v2) regression shows as one track's error ratio.",
      },
    },
    {
      alert: ALERTS.latency,
      expr: `${latencyQuantile(0.99, ["namespace"], RATE_WINDOW)} > ${t.p99Seconds}`,
      for: t.p99For,
      labels: { severity: "warning" },
      annotations: {
        summary: "userapi p99 latency is {{ $value | humanizeDuration }}",
        description:
          "The 99th percentile of user request latency in namespace {{ $labels.namespace }} " +
          `is {{ $value | humanizeDuration }} (threshold ${t.p99Seconds * 1000}ms, sustained for ` +
          `${t.p99For}; probes and scrapes excluded). Check Redis latency and pod CPU throttling.`,
      },
    },
  ];
  return { groups: [{ name: "userapi", rules }] };
}

/** Every alert expression in a rule file, for syntax checks and live evaluation. */
export function alertExpressions(file: RuleFile): { alert: string; expr: string }[] {
  return file.groups.flatMap((g) => g.rules.map((r) => ({ alert: r.alert, expr: r.expr })));
}
