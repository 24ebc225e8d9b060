/**
 * The smoke client (`npm run smoke`) against a stand-in for the mesh: two real
 * API processes (APP_VERSION v1 and v2, one Redis) behind a small proxy that
 * routes `x-version: v1|v2` to that track and everything else by weight,
 * like the chart's VirtualService. The client must pass a 25/75 proxy and
 * fail a 50/50 one, or one that ignores the header. Against one server (as
 * after `npm start`) it runs in single mode. It only uses paths the gateway
 * publishes (never /ready or /metrics). The run against the Compose stack is
 * in delivery-compose.test.ts.
 *
 * Authentication: the same real API processes with AUTH_JWKS_FILE set to
 * the public JWKS of a development key made here (scripts/token/dev-key.ts,
 * as the kind flow makes one per cluster), in production mode as in the
 * pods; the smoke client mints its tokens from that key folder (--key-dir)
 * or takes them from SMOKE_WRITE_TOKEN / SMOKE_READ_TOKEN. In split mode the
 * proxy also stands in for Istio's AuthorizationPolicy: /user without a
 * token gets Envoy's 403 "RBAC: access denied" (the real policy is checked
 * in test/manifests-consistency.test.ts; only a cluster shows Envoy).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { type DevKey, loadOrCreateDevKey, signToken } from "../scripts/token/dev-key.js";
import { type ApiProcess, REPO_ROOT, startApi } from "./support/api-process.js";
import { HOME } from "./support/kind-fakes.js";
import { freePort } from "./support/redis-server.js";

let v1: ApiProcess;
let v2: ApiProcess;
/** As after `npm start`: APP_VERSION unset, so the API answers as the package version. */
let single: ApiProcess;
/** The same three with authentication on (the chart's AUTH_* environment). */
let authV1: ApiProcess;
let authV2: ApiProcess;
let authSingle: ApiProcess;
let key: DevKey;
const keyDir = mkdtempSync(join(tmpdir(), "userapi-smoke-key-"));
const proxies: http.Server[] = [];
/** Every path a proxy forwarded. */
const requestedPaths: string[] = [];

beforeAll(async () => {
  const redisUrl = inject("redisUrl");
  key = await loadOrCreateDevKey(keyDir);
  const auth = {
    NODE_ENV: "production",
    AUTH_JWKS_FILE: key.jwksPath,
    AUTH_ISSUER: "userapi-dev",
    AUTH_AUDIENCE: "userapi",
  };
  [v1, v2, single, authV1, authV2, authSingle] = await Promise.all([
    startApi({ env: { APP_VERSION: "v1", REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { APP_VERSION: "v2", REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { ...auth, APP_VERSION: "v1", REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { ...auth, APP_VERSION: "v2", REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
    startApi({ env: { ...auth, REDIS_URL: redisUrl, LOG_LEVEL: "warn" } }),
  ]);
}, 90_000);

afterAll(async () => {
  await Promise.all(proxies.map((p) => new Promise((r) => p.close(r))));
  await Promise.all([v1, v2, single, authV1, authV2, authSingle].map((api) => api?.stop()));
  rmSync(keyDir, { recursive: true, force: true });
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

interface ProxyOptions {
  readonly honourHeader?: boolean;
  /** Like the mesh's AuthorizationPolicy: /user without a token gets Envoy's 403. */
  readonly requireToken?: boolean;
  /** The tracks behind the proxy. @default the API processes without authentication */
  readonly tracks?: () => { v1: ApiProcess; v2: ApiProcess };
}

/** A weighted proxy: `x-version` picks a track (unless ignored), otherwise v1 with v1Weight %. */
async function startProxy(v1Weight: number, options: ProxyOptions = {}) {
  const random = seeded(20_260_101 + v1Weight);
  const server = http.createServer((req, res) => {
    requestedPaths.push(req.url ?? "");
    if (
      options.requireToken &&
      /^\/user(?:[/?]|$)/.test(req.url ?? "") &&
      !req.headers.authorization
    ) {
      res.writeHead(403, { "content-type": "text/plain" }).end("RBAC: access denied");
      req.resume();
      return;
    }
    const header = req.headers["x-version"];
    const pinned = options.honourHeader === false ? undefined : header;
    const track =
      pinned === "v1" || pinned === "v2" ? pinned : random() * 100 < v1Weight ? "v1" : "v2";
    const tracks = options.tracks?.() ?? { v1, v2 };
    const target = track === "v1" ? tracks.v1 : tracks.v2;
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
function smoke(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/smoke/main.ts", ...args], {
    cwd: REPO_ROOT,
    // Only PATH and HOME from this process: no stray SMOKE_* token reaches the client.
    env: { PATH: `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, HOME, ...env },
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

describe("npm run smoke with authentication", () => {
  const authTracks = () => ({ v1: authV1, v2: authV2 });
  const authChecks = [
    "PASS  GET /user with a tampered signature answers",
    "PASS  GET /user with an unsigned token (alg none) answers",
    'PASS  POST /user with the users:read token answers 403 error="insufficient_scope"',
    "PASS  POST /user creates smoke-",
    "PASS  DELETE answers 204",
  ];

  it("single mode (npm start, Compose), tokens minted with --key-dir: 401 without a token, 401 forged, 403 read-only write", async () => {
    const { code, output } = await smoke(["--base-url", authSingle.baseUrl, "--key-dir", keyDir]);
    expect(output).toContain(`smoke: authentication: tokens minted with the key in ${keyDir}`);
    expect(output).toContain(
      "PASS  GET /user?limit=1 answers 200 (Redis answers) with the users:read token",
    );
    expect(output).toContain(
      "PASS  GET /user without a token answers 401 with WWW-Authenticate: Bearer",
    );
    expect(output).toContain(
      'PASS  GET /user with a tampered signature answers 401 error="invalid_token"',
    );
    for (const check of authChecks) expect(output).toContain(check);
    expect(output).not.toContain("FAIL");
    expect(code).toBe(0);
  }, 60_000);

  it("split mode through a stand-in of the mesh: 403 without a token from the AuthorizationPolicy, tokens from the environment", async () => {
    const baseUrl = await startProxy(25, { requireToken: true, tracks: authTracks });
    const common = { ttlSeconds: 600, sub: "smoke" };
    const env = {
      SMOKE_WRITE_TOKEN: await signToken(key, { ...common, scopes: ["users:read", "users:write"] }),
      SMOKE_READ_TOKEN: await signToken(key, { ...common, scopes: ["users:read"] }),
    };
    const { code, output } = await smoke(["--base-url", baseUrl, ...weights], env);
    expect(output).toContain(
      "smoke: authentication: tokens SMOKE_WRITE_TOKEN and SMOKE_READ_TOKEN",
    );
    expect(output).toContain(
      "PASS  GET /user without a token is refused by the mesh with 403 (no request principal)",
    );
    expect(output).toContain("RBAC: access denied");
    for (const check of authChecks) expect(output).toContain(check);
    expect(output).toContain("PASS  traffic split matches 25/75 (v1/v2)");
    expect(output).not.toContain("FAIL");
    expect(code).toBe(0);
  }, 60_000);

  it("fails split mode when the mesh lets a request without a token through (the API's 401 instead of 403)", async () => {
    const baseUrl = await startProxy(25, { tracks: authTracks });
    const { code, output } = await smoke(["--base-url", baseUrl, ...weights, "--key-dir", keyDir]);
    expect(output).toContain(
      "FAIL  GET /user without a token is refused by the mesh with 403 (no request principal)",
    );
    expect(output).toMatch(/smoke: FAILED, 1 of \d+ checks failed/);
    expect(code).toBe(1);
  }, 60_000);

  it("fails when the API does not check tokens at all (authentication off)", async () => {
    const { code, output } = await smoke(["--base-url", single.baseUrl, "--key-dir", keyDir]);
    expect(output).toContain("FAIL  GET /user without a token answers 401");
    expect(output).toContain("FAIL  GET /user with a tampered signature answers 401");
    expect(output).toContain("FAIL  GET /user with an unsigned token (alg none) answers 401");
    expect(output).toContain(
      'FAIL  POST /user with the users:read token answers 403 error="insufficient_scope"',
    );
    expect(code).toBe(1);
  }, 60_000);

  it("fails with tokens of another key, and says what to give when none is given", async () => {
    const otherDir = mkdtempSync(join(tmpdir(), "userapi-smoke-other-"));
    try {
      await loadOrCreateDevKey(otherDir);
      const other = await smoke([
        "--base-url",
        authSingle.baseUrl,
        "--key-dir",
        otherDir,
        "--wait-seconds",
        "1",
        "--requests",
        "5",
      ]);
      expect(other.output).toContain(
        "FAIL  GET /user?limit=1 answers 200 (Redis answers) with the users:read token",
      );
      expect(other.code).toBe(1);
    } finally {
      rmSync(otherDir, { recursive: true, force: true });
    }
    const none = await smoke([
      "--base-url",
      authSingle.baseUrl,
      "--wait-seconds",
      "1",
      "--requests",
      "5",
    ]);
    expect(none.output).toContain(
      "the API requires a token, give --key-dir or SMOKE_WRITE_TOKEN and SMOKE_READ_TOKEN",
    );
    expect(none.code).toBe(1);
  }, 60_000);

  it("exits 2 on incomplete token settings, naming what is missing", async () => {
    const half = await smoke(["--base-url", "http://127.0.0.1:9"], { SMOKE_WRITE_TOKEN: "a.b.c" });
    expect(half.output).toContain("smoke: SMOKE_READ_TOKEN is not set");
    expect(half.code).toBe(2);
    const empty = mkdtempSync(join(tmpdir(), "userapi-smoke-empty-"));
    try {
      const noKey = await smoke(["--base-url", "http://127.0.0.1:9", "--key-dir", empty]);
      expect(noKey.output).toContain(`smoke: --key-dir: no private.jwk.json in ${empty}`);
      expect(noKey.code).toBe(2);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 30_000);
});
