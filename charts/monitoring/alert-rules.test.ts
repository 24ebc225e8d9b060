import { describe, expect, it } from "vitest";
import { ALERTS, type AlertRule, alertExpressions, alertRules } from "./alert-rules.js";
import { alertRuleTests, expectedAnnotations } from "./alert-rules-tests.js";
import { promqlSyntaxErrors } from "./promql.js";
import { toYaml } from "./render.js";
import { promtool, tempFiles } from "./testing.js";

function rule(name: string, file = alertRules()): AlertRule {
  const found = file.groups.flatMap((g) => g.rules).find((r) => r.alert === name);
  if (found === undefined) throw new Error(`no rule ${name}`);
  return found;
}

/** Runs `promtool test rules` on the generated tests against `rulesYaml`. */
function promtoolTestRules(rulesYaml: string) {
  const files = tempFiles({
    "userapi.rules.yaml": rulesYaml,
    "userapi.rules.test.yaml": toYaml(alertRuleTests(alertRules(), "userapi.rules.yaml")),
  });
  try {
    return promtool(["test", "rules", "userapi.rules.test.yaml"], files.dir);
  } finally {
    files.remove();
  }
}

describe("alertRules", () => {
  it("has the four alerts the issue asks for, plus a per-pod warning", () => {
    expect(alertExpressions(alertRules()).map((r) => r.alert)).toEqual([
      "UserapiDown",
      "UserapiPodDown",
      "UserapiRedisDown",
      "UserapiHighErrorRatio",
      "UserapiHighLatencyP99",
    ]);
  });

  it("gives every alert a severity, a summary and a description", () => {
    for (const r of alertRules().groups.flatMap((g) => g.rules)) {
      expect(["critical", "warning"]).toContain(r.labels.severity);
      expect(r.annotations.summary.length, r.alert).toBeGreaterThan(10);
      expect(r.annotations.description.length, r.alert).toBeGreaterThan(
        r.annotations.summary.length,
      );
    }
  });

  it("fires API down when every target is down or none exists", () => {
    const r = rule(ALERTS.apiDown);
    expect(r.expr).toBe('sum by (namespace) (up{job="userapi"}) == 0 or absent(up{job="userapi"})');
    expect(r.for).toBe("2m");
    expect(r.labels.severity).toBe("critical");
  });

  it("fires Redis down from the API's own view of the store", () => {
    const r = rule(ALERTS.storeDown);
    expect(r.expr).toBe('max by (namespace) (userapi_store_up{job="userapi"}) == 0');
    expect(r.for).toBe("1m");
  });

  it("fires on a 5xx ratio above 5% for 5 minutes, leaving probes and scrapes out", () => {
    const r = rule(ALERTS.errorRatio);
    expect(r.expr).toContain('status=~"5.."');
    expect(r.expr).toContain('route!~"/health|/ready|/serving|/metrics"');
    expect(r.expr.endsWith("> 0.05")).toBe(true);
    expect(r.for).toBe("5m");
  });

  it("fires on p99 above 500 ms for 10 minutes", () => {
    const r = rule(ALERTS.latency);
    expect(r.expr).toMatch(/^histogram_quantile\(0\.99, sum by \(namespace, le\) \(rate\(/);
    expect(r.expr.endsWith("> 0.5")).toBe(true);
    expect(r.for).toBe("10m");
  });

  it("takes its thresholds from the options", () => {
    const file = alertRules({ errorRatio: 0.1, p99Seconds: 1, p99For: "15m" });
    expect(rule(ALERTS.errorRatio, file).expr.endsWith("> 0.1")).toBe(true);
    expect(rule(ALERTS.latency, file).expr.endsWith("> 1")).toBe(true);
    expect(rule(ALERTS.latency, file).for).toBe("15m");
    expect(rule(ALERTS.latency, file).annotations.description).toContain("threshold 1000ms");
  });

  it("has expressions that PromQL's grammar parses without errors", () => {
    for (const { alert, expr } of alertExpressions(alertRules())) {
      expect(promqlSyntaxErrors(expr), alert).toEqual([]);
    }
  });
});

describe("expectedAnnotations", () => {
  it("fills every placeholder with its predicted value", () => {
    const r = rule(ALERTS.podDown);
    const out = expectedAnnotations(r, {
      "{{ $labels.pod }}": "p",
      "{{ $labels.version }}": "v1",
      "{{ $labels.namespace }}": "ns",
    });
    expect(out.summary).toBe("userapi pod p (v1) is not scraped");
    expect(out.description).not.toContain("{{");
  });

  it("throws for a placeholder it cannot predict", () => {
    expect(() => expectedAnnotations(rule(ALERTS.podDown), {})).toThrow(/\{\{ \$labels\.pod \}\}/);
  });
});

describe("promtool", () => {
  it("check rules accepts the generated rule file", () => {
    const files = tempFiles({ "userapi.rules.yaml": toYaml(alertRules()) });
    try {
      const run = promtool(["check", "rules", "userapi.rules.yaml"], files.dir);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain("SUCCESS: 5 rules found");
    } finally {
      files.remove();
    }
  });

  it("test rules: each alert fires for its condition and stays silent otherwise", () => {
    const tests = alertRuleTests(alertRules(), "userapi.rules.yaml");
    const cases = tests.tests.flatMap((g) => g.alert_rule_test);
    for (const alert of Object.values(ALERTS)) {
      const own = cases.filter((c) => c.alertname === alert);
      expect(
        own.some((c) => c.exp_alerts.length > 0),
        `${alert} fires somewhere`,
      ).toBe(true);
      expect(
        own.some((c) => c.exp_alerts.length === 0),
        `${alert} is silent somewhere`,
      ).toBe(true);
    }
    const run = promtoolTestRules(toYaml(alertRules()));
    expect(run.status, run.output).toBe(0);
    expect(run.output).toContain("SUCCESS");
  });

  it("test rules fails when a threshold drifts from what the tests expect", () => {
    const run = promtoolTestRules(toYaml(alertRules({ errorRatio: 0.2 })));
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("alertname: UserapiHighErrorRatio");
  });

  it("test rules fails when an alert loses its absent() branch", () => {
    const file = alertRules();
    const weakened = {
      groups: file.groups.map((g) => ({
        ...g,
        rules: g.rules.map((r) =>
          r.alert === ALERTS.apiDown
            ? { ...r, expr: 'sum by (namespace) (up{job="userapi"}) == 0' }
            : r,
        ),
      })),
    };
    const run = promtoolTestRules(toYaml(weakened));
    expect(run.status).not.toBe(0);
    expect(run.output).toContain("alertname: UserapiDown");
  });
});
