/**
 * The smoke client (`npm run smoke`) against a stand-in for the mesh: two real
 * API processes (APP_VERSION v1 and v2, one Redis) behind a small proxy that
 * routes `x-version: v1|v2` to that track and everything else by weight,
 * like the chart's VirtualService. The client must pass a 25/75 proxy and
 * fail a 50/50 one, or one that ignores the header. Against one server (as
 * after `npm start`) it runs in single mode. It only uses paths the gateway
 * publishes (never /ready or /metrics). The run against the Compose stack is
 * in delivery-compose.test.ts.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type ApiProcess, REPO_ROOT, startApi } from "./support/api-process.js";
import { freePort } from "./support/redis-server.js";

let v1: ApiProcess;
let v2: ApiProcess;
/** As after `npm start`: APP_VERSION unset, so the API answers as the package version. */
let single: ApiProcess;
const proxies: http.Server[] = [];
/** Every path a proxy forwarded. */
const requestedPaths: string[] = [];

beforeAll(async () => {
  const redisUrl = inject("redisUrl");
  [v1, v2, single] = await Promise.all([
    startApi({ env: { APP_VERSION: "v1", REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { APP_VERSION: "v2", REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => new Promise((r) => p.close(r))));
  await Promise.all([v1?.stop(), v2?.stop(), single?.stop()]);
});

/** Deterministic PRNG (mulberry32) so a run's draws are reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A weighted proxy: `x-version` picks a track (unless ignored), otherwise v1 with v1Weight %. */
async function startProxy(v1Weight: number, options: { honourHeader?: boolean } = {}) {
  const random = seeded(20_260_101 + v1Weight);
  const server = http.createServer((req, res) => {
    requestedPaths.push(req.url ?? "");
    const header = req.headers["x-version"];
    const pinned = options.honourHeader === false ? undefined : header;
    const track =
      pinned === "v1" || pinned === "v2" ? pinned : random() * 100 < v1Weight ? "v1" : "v2";
    const target = track === "v1" ? v1 : v2;
    const upstream = http.request(
      {
        host: "127.0.0.1",
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on("error", () => {
      res.writeHead(502).end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  proxies.push(server);
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Runs the smoke CLI as `npm run smoke` does (tsx), returning exit code and output. */
function smoke(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/smoke/main.ts", ...args], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  return new Promise((r) =>
    child.once("exit", (code) => {
      clearTimeout(timer);
      r({ code, output });
    }),
  );
}

const weights = ["--requests", "400", "--v1-weight", "25", "--v2-weight", "75"];

describe("npm run smoke", () => {
  it("passes against a 25/75 split that honours x-version, using only public paths", async () => {
    requestedPaths.length = 0;
    const baseUrl = await startProxy(25);
    const { code, output } = await smoke(["--base-url", baseUrl, ...weights]);
    expect(output).not.toContain("FAIL");
    expect(output).toMatch(/smoke: all \d+ checks passed/);
    expect(output).toContain("PASS  POST /user creates smoke-");
    expect(output).toContain("PASS  DELETE answers 204");
    expect(output).toContain("PASS  traffic split matches 25/75 (v1/v2)");
    expect(output).toContain("PASS  x-version: v1 is answered by v1");
    expect(output).toContain("PASS  x-version: v2 is answered by v2");
    expect(output).toContain("PASS  GET /user?limit=1 answers 200 (Redis answers)");
    expect(code).toBe(0);
    // Only paths the gateway publishes: never /ready or /metrics.
    expect(requestedPaths.length).toBeGreaterThan(400);
    expect(requestedPaths).toContain("/user?limit=1");
    expect(requestedPaths.filter((p) => /^\/(ready|metrics)\b/.test(p))).toEqual([]);
  }, 60_000);

  it("passes against one server (npm start) as a new user runs it, in single mode", async () => {
    const { code, output } = await smoke(["--base-url", single.baseUrl]);
    expect(output).toMatch(/smoke: single mode: the API answers as "\d+\.\d+\.\d+"/);
    expect(output).toContain("PASS  DELETE answers 204");
    expect(output).toContain("PASS  every answer comes from one version");
    expect(output).not.toContain("traffic split");
    expect(output).not.toContain("FAIL");
    expect(code).toBe(0);
  }, 60_000);

  it("fails one server in --mode split: no answer comes from v1 or v2", async () => {
    const { code, output } = await smoke(["--base-url", single.baseUrl, "--mode", "split"]);
    expect(output).toContain("smoke: split mode: --mode split");
    expect(output).toContain("FAIL  traffic split matches 25/75 (v1/v2)");
    expect(output).toContain("FAIL  x-version: v1 is answered by v1");
    expect(code).toBe(1);
  }, 60_000);

  it("fails single mode when answers come from two versions", async () => {
    const baseUrl = await startProxy(50);
    const { code, output } = await smoke(["--base-url", baseUrl, "--mode", "single"]);
    expect(output).toContain("FAIL  every answer comes from one version");
    expect(output).toMatch(/x-app-version: "v[12]", "v[12]"/);
    expect(code).toBe(1);
  }, 60_000);

  it("fails the store check when the API cannot reach Redis", async () => {
    const port = await freePort();
    const noRedis = await startApi({
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, LOG_LEVEL: "fatal" },
    });
    try {
      const { code, output } = await smoke([
        "--base-url",
        noRedis.baseUrl,
        "--wait-seconds",
        "2",
        "--requests",
        "5",
      ]);
      expect(output).toContain("PASS  GET /health answers 200");
      expect(output).toContain("FAIL  GET /user?limit=1 answers 200 (Redis answers)");
      expect(code).toBe(1);
    } finally {
      await noRedis.stop();
    }
  }, 60_000);

  it("fails a 50/50 split when 25/75 is expected, naming the split check", async () => {
    const baseUrl = await startProxy(50);
    const { code, output } = await smoke(["--base-url", baseUrl, ...weights]);
    expect(output).toContain("FAIL  traffic split matches 25/75 (v1/v2)");
    expect(output).toContain("PASS  x-version: v1 is answered by v1");
    expect(output).toMatch(/smoke: FAILED, 1 of \d+ checks failed/);
    expect(code).toBe(1);
  }, 60_000);

  it("fails when x-version is not honoured", async () => {
    const baseUrl = await startProxy(25, { honourHeader: false });
    const { code, output } = await smoke(["--base-url", baseUrl, ...weights]);
    expect(output).toContain("FAIL  x-version: v1 is answered by v1");
    expect(output).toContain("FAIL  x-version: v2 is answered by v2");
    expect(code).toBe(1);
  }, 60_000);

  it("fails fast with a clear message when nothing answers", async () => {
    const { code, output } = await smoke([
      "--base-url",
      "http://127.0.0.1:9",
      "--wait-seconds",
      "1",
      "--timeout-ms",
      "500",
    ]);
    expect(output).toContain("FAIL  GET /health answers 200");
    expect(code).toBe(1);
  }, 30_000);

  it("exits 2 with the usage text on bad arguments", async () => {
    const { code, output } = await smoke(["--base-url", "http://x", "--v1-weight", "30"]);
    expect(output).toContain("must add up to 100");
    expect(output).toContain("Usage: npm run smoke -- --base-url URL");
    expect(code).toBe(2);
  }, 30_000);
});
