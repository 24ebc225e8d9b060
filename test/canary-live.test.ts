/**
 * The canary driver end to end, with real parts: a real redis-server, two
 * real API processes (APP_VERSION v1 and v2) behind the local weighted
 * router, and a real Prometheus scraping both APIs and the router's
 * per-track proxy metrics every second (the generated scrape config, its
 * static variant, so the `version` label comes from the same relabelling as
 * in the cluster). `npm run canary` runs as its own process, with `--load`,
 * and is judged by its exit code, its output, its decision log and the
 * weights the router was left with.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  podDiscoveryLabels,
  prometheusConfig,
  type StaticConfig,
  toStaticVariant,
} from "../charts/monitoring/prometheus-config.js";
import { toYaml } from "../charts/monitoring/render.js";
import type { DecisionLog } from "../scripts/canary/rollout.js";
import { startRouter, type WeightedRouter } from "../scripts/canary/router.js";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { runCanary, runningCanaries } from "./support/canary-process.js";
import { type PrometheusProcess, startPrometheus } from "./support/prometheus-process.js";
import { freePort, type RedisServer, startRedisServer } from "./support/redis-server.js";

const TRACKS = ["v1", "v2"] as const;

interface CanaryRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly log: DecisionLog & { options: Record<string, unknown> };
  readonly elapsedMs: number;
}

describe("npm run canary against a real Prometheus, two API processes and the local router", () => {
  let redis: RedisServer | undefined;
  const apis: Partial<Record<(typeof TRACKS)[number], ApiProcess>> = {};
  let router: WeightedRouter | undefined;
  let prometheus: PrometheusProcess | undefined;
  const dir = mkdtempSync(join(tmpdir(), "userapi-canary-"));

  /** Runs the driver; `onLine` sees each stdout line as it comes. */
  async function canary(
    name: string,
    args: readonly string[],
    onLine?: (line: string) => void,
  ): Promise<CanaryRun> {
    if (router === undefined || prometheus === undefined) throw new Error("stack not running");
    const logPath = join(dir, `${name}.json`);
    const { code, stdout, stderr, elapsedMs } = await runCanary(
      [
        "--splitter",
        "router",
        "--router-url",
        router.adminUrl,
        "--prometheus-url",
        prometheus.url,
        "--scrape-interval",
        "1s",
        "--interval",
        "3s",
        "--min-requests",
        "10",
        "--max-inconclusive",
        "2",
        // Two API processes under tsx on a shared 2-core machine: one slow
        // request moves a p99 of ~25 samples by 100 ms or more. The latency
        // bounds are widened so only a real fault decides these runs.
        "--max-p99",
        "2s",
        "--p99-slack",
        "500ms",
        "--log",
        logPath,
        ...args,
      ],
      onLine,
    );
    console.warn(`canary-live ${name}: exit ${code} after ${elapsedMs} ms\n${stdout}${stderr}`);
    return { code, stdout, stderr, log: JSON.parse(readFileSync(logPath, "utf8")), elapsedMs };
  }

  beforeAll(async () => {
    redis = await startRedisServer();
    const [v1, v2] = await Promise.all(
      TRACKS.map((track) =>
        startApi({
          env: { REDIS_URL: redis?.url ?? "", APP_VERSION: track, LOG_LEVEL: "silent" },
          waitFor: null,
        }),
      ),
    );
    if (v1 === undefined || v2 === undefined) throw new Error("APIs did not start");
    apis.v1 = v1;
    apis.v2 = v2;
    await Promise.all([v1, v2].map((api) => waitForStatus(api, "/ready", 200, 30_000)));
    router = await startRouter({ upstreams: { v1: v1.baseUrl, v2: v2.baseUrl } });

    // Per track: the app's /metrics and the router's proxy metrics for that
    // track, both labelled as the track's pod would be (what Istio's metrics
    // merging serves from one port in the cluster).
    const target = (track: "v1" | "v2", address: string, path: string): StaticConfig => ({
      targets: [address],
      labels: {
        ...podDiscoveryLabels({
          name: `userapi-${track}-live`,
          namespace: "userapi",
          phase: "Running",
          labels: { app: "userapi", version: track },
          container: "istio-proxy",
          port: 15090,
        }),
        __metrics_path__: path,
      },
    });
    const adminAddress = new URL(router.adminUrl).host;
    const port = await freePort();
    const config = toStaticVariant(
      prometheusConfig({
        interval: "1s",
        scrapeTimeout: "1s",
        ruleFiles: [],
        selfAddress: `127.0.0.1:${port}`,
      }),
      {
        userapi: TRACKS.flatMap((track) => [
          target(track, `127.0.0.1:${apis[track]?.port}`, "/metrics"),
          target(track, adminAddress, `/metrics/${track}`),
        ]),
      },
    );
    prometheus = await startPrometheus(port, toYaml(config));
    // Every target scraped once before the first rollout.
    const upQuery = `${prometheus.url}/api/v1/query?query=${encodeURIComponent('sum(up{job="userapi"})')}`;
    const deadline = performance.now() + 20_000;
    for (let up = 0; up < 4; await new Promise((resolve) => setTimeout(resolve, 250))) {
      if (performance.now() > deadline) throw new Error(`only ${up} of 4 targets up after 20 s`);
      const answer = (await (await fetch(upQuery)).json()) as {
        data: { result: { value: [number, string] }[] };
      };
      up = Number(answer.data.result[0]?.value[1] ?? 0);
    }
  }, 90_000);

  afterAll(async () => {
    for (const child of runningCanaries) child.kill("SIGKILL");
    await Promise.allSettled([
      prometheus?.stop(),
      router?.stop(),
      apis.v1?.stop(),
      apis.v2?.stop(),
    ]);
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("promotes a healthy v2 step by step to 100 %", async () => {
    if (router === undefined) throw new Error("router not running");
    router.setWeights({ v1: 100, v2: 0 });
    const run = await canary("promote", ["--load", "--base-url", router.url, "--rate", "40"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.log.outcome).toBe("promoted");
    expect(run.log.steps.map((s) => [s.weights.v2, s.analysis.verdict, s.decision])).toEqual([
      [25, "pass", "next-step"],
      [50, "pass", "next-step"],
      [75, "pass", "next-step"],
      [100, "pass", "promote"],
    ]);
    expect(router.weights()).toEqual({ v1: 0, v2: 100 });
    // Both tracks were measured from both sources while they carried traffic.
    const first = run.log.steps[0];
    expect(first?.tracks.v2.sources.app?.requests).toBeGreaterThanOrEqual(10);
    expect(first?.tracks.v2.sources.mesh?.requests).toBeGreaterThanOrEqual(10);
    expect(first?.tracks.v1.requests).toBeGreaterThan(first?.tracks.v2.requests ?? 0);
    // At 100 % v1 gets nothing: the relative bounds use its last conclusive figures.
    expect(run.log.steps[3]?.analysis.reference).toBe("baseline");
    expect(run.stdout).toMatch(/^1\/4 +75\/25 +\|.*\| pass → next-step/m);
    expect(run.stdout).toContain("outcome: promoted (exit 0)");
  }, 60_000);

  it("--rollback puts all traffic back on v1 at once (the manual rollback)", async () => {
    if (router === undefined) throw new Error("router not running");
    router.setWeights({ v1: 0, v2: 100 });
    const run = await runCanary([
      "--splitter",
      "router",
      "--router-url",
      router.adminUrl,
      "--rollback",
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("weights set to v1 100 / v2 0 via router at");
    expect(router.weights()).toEqual({ v1: 100, v2: 0 });
  }, 30_000);

  it("rolls back a v2 whose proxy aborts half its requests with 503, within one step", async () => {
    if (router === undefined) throw new Error("router not running");
    router.setWeights({ v1: 100, v2: 0 });
    router.setFault("v2", { status: 503, percentage: 50 });
    try {
      const run = await canary("rollback", ["--load", "--base-url", router.url, "--rate", "40"]);
      expect(run.code, run.stderr).toBe(1);
      expect(run.log.outcome).toBe("rolled-back");
      expect(run.log.steps).toHaveLength(1);
      const [step] = run.log.steps;
      expect(step?.decision).toBe("roll-back");
      expect(step?.tracks.v2.successRatio).toBeLessThan(0.9);
      // The app never saw the aborted requests: only the proxy's view caught them.
      expect(step?.tracks.v2.sources.app?.errors).toBe(0);
      expect(step?.tracks.v2.sources.mesh?.errors).toBeGreaterThan(0);
      expect(run.log.finalWeights).toEqual({ v1: 100, v2: 0 });
      expect(router.weights()).toEqual({ v1: 100, v2: 0 });
      expect(router.history().slice(-2)).toEqual([
        { v1: 75, v2: 25 },
        { v1: 100, v2: 0 },
      ]);
    } finally {
      router.setFault("v2", undefined);
    }
  }, 60_000);

  it("never promotes without traffic: aborts after the inconclusive limit, back on v1", async () => {
    if (router === undefined) throw new Error("router not running");
    router.setWeights({ v1: 100, v2: 0 });
    const before = router.history().length;
    const run = await canary("no-traffic", []);
    expect(run.code, run.stderr).toBe(3);
    expect(run.log.outcome).toBe("aborted-inconclusive");
    expect(run.log.steps.map((s) => [s.weights.v2, s.analysis.verdict, s.decision])).toEqual([
      [25, "inconclusive", "analyze-again"],
      [25, "inconclusive", "abort"],
    ]);
    // It never went past the first step.
    expect(router.history().slice(before)).toEqual([
      { v1: 75, v2: 25 },
      { v1: 100, v2: 0 },
    ]);
  }, 60_000);

  // Destructive: stops Prometheus, so it runs last.
  it("puts traffic back on v1 and exits non-zero when Prometheus stops mid-rollout", async () => {
    if (router === undefined || prometheus === undefined) throw new Error("stack not running");
    router.setWeights({ v1: 100, v2: 0 });
    const stack = prometheus;
    let stopping: Promise<void> | undefined;
    const run = await canary(
      "prometheus-down",
      ["--load", "--base-url", router.url, "--rate", "40"],
      (line) => {
        // After the first analysed step, Prometheus goes away.
        if (stopping === undefined && /^1\/4 /.test(line)) stopping = stack.stop();
      },
    );
    await stopping;
    expect(stopping, "the first step was analysed before Prometheus stopped").toBeDefined();
    expect(run.code, run.stderr).toBe(4);
    expect(run.log.outcome).toBe("aborted-analysis-failed");
    expect(run.log.events.map((e) => e.message).join("\n")).toMatch(/Prometheus at .* unreachable/);
    expect(run.log.finalWeights).toEqual({ v1: 100, v2: 0 });
    expect(router.weights()).toEqual({ v1: 100, v2: 0 });
    expect(run.log.steps.every((s) => s.decision !== "promote")).toBe(true);
  }, 60_000);
});
