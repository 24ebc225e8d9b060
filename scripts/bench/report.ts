/** Pure formatting and goal checks for the benchmark (unit-tested in report.test.ts). */

export interface ScenarioResult {
  readonly scenario: string;
  readonly server: "service" | "baseline";
  readonly requestsPerSecond: number;
  /** Server CPU time (user + system) per request, in microseconds. */
  readonly cpuMicrosPerRequest: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly total: number;
}

export interface PerServer<T> {
  readonly service: T;
  readonly baseline: T;
}

export interface Goal {
  readonly text: string;
  readonly met: boolean;
}

export const GOALS = {
  getThroughputRatio: 0.8,
  p99Ms: 5,
  rssMb: 120,
  startupMs: 300,
} as const;

const pad = (value: string, width: number) => value.padStart(width);

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * Summarizes rounds of one scenario on one server: the median of each
 * measure (throughput, CPU per request, latencies), and the sums of
 * non-2xx answers, errors and requests.
 */
export function medianRun(runs: readonly ScenarioResult[]): ScenarioResult {
  const first = runs[0];
  if (first === undefined) throw new Error("medianRun needs at least one run");
  return {
    scenario: first.scenario,
    server: first.server,
    requestsPerSecond: median(runs.map((r) => r.requestsPerSecond)),
    cpuMicrosPerRequest: median(runs.map((r) => r.cpuMicrosPerRequest)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    non2xx: runs.reduce((sum, r) => sum + r.non2xx, 0),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    total: runs.reduce((sum, r) => sum + r.total, 0),
  };
}

export function formatTable(
  results: readonly ScenarioResult[],
  rssMb: PerServer<number>,
  startupMs: PerServer<number>,
): string {
  const header = `${"scenario".padEnd(12)}${"server".padEnd(10)}${pad("req/s", 9)}${pad("vs base", 9)}${pad("cpu µs/req", 12)}${pad("vs base", 9)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("non-2xx", 9)}${pad("errors", 8)}`;
  const rows = results.map((r) => {
    const base = results.find((b) => b.scenario === r.scenario && b.server === "baseline");
    const isService = r.server === "service" && base !== undefined;
    const throughput = isService ? percent(r.requestsPerSecond / base.requestsPerSecond) : "";
    const efficiency = isService ? percent(base.cpuMicrosPerRequest / r.cpuMicrosPerRequest) : "";
    return `${r.scenario.padEnd(12)}${r.server.padEnd(10)}${pad(Math.round(r.requestsPerSecond).toString(), 9)}${pad(throughput, 9)}${pad(r.cpuMicrosPerRequest.toFixed(0), 12)}${pad(efficiency, 9)}${pad(r.p50Ms.toFixed(0), 8)}${pad(r.p99Ms.toFixed(0), 8)}${pad(String(r.non2xx), 9)}${pad(String(r.errors), 8)}`;
  });
  const footer = [
    "vs base: req/s as a share of the baseline's; for cpu µs/req, baseline cost / service cost",
    `peak RSS: service ${rssMb.service.toFixed(1)} MB, baseline ${rssMb.baseline.toFixed(1)} MB`,
    `start to /ready 200 (median of 5): service ${startupMs.service.toFixed(0)} ms, baseline ${startupMs.baseline.toFixed(0)} ms`,
  ];
  return [header, ...rows, "", ...footer].join("\n");
}

const percent = (ratio: number) =>
  Number.isFinite(ratio) ? `${(ratio * 100).toFixed(0)}%` : "n/a";

export function evaluateGoals(
  results: readonly ScenarioResult[],
  rssMb: PerServer<number>,
  startupMs: PerServer<number>,
): Goal[] {
  const find = (scenario: string, server: "service" | "baseline") =>
    results.find((r) => r.scenario === scenario && r.server === server);
  const goals: Goal[] = [];
  const get = find("GET user", "service");
  const getBase = find("GET user", "baseline");
  if (get && getBase) {
    const ratio = get.requestsPerSecond / getBase.requestsPerSecond;
    goals.push({
      text: `GET throughput ${percent(ratio)} of baseline (goal >= ${GOALS.getThroughputRatio * 100}%); CPU per request ${percent(getBase.cpuMicrosPerRequest / get.cpuMicrosPerRequest)} of baseline efficiency`,
      met: ratio >= GOALS.getThroughputRatio,
    });
  }
  for (const r of results.filter((x) => x.server === "service")) {
    goals.push({
      text: `${r.scenario}: p99 ${r.p99Ms.toFixed(1)} ms (goal < ${GOALS.p99Ms} ms)`,
      met: r.p99Ms < GOALS.p99Ms,
    });
    goals.push({
      text: `${r.scenario}: ${r.non2xx} non-2xx and ${r.errors} errors of ${r.total} (goal 0)`,
      met: r.non2xx === 0 && r.errors === 0 && r.total > 0,
    });
  }
  goals.push({
    text: `peak RSS ${rssMb.service.toFixed(1)} MB (goal < ${GOALS.rssMb} MB)`,
    met: rssMb.service < GOALS.rssMb,
  });
  goals.push({
    text: `start to /ready ${startupMs.service.toFixed(0)} ms (goal < ${GOALS.startupMs} ms)`,
    met: startupMs.service < GOALS.startupMs,
  });
  return goals;
}

/**
 * What verifying a token costs the service per request: the CPU time and
 * throughput of the authenticated GET against the same GET without a token.
 */
export function verificationCost(
  results: readonly ScenarioResult[],
  authenticatedScenario: string,
): string | undefined {
  const plain = results.find((r) => r.scenario === "GET user" && r.server === "service");
  const jwt = results.find((r) => r.scenario === authenticatedScenario && r.server === "service");
  if (plain === undefined || jwt === undefined) return undefined;
  const cpu = jwt.cpuMicrosPerRequest - plain.cpuMicrosPerRequest;
  const throughput = jwt.requestsPerSecond / plain.requestsPerSecond;
  return `JWT verification: ${cpu >= 0 ? "+" : ""}${cpu.toFixed(0)} µs CPU per request (${jwt.cpuMicrosPerRequest.toFixed(0)} vs ${plain.cpuMicrosPerRequest.toFixed(0)}), throughput ${percent(throughput)} of the GET without a token`;
}
