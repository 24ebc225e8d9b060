/**
 * `npm run bench`: the production build of the service against a bare
 * node:http + ioredis baseline, same Redis, same load, same run. Prints
 * throughput, latency, errors and peak RSS per scenario, the ratio
 * service/baseline, start-to-ready time, and the goals met or missed.
 *
 * The machine is shared with the load generator and its speed drifts, so
 * each scenario runs in several short rounds that alternate service and
 * baseline; the table shows the median round. Besides req/s it reports the
 * server's CPU time per request (from /proc), which does not depend on how
 * much CPU the load generator left over.
 *
 * The GET scenarios run twice: "GET user" against the service with
 * authentication off, and "GET (JWT)" with a users:read token against
 * a second service process that verifies it (a key the bench generates in
 * a temporary folder, `AUTH_JWKS_FILE`); the difference is what
 * verification costs per request. An in-process micro-benchmark of
 * verification alone follows the table.
 *
 * Options: --rounds <n> (default 5), --duration <s> per round (default 4),
 * --warmup <s> (default 2), --connections <n> (default 32), --no-build,
 * --check (exit 1 on a missed goal).
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import { REDIS_PERSISTENCE_ARGS } from "../../charts/lib/redis-persistence.js";
import { REPO_ROOT } from "../../test/support/api-process.js";
import { freePort, startRedisServer } from "../../test/support/redis-server.js";
import { loadOrCreateDevKey, signToken } from "../token/dev-key.js";
import {
  evaluateGoals,
  formatTable,
  medianRun,
  type ScenarioResult,
  verificationCost,
} from "./report.js";
import { AUTHENTICATED_GET, type Scenario, scenarios } from "./scenarios.js";
import { measureVerification } from "./verify-cost.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "4" },
    warmup: { type: "string", default: "2" },
    connections: { type: "string", default: "32" },
    "no-build": { type: "boolean", default: false },
    check: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const warmup = Number(values.warmup);
const connections = Number(values.connections);
for (const [name, value] of Object.entries({ rounds, duration, warmup, connections })) {
  if (!Number.isInteger(value) || value < (name === "warmup" ? 0 : 1)) {
    console.error(`--${name} must be a positive integer`);
    process.exit(2);
  }
}

interface Server {
  readonly name: "service" | "baseline";
  readonly url: string;
  readonly child: ChildProcess;
}

const SEED_USERS = 1000;

async function waitReady(url: string, child: ChildProcess, timeoutMs = 15_000): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/ready`);
      await response.arrayBuffer();
      if (response.status === 200) return performance.now() - started;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  throw new Error(`${url}/ready did not answer 200 within ${timeoutMs} ms`);
}

function command(kind: Server["name"]): string[] {
  return kind === "service"
    ? [process.execPath, "build/api/main.js"]
    : [process.execPath, "--import", "tsx", "scripts/bench/baseline-server.ts"];
}

/** Authentication for the service process: off, or on with this key set. */
type AuthEnv = Readonly<Record<string, string>>;
const AUTH_OFF: AuthEnv = { AUTH_DISABLED: "true" };

async function startServer(
  kind: Server["name"],
  redisUrl: string,
  auth: AuthEnv = AUTH_OFF,
): Promise<Server & { readyMs: number }> {
  const port = await freePort();
  const [cmd, ...args] = command(kind);
  const started = performance.now();
  const child = spawn(cmd as string, args, {
    cwd: REPO_ROOT,
    // Logs go to /dev/null: the service still formats and writes every line.
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      PATH: process.env.PATH ?? "",
      PORT: String(port),
      HOST: "127.0.0.1",
      REDIS_URL: redisUrl,
      NODE_ENV: "production",
      LOG_LEVEL: "info",
      ...(kind === "service" ? auth : {}),
    },
  });
  const url = `http://127.0.0.1:${port}`;
  await waitReady(url, child);
  return { name: kind, url, child, readyMs: performance.now() - started };
}

/** User + system CPU time of a process so far, in microseconds. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1_000_000) / CLOCK_TICKS;
}

const CLOCK_TICKS =
  Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

async function load(server: Server, scenario: Scenario, seconds: number) {
  return autocannon({
    url: server.url,
    connections,
    duration: seconds,
    requests: scenario.requests(server.name),
  });
}

async function seed(url: string): Promise<void> {
  for (let i = 0; i < SEED_USERS; i += 50) {
    await Promise.all(
      Array.from({ length: 50 }, (_, j) =>
        fetch(`${url}/user`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            username: `seed${i + j}`,
            firstname: "Seed",
            lastname: "User",
            email: `seed${i + j}@example.com`,
          }),
        }).then((r) => r.arrayBuffer()),
      ),
    );
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function startupTimes(kind: Server["name"], redisUrl: string, runs = 5): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const server = await startServer(kind, redisUrl);
    times.push(server.readyMs);
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));
  }
  return median(times);
}

async function main(): Promise<void> {
  if (!values["no-build"]) {
    console.log("building the service (npm run build) ...");
    execFileSync("npm", ["run", "-s", "build"], { cwd: REPO_ROOT, stdio: "inherit" });
  }
  // The project's own Redis settings: append-only, fsync every second.
  const redis = await startRedisServer({ args: [...REDIS_PERSISTENCE_ARGS] });
  const servers: Server[] = [];
  const keyDir = mkdtempSync(join(os.tmpdir(), "userapi-bench-key-"));
  try {
    const key = await loadOrCreateDevKey(keyDir);
    const token = await signToken(key, {
      sub: "bench",
      scopes: ["users:read"],
      ttlSeconds: 86_400,
    });
    const authOn: AuthEnv = {
      AUTH_JWKS_FILE: key.jwksPath,
      AUTH_ISSUER: "userapi-dev",
      AUTH_AUDIENCE: "userapi",
    };
    const startup = {
      service: await startupTimes("service", redis.url),
      baseline: await startupTimes("baseline", redis.url),
    };
    const service = await startServer("service", redis.url);
    const verifyingService = await startServer("service", redis.url, authOn);
    const baseline = await startServer("baseline", redis.url);
    servers.push(service, verifyingService, baseline);
    await seed(service.url);

    const results: ScenarioResult[] = [];
    for (const scenario of scenarios(SEED_USERS, token)) {
      const runs: Record<Server["name"], ScenarioResult[]> = { service: [], baseline: [] };
      const pair = [scenario.authenticated ? verifyingService : service, baseline];
      for (const server of pair) {
        if (warmup > 0) await load(server, scenario, warmup);
      }
      for (let round = 0; round < rounds; round++) {
        // Alternate service and baseline within each round so drift on the machine hits both.
        for (const server of pair) {
          const pid = server.child.pid as number;
          const cpuBefore = cpuMicros(pid);
          const r = await load(server, scenario, duration);
          const cpu = cpuMicros(pid) - cpuBefore;
          runs[server.name].push({
            scenario: scenario.name,
            server: server.name,
            requestsPerSecond: r.requests.average,
            cpuMicrosPerRequest: r.requests.total > 0 ? cpu / r.requests.total : Number.NaN,
            p50Ms: r.latency.p50,
            p99Ms: r.latency.p99,
            non2xx: r.non2xx,
            errors: r.errors + r.timeouts,
            total: r.requests.total,
          });
        }
      }
      for (const server of pair) {
        results.push(medianRun(runs[server.name]));
        const perRound = runs[server.name].map((r) => Math.round(r.requestsPerSecond));
        console.log(
          `  ${scenario.name.padEnd(12)} ${server.name.padEnd(9)} ${perRound.join(" ")} req/s`,
        );
      }
    }
    const rss = {
      service: peakRssMb(service.child.pid as number),
      baseline: peakRssMb(baseline.child.pid as number),
    };

    console.log(
      `\nuserapi benchmark ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length}x ${os.cpus()[0]?.model.trim()}, ` +
        `Node ${process.version}, ${connections} connections, median of ${rounds} rounds of ${duration} s (${warmup} s warm-up)\n`,
    );
    console.log(formatTable(results, rss, startup));
    const cost = verificationCost(results, AUTHENTICATED_GET);
    if (cost !== undefined) console.log(`\n${cost}`);
    console.log("\nIn process (one core, no HTTP): jose jwtVerify with a cached key, per token:");
    for (const line of await measureVerification()) console.log(`  ${line}`);
    const goals = evaluateGoals(results, rss, startup);
    console.log("\nGoals:");
    for (const goal of goals) console.log(`  ${goal.met ? "met " : "MISS"}  ${goal.text}`);
    if (values.check && goals.some((g) => !g.met)) process.exitCode = 1;
  } finally {
    for (const server of servers) server.child.kill("SIGTERM");
    await redis.stop();
    rmSync(keyDir, { recursive: true, force: true });
  }
}

await main();
