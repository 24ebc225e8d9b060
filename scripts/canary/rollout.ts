/**
 * The rollout loop: set the step's weights, wait the analysis interval,
 * judge it (analysis.ts), then go on, wait another interval, or put all
 * traffic back on v1. Every dependency (weights, metrics, clock, output) is
 * injected, so the loop runs the same against Kubernetes, the local router
 * or a unit test's stubs.
 */
import {
  analyzeStep,
  type Bounds,
  isConclusive,
  type StepAnalysis,
  type Track,
  type TrackMeasurement,
} from "./analysis.js";
import { EXIT } from "./options.js";
import { ALL_ON_V1, type TrackWeights, type TrafficSplitter } from "./splitter.js";

export interface RolloutPlan {
  /** v2 weights, increasing, ending at 100. */
  readonly steps: readonly number[];
  readonly intervalMs: number;
  /** Wait after each interval before querying, so the interval's last scrape has landed. */
  readonly settleMs: number;
  readonly maxInconclusive: number;
  readonly bounds: Bounds;
}

export interface RolloutDeps {
  readonly splitter: TrafficSplitter;
  /** Both tracks' figures over the `windowMs` that ends at `endMs`; throws when Prometheus fails. */
  measure(windowMs: number, endMs: number): Promise<Record<Track, TrackMeasurement>>;
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  print(line: string): void;
  /** Aborted on SIGINT/SIGTERM: the rollout stops and puts traffic back on v1. */
  readonly signal?: AbortSignal;
  /** Pause between attempts to restore the weights. @default 1000 */
  readonly rollbackRetryMs?: number;
}

export type Outcome =
  | "promoted"
  | "rolled-back"
  | "aborted-inconclusive"
  | "aborted-analysis-failed"
  | "interrupted"
  | "rollback-failed";

export interface StepRecord {
  /** 1-based step number and the number of steps. */
  readonly step: number;
  readonly of: number;
  /** 1 for the first interval at this step, 2 after an inconclusive one, ... */
  readonly attempt: number;
  readonly weights: TrackWeights;
  readonly window: { readonly start: string; readonly end: string };
  readonly tracks: Readonly<Record<Track, TrackMeasurement>>;
  readonly analysis: StepAnalysis;
  /** What the driver did next. */
  readonly decision: "next-step" | "promote" | "analyze-again" | "roll-back" | "abort";
}

export interface DecisionLog {
  readonly startedAt: string;
  finishedAt: string;
  readonly plan: RolloutPlan;
  readonly splitter: string;
  readonly steps: StepRecord[];
  /** Errors that are not step analyses: Prometheus, the splitter, signals. */
  readonly events: { readonly at: string; readonly message: string }[];
  outcome: Outcome;
  reason: string;
  exitCode: number;
  finalWeights: TrackWeights | null;
}

const EXIT_OF: Readonly<Record<Outcome, number>> = {
  promoted: EXIT.promoted,
  "rolled-back": EXIT.rolledBack,
  "aborted-inconclusive": EXIT.inconclusive,
  "aborted-analysis-failed": EXIT.analysisFailed,
  interrupted: EXIT.interrupted,
  "rollback-failed": EXIT.rollbackFailed,
};

class Interrupted extends Error {}

export async function runRollout(plan: RolloutPlan, deps: RolloutDeps): Promise<DecisionLog> {
  const iso = (ms: number) => new Date(ms).toISOString();
  const log: DecisionLog = {
    startedAt: iso(deps.now()),
    finishedAt: "",
    plan,
    splitter: deps.splitter.description,
    steps: [],
    events: [],
    outcome: "promoted",
    reason: "",
    exitCode: 0,
    finalWeights: null,
  };
  const note = (message: string) => {
    log.events.push({ at: iso(deps.now()), message });
    deps.print(message);
  };
  const finish = (outcome: Outcome, reason: string, weights: TrackWeights | null) => {
    log.outcome = outcome;
    log.reason = reason;
    log.exitCode = EXIT_OF[outcome];
    log.finalWeights = weights;
    log.finishedAt = iso(deps.now());
    return log;
  };
  /** Puts all traffic on v1, retrying; the outcome says whether that worked. */
  const rollBack = async (outcome: Outcome, reason: string) => {
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await deps.splitter.setWeights(ALL_ON_V1);
        deps.print(`weights set to v1 100 / v2 0: ${reason}`);
        return finish(outcome, reason, ALL_ON_V1);
      } catch (error) {
        note(`rollback attempt ${attempt} failed: ${(error as Error).message}`);
        if (attempt < 3) await deps.sleep(deps.rollbackRetryMs ?? 1000).catch(() => undefined);
      }
    }
    return finish("rollback-failed", `${reason}; then putting traffic back on v1 failed`, null);
  };
  const pause = async (ms: number) => {
    if (deps.signal?.aborted) throw new Interrupted();
    try {
      await deps.sleep(ms, deps.signal);
    } catch (error) {
      if (deps.signal?.aborted) throw new Interrupted();
      throw error;
    }
  };

  deps.print(header());
  let baseline: TrackMeasurement | undefined;
  let inconclusive = 0;
  try {
    for (const [index, v2] of plan.steps.entries()) {
      const weights: TrackWeights = { v1: 100 - v2, v2 };
      try {
        await deps.splitter.setWeights(weights);
      } catch (error) {
        note(
          `setting weights v1 ${weights.v1} / v2 ${weights.v2} failed: ${(error as Error).message}`,
        );
        return await rollBack("aborted-analysis-failed", "the weight change failed");
      }
      for (let attempt = 1; ; attempt++) {
        const start = deps.now();
        await pause(plan.intervalMs);
        const end = start + plan.intervalMs;
        await pause(plan.settleMs);
        let tracks: Record<Track, TrackMeasurement>;
        try {
          tracks = await deps.measure(plan.intervalMs, end);
        } catch (error) {
          note(`analysis failed: ${(error as Error).message}`);
          return await rollBack(
            "aborted-analysis-failed",
            "Prometheus failed; no analysis possible",
          );
        }
        const analysis = analyzeStep(tracks, baseline, plan.bounds);
        if (isConclusive(tracks.v1, plan.bounds)) baseline = tracks.v1;
        if (analysis.verdict === "inconclusive") inconclusive++;
        const last = index === plan.steps.length - 1;
        const decision: StepRecord["decision"] =
          analysis.verdict === "fail"
            ? "roll-back"
            : analysis.verdict === "inconclusive"
              ? inconclusive >= plan.maxInconclusive
                ? "abort"
                : "analyze-again"
              : last
                ? "promote"
                : "next-step";
        const record: StepRecord = {
          step: index + 1,
          of: plan.steps.length,
          attempt,
          weights,
          window: { start: iso(start), end: iso(end) },
          tracks,
          analysis,
          decision,
        };
        log.steps.push(record);
        deps.print(stepLine(record));
        if (decision === "roll-back") return await rollBack("rolled-back", analysis.reason);
        if (decision === "abort") {
          return await rollBack(
            "aborted-inconclusive",
            `${inconclusive} inconclusive intervals (limit ${plan.maxInconclusive}): never promote on no data`,
          );
        }
        if (decision === "promote")
          return finish("promoted", "v2 within bounds at every step", weights);
        if (decision === "next-step") break;
      }
    }
    return finish("promoted", "v2 within bounds at every step", { v1: 0, v2: 100 });
  } catch (error) {
    if (error instanceof Interrupted) {
      note("interrupted");
      return await rollBack("interrupted", "interrupted by a signal");
    }
    note(`unexpected error: ${(error as Error).message}`);
    return await rollBack("aborted-analysis-failed", "unexpected error");
  }
}

const pad = (text: string, width: number) => text.padStart(width);
const fmtRatio = (r: number | null) => (r === null ? "-" : `${(r * 100).toFixed(2)}%`);
const fmtP99 = (s: number | null) => (s === null ? "-" : `${(s * 1000).toFixed(1)}ms`);
const track = (m: TrackMeasurement) =>
  `${pad(String(Math.round(m.requests)), 6)} ${pad(fmtRatio(m.successRatio), 8)} ${pad(fmtP99(m.p99Seconds), 9)}`;

/** The column titles of the step lines. */
export function header(): string {
  return `${"step".padEnd(8)}${"v1/v2".padEnd(8)}| ${"v1 req".padStart(6)} ${"success".padStart(8)} ${"p99".padStart(9)} | ${"v2 req".padStart(6)} ${"success".padStart(8)} ${"p99".padStart(9)} | decision`;
}

/** One printed line per analysed interval. */
export function stepLine(r: StepRecord): string {
  const step = `${r.step}/${r.of}${r.attempt > 1 ? `#${r.attempt}` : ""}`;
  return `${step.padEnd(8)}${`${r.weights.v1}/${r.weights.v2}`.padEnd(8)}| ${track(r.tracks.v1)} | ${track(r.tracks.v2)} | ${r.analysis.verdict} → ${r.decision}: ${r.analysis.reason}`;
}
