import { describe, expect, it } from "vitest";
import { combineSources, type Track, type TrackMeasurement } from "./analysis.js";
import { EXIT } from "./options.js";
import { type RolloutDeps, type RolloutPlan, runRollout } from "./rollout.js";
import type { TrackWeights } from "./splitter.js";

const PLAN: RolloutPlan = {
  steps: [25, 50, 75, 100],
  intervalMs: 60_000,
  settleMs: 15_500,
  maxInconclusive: 3,
  bounds: {
    minRequests: 50,
    minSuccess: 0.99,
    maxP99Seconds: 0.5,
    maxSuccessDrop: 0.01,
    maxP99Ratio: 2,
    p99SlackSeconds: 0.05,
  },
};

const healthy = (requests: number): TrackMeasurement =>
  combineSources({ app: { requests, errors: 0, p99Seconds: requests > 0 ? 0.02 : null } });
const failing = (requests: number): TrackMeasurement =>
  combineSources({ mesh: { requests, errors: requests / 2, p99Seconds: 0.02 } });

type Interval = Record<Track, TrackMeasurement> | Error;

/** Stub dependencies: a virtual clock, scripted intervals, recorded weights and output. */
function stubs(
  intervals: Interval[],
  options: {
    failWeights?: (w: TrackWeights, n: number) => boolean;
    abortAfterSleeps?: number;
  } = {},
) {
  let clock = Date.UTC(2026, 0, 1);
  let sleeps = 0;
  const weights: TrackWeights[] = [];
  const windows: [number, number][] = [];
  const lines: string[] = [];
  const controller = new AbortController();
  const deps: RolloutDeps = {
    splitter: {
      description: "stub",
      async setWeights(w) {
        if (options.failWeights?.(w, weights.length)) throw new Error("apply refused");
        weights.push(w);
      },
    },
    async measure(windowMs, endMs) {
      windows.push([windowMs, endMs]);
      const next = intervals.shift();
      if (next === undefined) throw new Error("no more scripted intervals");
      if (next instanceof Error) throw next;
      return next;
    },
    now: () => clock,
    async sleep(ms, signal) {
      sleeps++;
      if (options.abortAfterSleeps === sleeps) controller.abort();
      if (signal?.aborted) throw new Error("aborted");
      clock += ms;
    },
    print: (line) => lines.push(line),
    signal: controller.signal,
    rollbackRetryMs: 0,
  };
  return { deps, weights, windows, lines };
}

describe("runRollout", () => {
  it("promotes through every step, judging each interval after it has been scraped", async () => {
    const intervals = [25, 50, 75, 100].map((v2) => ({
      v1: healthy((100 - v2) * 4),
      v2: healthy(v2 * 4),
    }));
    const { deps, weights, windows, lines } = stubs(intervals);
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("promoted");
    expect(log.exitCode).toBe(EXIT.promoted);
    expect(weights).toEqual([
      { v1: 75, v2: 25 },
      { v1: 50, v2: 50 },
      { v1: 25, v2: 75 },
      { v1: 0, v2: 100 },
    ]);
    expect(log.finalWeights).toEqual({ v1: 0, v2: 100 });
    // Each window is the step's interval, queried at its end (after the settle wait).
    const start = Date.UTC(2026, 0, 1);
    expect(windows[0]).toEqual([60_000, start + 60_000]);
    expect(windows[1]).toEqual([60_000, start + 60_000 + 15_500 + 60_000]);
    expect(log.steps.map((s) => s.decision)).toEqual([
      "next-step",
      "next-step",
      "next-step",
      "promote",
    ]);
    expect(log.steps[3]?.analysis.reference).toBe("baseline");
    expect(lines).toHaveLength(1 + 4);
    expect(lines[1]).toMatch(
      /^1\/4 +75\/25 +\| +300 +100\.00% +20\.0ms \| +100 +100\.00% +20\.0ms \| pass → next-step/,
    );
  });

  it("rolls back at the first failing step and exits 1", async () => {
    const { deps, weights } = stubs([
      { v1: healthy(300), v2: healthy(100) },
      { v1: healthy(200), v2: failing(200) },
    ]);
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("rolled-back");
    expect(log.exitCode).toBe(EXIT.rolledBack);
    expect(weights.at(-1)).toEqual({ v1: 100, v2: 0 });
    expect(weights).toHaveLength(3);
    expect(log.reason).toMatch(/v2 success 50\.00% < 99\.00%/);
  });

  it("analyses again on too little traffic and aborts at the limit, never moving on", async () => {
    const quiet = { v1: healthy(30), v2: healthy(10) };
    const { deps, weights } = stubs([quiet, quiet, quiet]);
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("aborted-inconclusive");
    expect(log.exitCode).toBe(EXIT.inconclusive);
    expect(log.steps.map((s) => [s.step, s.attempt, s.decision])).toEqual([
      [1, 1, "analyze-again"],
      [1, 2, "analyze-again"],
      [1, 3, "abort"],
    ]);
    expect(weights).toEqual([
      { v1: 75, v2: 25 },
      { v1: 100, v2: 0 },
    ]);
  });

  it("counts inconclusive intervals over the whole rollout, not per step", async () => {
    const quiet = { v1: healthy(30), v2: healthy(10) };
    const { deps } = stubs([quiet, { v1: healthy(300), v2: healthy(100) }, quiet, quiet]);
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("aborted-inconclusive");
    expect(log.steps.map((s) => s.step)).toEqual([1, 1, 2, 2]);
  });

  it("stops safely when Prometheus fails: back on v1, exit 4", async () => {
    const { deps, weights } = stubs([
      { v1: healthy(300), v2: healthy(100) },
      new Error("Prometheus at http://x unreachable: ECONNREFUSED"),
    ]);
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("aborted-analysis-failed");
    expect(log.exitCode).toBe(EXIT.analysisFailed);
    expect(weights.at(-1)).toEqual({ v1: 100, v2: 0 });
    expect(log.events.map((e) => e.message)).toEqual([
      "analysis failed: Prometheus at http://x unreachable: ECONNREFUSED",
    ]);
  });

  it("puts traffic back on v1 when a weight change fails", async () => {
    const { deps, weights } = stubs([{ v1: healthy(300), v2: healthy(100) }], {
      failWeights: (w) => w.v2 === 50,
    });
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("aborted-analysis-failed");
    expect(weights).toEqual([
      { v1: 75, v2: 25 },
      { v1: 100, v2: 0 },
    ]);
  });

  it("retries the rollback and says so when it cannot be done (exit 6)", async () => {
    const { deps } = stubs([{ v1: healthy(300), v2: failing(100) }], {
      failWeights: (w) => w.v2 === 0,
    });
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("rollback-failed");
    expect(log.exitCode).toBe(EXIT.rollbackFailed);
    expect(log.finalWeights).toBeNull();
    expect(log.events.filter((e) => e.message.startsWith("rollback attempt"))).toHaveLength(3);
  });

  it("on a signal, puts traffic back on v1 and exits 5", async () => {
    const { deps, weights } = stubs([], { abortAfterSleeps: 1 });
    const log = await runRollout(PLAN, deps);
    expect(log.outcome).toBe("interrupted");
    expect(log.exitCode).toBe(EXIT.interrupted);
    expect(weights).toEqual([
      { v1: 75, v2: 25 },
      { v1: 100, v2: 0 },
    ]);
  });
});
