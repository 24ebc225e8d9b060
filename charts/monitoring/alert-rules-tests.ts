/**
 * `promtool test rules` unit tests for ./alert-rules.ts, as typed data. Each
 * alert gets a case where its condition holds long enough (it must fire, with
 * exact labels and rendered annotations) and cases where it must stay silent.
 * Expected annotations come from the rule's own templates with every
 * placeholder replaced by the value the case predicts, so a template that
 * reads a label the alert lacks renders `<no value>` and fails the test.
 */
import { ALERTS, type AlertRule, type RuleFile } from "./alert-rules.js";
import { API_JOB, METRICS, PROMETHEUS_JOB } from "./contract.js";
import { selector } from "./promql.js";

export interface ExpectedAlert {
  readonly exp_labels: Readonly<Record<string, string>>;
  readonly exp_annotations: Readonly<Record<string, string>>;
}

export interface AlertRuleTestCase {
  readonly eval_time: string;
  readonly alertname: string;
  readonly exp_alerts: readonly ExpectedAlert[];
}

export interface InputSeries {
  readonly series: string;
  readonly values: string;
}

export interface PromtoolTestGroup {
  readonly interval: string;
  readonly input_series: readonly InputSeries[];
  readonly alert_rule_test: readonly AlertRuleTestCase[];
}

/** A file for `promtool test rules`. */
export interface PromtoolTestFile {
  readonly rule_files: readonly string[];
  readonly evaluation_interval: string;
  readonly tests: readonly PromtoolTestGroup[];
}

const NAMESPACE = "userapi";

interface TestPod {
  readonly pod: string;
  readonly version: "v1" | "v2";
}

const podA: TestPod = { pod: "userapi-v1-7d9f-a", version: "v1" };
const podB: TestPod = { pod: "userapi-v2-5c8b-b", version: "v2" };

/** The target labels the scrape config gives an API pod's series. */
function targetLabels(p: TestPod): Record<string, string> {
  return {
    job: API_JOB,
    instance: `${p.pod}:15020`,
    namespace: NAMESPACE,
    pod: p.pod,
    app: "userapi",
    version: p.version,
  };
}

function series(
  metric: string,
  p: TestPod,
  extra: Readonly<Record<string, string>>,
  values: string,
): InputSeries {
  const labels = { ...targetLabels(p), ...extra };
  return {
    series: selector(
      metric,
      Object.entries(labels).map(([label, value]) => ({ label, value })),
    ),
    values,
  };
}

function ruleNamed(rules: RuleFile, alert: string): AlertRule {
  const rule = rules.groups.flatMap((g) => g.rules).find((r) => r.alert === alert);
  if (rule === undefined) throw new Error(`no alert rule named ${alert}`);
  return rule;
}

/**
 * The annotations `rule` should render to, given the exact output of each
 * `{{ ... }}` placeholder. Throws when a placeholder has no prediction.
 */
export function expectedAnnotations(
  rule: AlertRule,
  rendered: Readonly<Record<string, string>>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, template] of Object.entries(rule.annotations)) {
    out[key] = template.replace(/\{\{.*?\}\}/g, (placeholder) => {
      const value = rendered[placeholder];
      if (value === undefined) {
        throw new Error(`${rule.alert}.${key}: no expected value for ${placeholder}`);
      }
      return value;
    });
  }
  return out;
}

function firing(
  rule: AlertRule,
  labels: Readonly<Record<string, string>>,
  rendered: Readonly<Record<string, string>> = {},
): ExpectedAlert {
  return {
    exp_labels: { ...labels, severity: rule.labels.severity },
    exp_annotations: expectedAnnotations(rule, rendered),
  };
}

function silent(alertname: string, eval_time: string): AlertRuleTestCase {
  return { eval_time, alertname, exp_alerts: [] };
}

const USER_ROUTE = "/user/:username";

/** Unit tests for every alert in `rules`, reading the rules from `ruleFile`. */
export function alertRuleTests(rules: RuleFile, ruleFile: string): PromtoolTestFile {
  const apiDown = ruleNamed(rules, ALERTS.apiDown);
  const podDown = ruleNamed(rules, ALERTS.podDown);
  const storeDown = ruleNamed(rules, ALERTS.storeDown);
  const errorRatio = ruleNamed(rules, ALERTS.errorRatio);
  const latency = ruleNamed(rules, ALERTS.latency);
  const byNamespace = { namespace: NAMESPACE };
  const podLabels = (p: TestPod) => ({
    "{{ $labels.pod }}": p.pod,
    "{{ $labels.version }}": p.version,
    "{{ $labels.namespace }}": NAMESPACE,
  });

  const requests = (p: TestPod, route: string, status: string, values: string) =>
    series(METRICS.requests, p, { method: "GET", route, status }, values);
  const buckets = (p: TestPod, route: string, counts: Readonly<Record<string, string>>) =>
    Object.entries(counts).map(([le, values]) =>
      series(METRICS.durationBucket, p, { method: "GET", route, status: "200", le }, values),
    );

  const tests: PromtoolTestGroup[] = [
    // The only API pod stops answering: pending at 1m, firing from 2m on.
    {
      interval: "1m",
      input_series: [series("up", podA, {}, "0x10")],
      alert_rule_test: [
        silent(apiDown.alert, "1m"),
        { eval_time: "3m", alertname: apiDown.alert, exp_alerts: [firing(apiDown, byNamespace)] },
        silent(podDown.alert, "4m"),
        {
          eval_time: "6m",
          alertname: podDown.alert,
          exp_alerts: [firing(podDown, targetLabels(podA), podLabels(podA))],
        },
      ],
    },
    // One of two pods down: the service still answers, only the pod warning fires.
    {
      interval: "1m",
      input_series: [series("up", podA, {}, "0x10"), series("up", podB, {}, "1x10")],
      alert_rule_test: [
        silent(apiDown.alert, "10m"),
        {
          eval_time: "10m",
          alertname: podDown.alert,
          exp_alerts: [firing(podDown, targetLabels(podA), podLabels(podA))],
        },
      ],
    },
    // Every pod healthy.
    {
      interval: "1m",
      input_series: [series("up", podA, {}, "1x10"), series("up", podB, {}, "1x10")],
      alert_rule_test: [silent(apiDown.alert, "10m"), silent(podDown.alert, "10m")],
    },
    // No API target discovered at all (scaled to zero): only Prometheus's own target exists.
    {
      interval: "1m",
      input_series: [
        { series: selector("up", [{ label: "job", value: PROMETHEUS_JOB }]), values: "1x10" },
      ],
      alert_rule_test: [
        silent(apiDown.alert, "1m"),
        {
          eval_time: "3m",
          alertname: apiDown.alert,
          exp_alerts: [firing(apiDown, { job: API_JOB })],
        },
      ],
    },
    // Redis unreachable from every pod: pending at first, firing after 1m.
    {
      interval: "1m",
      input_series: [
        series(METRICS.storeUp, podA, {}, "0x10"),
        series(METRICS.storeUp, podB, {}, "0x10"),
      ],
      alert_rule_test: [
        silent(storeDown.alert, "0m"),
        {
          eval_time: "2m",
          alertname: storeDown.alert,
          exp_alerts: [firing(storeDown, byNamespace, { "{{ $labels.namespace }}": NAMESPACE })],
        },
      ],
    },
    // One pod still reaches Redis (a pod-local network problem, not Redis down); then both do.
    {
      interval: "1m",
      input_series: [
        series(METRICS.storeUp, podA, {}, "0x10"),
        series(METRICS.storeUp, podB, {}, "1x10"),
      ],
      alert_rule_test: [silent(storeDown.alert, "5m")],
    },
    {
      interval: "1m",
      input_series: [
        series(METRICS.storeUp, podA, {}, "1x10"),
        series(METRICS.storeUp, podB, {}, "1x10"),
      ],
      alert_rule_test: [silent(storeDown.alert, "5m")],
    },
    // 10% of user requests fail (6 of 60 per minute): silent at 3m, firing by 12m.
    {
      interval: "1m",
      input_series: [
        requests(podA, USER_ROUTE, "200", "0+54x20"),
        requests(podA, USER_ROUTE, "503", "0+6x20"),
      ],
      alert_rule_test: [
        silent(errorRatio.alert, "3m"),
        {
          eval_time: "12m",
          alertname: errorRatio.alert,
          exp_alerts: [
            firing(errorRatio, byNamespace, {
              "{{ $value | humanizePercentage }}": "10%",
              "{{ $labels.namespace }}": NAMESPACE,
            }),
          ],
        },
      ],
    },
    // 1% of user requests fail: below the threshold.
    {
      interval: "1m",
      input_series: [
        requests(podA, USER_ROUTE, "200", "0+99x20"),
        requests(podA, USER_ROUTE, "500", "0+1x20"),
      ],
      alert_rule_test: [silent(errorRatio.alert, "15m")],
    },
    // Only /ready fails (Redis briefly down): probes do not count as user errors.
    {
      interval: "1m",
      input_series: [
        requests(podA, USER_ROUTE, "200", "0+60x20"),
        requests(podA, "/ready", "503", "0+60x20"),
      ],
      alert_rule_test: [silent(errorRatio.alert, "15m")],
    },
    // Every user request takes between 0.5 s and 1 s: p99 = 0.995 s, firing after 10m.
    {
      interval: "1m",
      input_series: buckets(podA, USER_ROUTE, {
        "0.1": "0+0x20",
        "0.5": "0+0x20",
        "1": "0+60x20",
        "+Inf": "0+60x20",
      }),
      alert_rule_test: [
        silent(latency.alert, "8m"),
        {
          eval_time: "15m",
          alertname: latency.alert,
          exp_alerts: [
            firing(latency, byNamespace, {
              "{{ $value | humanizeDuration }}": "995ms",
              "{{ $labels.namespace }}": NAMESPACE,
            }),
          ],
        },
      ],
    },
    // Fast user requests, slow probes: p99 of user traffic stays under 0.1 s.
    {
      interval: "1m",
      input_series: [
        ...buckets(podA, USER_ROUTE, {
          "0.1": "0+60x20",
          "0.5": "0+60x20",
          "1": "0+60x20",
          "+Inf": "0+60x20",
        }),
        ...buckets(podA, "/ready", {
          "0.1": "0+0x20",
          "0.5": "0+0x20",
          "1": "0+0x20",
          "+Inf": "0+60x20",
        }),
      ],
      alert_rule_test: [silent(latency.alert, "15m")],
    },
  ];
  return { rule_files: [ruleFile], evaluation_interval: "1m", tests };
}
