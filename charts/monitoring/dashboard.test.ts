import { describe, expect, it } from "vitest";
import {
  type Dashboard,
  dashboardQueries,
  type Panel,
  parseLabelValuesQuery,
  userapiDashboard,
} from "./dashboard.js";
import { datasourceProvisioning } from "./grafana-provisioning.js";
import { promqlSyntaxErrors, substituteVariables } from "./promql.js";
import { toJson, toYaml } from "./render.js";
import { promtool, tempFiles } from "./testing.js";

/** Values Grafana would put in for the template variables. */
const VARIABLES = { namespace: "userapi", __rate_interval: "1m", __range: "1h" };

function panel(title: string, dashboard: Dashboard = userapiDashboard()): Panel {
  const found = dashboard.panels.find((p) => p.title === title);
  if (found === undefined) throw new Error(`no panel "${title}"`);
  return found;
}

function exprs(title: string): string[] {
  return panel(title).targets.map((t) => t.expr);
}

describe("userapiDashboard", () => {
  it("has the panels the issue asks for", () => {
    expect(userapiDashboard().panels.map((p) => p.title)).toEqual([
      "Request rate by track (v1 vs v2)",
      "Request rate by status",
      "5xx error ratio by track",
      "Latency p50 / p95 / p99",
      "Store (Redis) reachable, per pod",
      "API pods up, by track",
      "Process restarts in the time range, per pod",
    ]);
  });

  it("splits the request rate by track so the canary weights are visible", () => {
    const [expr] = exprs("Request rate by track (v1 vs v2)");
    expect(expr).toMatch(/^sum by \(version\) \(rate\(http_requests_total\{/);
    expect(panel("Request rate by track (v1 vs v2)").targets[0]?.legendFormat).toBe("{{version}}");
  });

  it("shows the 5xx ratio per track with the alert threshold", () => {
    const p = panel("5xx error ratio by track");
    expect(p.targets[0]?.expr).toContain('status=~"5.."');
    expect(p.fieldConfig.defaults.unit).toBe("percentunit");
    expect(p.fieldConfig.defaults.thresholds.steps).toContainEqual({ color: "red", value: 0.05 });
  });

  it("shows p50, p95 and p99 latency in seconds", () => {
    expect(
      exprs("Latency p50 / p95 / p99").map((e) => /^histogram_quantile\(([\d.]+),/.exec(e)?.[1]),
    ).toEqual(["0.5", "0.95", "0.99"]);
    expect(panel("Latency p50 / p95 / p99").targets.map((t) => t.legendFormat)).toEqual([
      "p50",
      "p95",
      "p99",
    ]);
    expect(panel("Latency p50 / p95 / p99").fieldConfig.defaults.unit).toBe("s");
  });

  it("shows store availability from userapi_store_up as UP/DOWN", () => {
    const p = panel("Store (Redis) reachable, per pod");
    expect(p.type).toBe("stat");
    expect(p.targets[0]?.expr).toBe(
      'min by (pod) (userapi_store_up{job="userapi",namespace="$namespace"})',
    );
    expect(p.targets[0]?.instant).toBe(true);
    expect(p.fieldConfig.defaults.mappings[0]?.options["0"]?.text).toBe("DOWN");
  });

  it("counts restarts from process start time changes over the dashboard range", () => {
    expect(exprs("Process restarts in the time range, per pod")).toEqual([
      'sum by (pod) (changes(process_start_time_seconds{job="userapi",namespace="$namespace"}[$__range]))',
    ]);
  });

  it("scopes every query to the namespace variable", () => {
    for (const q of dashboardQueries(userapiDashboard())) {
      expect(q.expr, q.panel).toContain('namespace="$namespace"');
    }
  });

  it("offers the namespaces that have API targets, defaulting to userapi", () => {
    const [variable, ...others] = userapiDashboard().templating.list;
    expect(others).toEqual([]);
    expect(variable?.name).toBe("namespace");
    expect(variable?.current.value).toBe("userapi");
    expect(parseLabelValuesQuery(variable?.query.query ?? "")).toEqual({
      match: 'up{job="userapi"}',
      label: "namespace",
    });
    expect(userapiDashboard({ defaultNamespace: "canary" }).templating.list[0]?.current.value).toBe(
      "canary",
    );
  });

  it("points every panel and target at the provisioned datasource", () => {
    const uid = datasourceProvisioning({ prometheusUrl: "http://prometheus:9090" }).datasources[0]
      ?.uid;
    for (const p of userapiDashboard().panels) {
      expect(p.datasource.uid, p.title).toBe(uid);
      for (const t of p.targets) expect(t.datasource.uid).toBe(uid);
    }
  });

  it("lays panels out on the 24-column grid without overlaps, with unique ids and refIds", () => {
    const panels = userapiDashboard().panels;
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
    }
    for (const [i, a] of panels.entries()) {
      for (const b of panels.slice(i + 1)) {
        const apart =
          a.gridPos.x + a.gridPos.w <= b.gridPos.x ||
          b.gridPos.x + b.gridPos.w <= a.gridPos.x ||
          a.gridPos.y + a.gridPos.h <= b.gridPos.y ||
          b.gridPos.y + b.gridPos.h <= a.gridPos.y;
        expect(apart, `${a.title} overlaps ${b.title}`).toBe(true);
      }
    }
  });

  it("is stable JSON: the same input gives the same bytes", () => {
    expect(toJson(userapiDashboard())).toBe(toJson(userapiDashboard()));
    expect(JSON.parse(toJson(userapiDashboard())).uid).toBe("userapi-overview");
  });
});

describe("dashboard PromQL", () => {
  const queries = dashboardQueries(userapiDashboard()).map((q) => ({
    ...q,
    expr: substituteVariables(q.expr, VARIABLES),
  }));

  it("parses with PromQL's grammar once the variables are substituted", () => {
    for (const q of queries)
      expect(promqlSyntaxErrors(q.expr), `${q.panel} ${q.refId}`).toEqual([]);
  });

  it("passes promtool's full parser and type checks (as recording rules)", () => {
    const rules = {
      groups: [
        {
          name: "dashboard",
          rules: queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr })),
        },
      ],
    };
    const files = tempFiles({ "dashboard.rules.yaml": toYaml(rules) });
    try {
      const run = promtool(["check", "rules", "dashboard.rules.yaml"], files.dir);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain(`SUCCESS: ${queries.length} rules found`);
    } finally {
      files.remove();
    }
  });
});

describe("parseLabelValuesQuery", () => {
  it("rejects anything but label_values(selector, label)", () => {
    expect(() => parseLabelValuesQuery("query_result(up)")).toThrow(/label_values/);
  });
});
