/** Pure formatting and goal checks for the benchmark (unit-tested in report.test.ts). */

export interface ScenarioResult {
  readonly scenario: string;
  readonly server: "service" | "baseline";
  readonly requestsPerSecond: number;
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

export function formatTable(
  results: readonly ScenarioResult[],
  rssMb: PerServer<number>,
  startupMs: PerServer<number>,
): string {
  const header = `${"scenario".padEnd(12)}${"server".padEnd(10)}${pad("req/s", 9)}${pad("p50 ms", 8)}${pad("p99 ms", 8)}${pad("non-2xx", 9)}${pad("errors", 8)}${pad("vs baseline", 13)}`;
  const rows = results.map((r) => {
    const base = results.find((b) => b.scenario === r.scenario && b.server === "baseline");
    const ratio =
      r.server === "service" && base && base.requestsPerSecond > 0
        ? `${((r.requestsPerSecond / base.requestsPerSecond) * 100).toFixed(0)}%`
        : "";
    return `${r.scenario.padEnd(12)}${r.server.padEnd(10)}${pad(Math.round(r.requestsPerSecond).toString(), 9)}${pad(r.p50Ms.toFixed(0), 8)}${pad(r.p99Ms.toFixed(0), 8)}${pad(String(r.non2xx), 9)}${pad(String(r.errors), 8)}${pad(ratio, 13)}`;
  });
  const footer = [
    `peak RSS: service ${rssMb.service.toFixed(1)} MB, baseline ${rssMb.baseline.toFixed(1)} MB`,
    `start to /ready 200 (median of 5): service ${startupMs.service.toFixed(0)} ms, baseline ${startupMs.baseline.toFixed(0)} ms`,
  ];
  return [header, ...rows, "", ...footer].join("\n");
}

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
      text: `GET throughput ${(ratio * 100).toFixed(0)}% of baseline (goal >= ${GOALS.getThroughputRatio * 100}%)`,
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
