/**
 * Live monitoring check: a real redis-server, the real API process and a real
 * `prometheus` on loopback running the generated config (its static variant,
 * since Debian's Prometheus has no Kubernetes discovery) and the generated
 * alert rules. Sends traffic, waits for the API's metrics to arrive, then runs
 * every dashboard query and every alert expression through Prometheus's HTTP
 * API. Finally it breaks Redis and then the API, and watches the matching
 * alerts go pending, which is the course's "shut the application down and
 * see the alert" exercise, automated.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALERTS, alertExpressions, alertRules } from "../charts/monitoring/alert-rules.js";
import {
  dashboardQueries,
  parseLabelValuesQuery,
  userapiDashboard,
} from "../charts/monitoring/dashboard.js";
import {
  podDiscoveryLabels,
  prometheusConfig,
  toStaticVariant,
} from "../charts/monitoring/prometheus-config.js";
import { substituteVariables } from "../charts/monitoring/promql.js";
import { toYaml } from "../charts/monitoring/render.js";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { type PrometheusProcess, startPrometheus } from "./support/prometheus-process.js";
import { freePort, type RedisServer, startRedisServer } from "./support/redis-server.js";

/** What the dashboard's template variables resolve to here. */
const VARIABLES = { namespace: "userapi", __rate_interval: "1m", __range: "5m" };
const POD = "userapi-v1-live";
const WAIT_MS = 30_000;

interface Sample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

interface QueryResponse {
  readonly status: "success" | "error";
  readonly data?: { readonly resultType: string; readonly result: Sample[] };
  readonly errorType?: string;
  readonly error?: string;
}

/** Polls `check` every 250 ms until it returns true; fails with `what()` after `timeoutMs`. */
async function waitUntil(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: () => string,
): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (await check()) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what()}`);
}

describe("monitoring against a live Prometheus, API and Redis", () => {
  let redis: RedisServer | undefined;
  let api: ApiProcess | undefined;
  let prometheus: PrometheusProcess | undefined;

  async function instantQuery(expr: string): Promise<QueryResponse> {
    if (prometheus === undefined) throw new Error("prometheus is not running");
    const response = await fetch(`${prometheus.url}/api/v1/query`, {
      method: "POST",
      body: new URLSearchParams({ query: expr }),
    });
    return (await response.json()) as QueryResponse;
  }

  /** Result of a query that must succeed. */
  async function samples(expr: string): Promise<Sample[]> {
    const answer = await instantQuery(expr);
    expect(answer.status, `${expr}: ${answer.errorType} ${answer.error}`).toBe("success");
    return answer.data?.result ?? [];
  }

  /**
   * Waits until `expr` returns at least one sample and returns them, running
   * `meanwhile` before each try (traffic, so counters keep moving).
   */
  async function eventually(expr: string, meanwhile?: () => Promise<unknown>): Promise<Sample[]> {
    let last: Sample[] = [];
    await waitUntil(
      async () => {
        await meanwhile?.();
        last = await samples(expr);
        return last.length > 0;
      },
      WAIT_MS,
      () => `a sample for ${expr}`,
    );
    return last;
  }

  async function alertState(name: string): Promise<string | undefined> {
    if (prometheus === undefined) throw new Error("prometheus is not running");
    const body = (await (await fetch(`${prometheus.url}/api/v1/alerts`)).json()) as {
      data: { alerts: { labels: Record<string, string>; state: string }[] };
    };
    return body.data.alerts.find((a) => a.labels.alertname === name)?.state;
  }

  async function traffic(rounds: number): Promise<number[]> {
    if (api === undefined) throw new Error("api is not running");
    const base = api.baseUrl;
    const statuses: number[] = [];
    for (let i = 0; i < rounds; i++) {
      const username = `live.${process.pid}.${Date.now()}.${i}`;
      const requests: [string, RequestInit?][] = [
        [
          "/user",
          {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username, firstname: "Live", lastname: "Test" }),
          },
        ],
        [`/user/${username}`],
        ["/user/nobody-here"],
        ["/user?limit=5"],
        ["/no/such/route"],
      ];
      for (const [path, init] of requests) {
        const response = await fetch(base + path, init);
        await response.arrayBuffer();
        statuses.push(response.status);
      }
    }
    return statuses;
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    api = await startApi({
      env: { REDIS_URL: redis.url, APP_VERSION: "v1", LOG_LEVEL: "silent" },
      waitFor: null,
    });
    await waitForStatus(api, "/ready", 200, 20_000);

    const port = await freePort();
    const rules = alertRules();
    // The static target carries the labels pod discovery would attach to a
    // meshed v1 pod, so the generated relabelling runs unchanged. There is no
    // sidecar here: the target keeps the API's own address (no pod IP to
    // rewrite) and its path is overridden to the API's /metrics.
    const config = toStaticVariant(
      prometheusConfig({
        interval: "1s",
        scrapeTimeout: "1s",
        ruleFiles: ["userapi.rules.yaml"],
        selfAddress: `127.0.0.1:${port}`,
      }),
      {
        userapi: [
          {
            targets: [`127.0.0.1:${api.port}`],
            labels: {
              ...podDiscoveryLabels({
                name: POD,
                namespace: "userapi",
                phase: "Running",
                labels: { app: "userapi", version: "v1" },
                container: "istio-proxy",
                port: 15090,
              }),
              __metrics_path__: "/metrics",
            },
          },
        ],
      },
    );
    prometheus = await startPrometheus(port, toYaml(config), {
      "userapi.rules.yaml": toYaml(rules),
    });
  }, 90_000);

  afterAll(async () => {
    await Promise.allSettled([prometheus?.stop(), api?.stop(), redis?.stop()]);
  });

  it("scrapes the API and answers every dashboard query and alert expression", async () => {
    const statuses = await traffic(3);
    expect(statuses).toContain(201);
    expect(statuses).toContain(404);

    const started = performance.now();
    await eventually('http_requests_total{job="userapi"}');
    const firstSeenMs = Math.round(performance.now() - started);
    console.warn(
      `monitoring-live: http_requests_total visible in Prometheus after ${firstSeenMs} ms`,
    );

    // The relabelling turned the simulated pod labels into target labels.
    const [up] = await samples('up{job="userapi"}');
    expect(up?.metric).toMatchObject({
      namespace: "userapi",
      pod: POD,
      app: "userapi",
      version: "v1",
    });
    expect(up?.value[1]).toBe("1");

    // The namespace variable's query offers the API's namespace.
    const variable = userapiDashboard().templating.list[0];
    const { match, label } = parseLabelValuesQuery(variable?.query.query ?? "");
    const labelValues = (await (
      await fetch(
        `${prometheus?.url}/api/v1/label/${label}/values?${new URLSearchParams({ "match[]": match })}`,
      )
    ).json()) as { status: string; data: string[] };
    expect(labelValues).toEqual({ status: "success", data: ["userapi"] });

    // rate() needs two samples inside the window: keep traffic flowing until the per-track rate shows.
    await traffic(2);
    const queries = dashboardQueries(userapiDashboard()).map((q) => ({
      ...q,
      expr: substituteVariables(q.expr, VARIABLES),
    }));
    const byPanel = (title: string) => queries.filter((q) => q.panel === title);
    const [trackRate] = byPanel("Request rate by track (v1 vs v2)");
    const perTrack = await eventually(trackRate?.expr ?? "");
    expect(perTrack.map((s) => s.metric.version)).toEqual(["v1"]);
    expect(Number(perTrack[0]?.value[1])).toBeGreaterThan(0);
    for (const q of byPanel("Latency p50 / p95 / p99")) await eventually(q.expr);

    let evaluated = 0;
    for (const q of queries) {
      await samples(q.expr);
      evaluated++;
    }
    expect(evaluated).toBe(queries.length);
    const storeUp = await samples(byPanel("Store (Redis) reachable, per pod")[0]?.expr ?? "");
    expect(storeUp.map((s) => [s.metric.pod, s.value[1]])).toEqual([[POD, "1"]]);
    const podsUp = await samples(byPanel("API pods up, by track")[0]?.expr ?? "");
    expect(podsUp.map((s) => [s.metric.version, s.value[1]])).toEqual([["v1", "1"]]);
    const restarts = await samples(
      byPanel("Process restarts in the time range, per pod")[0]?.expr ?? "",
    );
    expect(restarts.map((s) => [s.metric.pod, s.value[1]])).toEqual([[POD, "0"]]);

    // A healthy service: every alert expression evaluates, and none matches.
    for (const { alert, expr } of alertExpressions(alertRules())) {
      expect(await samples(expr), alert).toEqual([]);
    }
    console.warn(
      `monitoring-live: evaluated ${queries.length} dashboard queries and ${alertExpressions(alertRules()).length} alert expressions`,
    );
  }, 120_000);

  it("sees Redis go down, raises the Redis-down and error-ratio alerts, and clears them when it is back", async () => {
    if (redis === undefined || api === undefined) throw new Error("stack is not running");
    const expr = (alert: string) =>
      alertExpressions(alertRules()).find((a) => a.alert === alert)?.expr ?? "";
    await traffic(1);
    const port = redis.port;
    await redis.stop();

    const [down] = await eventually(expr(ALERTS.storeDown));
    expect(down?.metric).toEqual({ namespace: "userapi" });
    await waitUntil(
      async () => (await alertState(ALERTS.storeDown)) !== undefined,
      WAIT_MS,
      () => `${ALERTS.storeDown} pending`,
    );
    expect(await alertState(ALERTS.storeDown)).toBe("pending");

    // With Redis gone, user requests answer 503 and the 5xx ratio crosses 5%.
    // The 503 series is new, and rate() counts only increases after a series'
    // first sample, so the traffic keeps flowing while we wait.
    const statuses = await traffic(1);
    expect(statuses).toContain(503);
    await eventually(expr(ALERTS.errorRatio), () => traffic(1));

    redis = await startRedisServer({ port });
    await waitForStatus(api, "/ready", 200, 20_000);
    await waitUntil(
      async () => (await samples(expr(ALERTS.storeDown))).length === 0,
      WAIT_MS,
      () => `${ALERTS.storeDown} expression to clear`,
    );
  }, 120_000);

  // Destructive: stops the API, so it runs last.
  it("sees the API go down and raises the API-down alert", async () => {
    if (api === undefined) throw new Error("api is not running");
    await api.stop();
    const apiDown =
      alertExpressions(alertRules()).find((a) => a.alert === ALERTS.apiDown)?.expr ?? "";
    const [down] = await eventually(apiDown);
    expect(down?.metric).toEqual({ namespace: "userapi" });
    const [up] = await samples('up{job="userapi"}');
    expect(up?.value[1]).toBe("0");
    await waitUntil(
      async () => (await alertState(ALERTS.apiDown)) === "pending",
      WAIT_MS,
      () => `${ALERTS.apiDown} pending`,
    );
  }, 120_000);
});
