/**
 * The canary's judgement, as pure functions: what one analysis interval
 * measured per track, and whether v2 passes, fails or cannot be judged yet.
 * No I/O here, so every rule is a row in a table test (analysis.test.ts).
 */

/** The two tracks; v1 is the stable one, v2 the candidate. */
export type Track = "v1" | "v2";

/** Where a track's figures come from: the app's own metrics, or the proxy in front of it. */
export type MetricSource = "app" | "mesh";

/** What one source counted for one track in one interval. */
export interface SourceFigures {
  /** User requests (increase over the interval; fractional after Prometheus's extrapolation). */
  readonly requests: number;
  /** Of those, answered with a 5xx status. */
  readonly errors: number;
  /** p99 latency in seconds; null without histogram data. */
  readonly p99Seconds: number | null;
}

/** One track's figures for one interval, all sources combined. */
export interface TrackMeasurement {
  readonly requests: number;
  /** Non-5xx share of user requests; null without requests. */
  readonly successRatio: number | null;
  readonly p99Seconds: number | null;
  /** The raw figures per source, for the decision log. */
  readonly sources: Readonly<Partial<Record<MetricSource, SourceFigures>>>;
}

/** The bounds v2 must stay within, and how much data a verdict needs. */
export interface Bounds {
  /** v2 requests per interval below which nothing is concluded. */
  readonly minRequests: number;
  /** Absolute: v2's success ratio at least this. */
  readonly minSuccess: number;
  /** Absolute: v2's p99 at most this (seconds). */
  readonly maxP99Seconds: number;
  /** Relative: v2's success ratio at least v1's minus this. */
  readonly maxSuccessDrop: number;
  /** Relative: v2's p99 at most max(ratio × v1's, v1's + slack). */
  readonly maxP99Ratio: number;
  readonly p99SlackSeconds: number;
}

export interface Check {
  readonly name: "success" | "p99" | "success-vs-v1" | "p99-vs-v1";
  readonly ok: boolean;
  readonly value: number;
  /** The limit the value was held to (a minimum for success, a maximum for p99). */
  readonly limit: number;
}

export type Verdict = "pass" | "fail" | "inconclusive";

export interface StepAnalysis {
  readonly verdict: Verdict;
  /** One line saying why, for people. */
  readonly reason: string;
  readonly checks: readonly Check[];
  /** The v1 figures the relative bounds used: this interval's, or the last conclusive one's. */
  readonly reference: "current" | "baseline" | "none";
}

/**
 * Combines the sources of one track: the requests are the highest count (the
 * proxy also sees requests it refused itself), and the track is as healthy as
 * its worst view: lowest success ratio, highest p99.
 */
export function combineSources(
  sources: Readonly<Partial<Record<MetricSource, SourceFigures>>>,
): TrackMeasurement {
  const figures = Object.values(sources).filter((f): f is SourceFigures => f !== undefined);
  const requests = Math.max(0, ...figures.map((f) => f.requests));
  const ratios = figures
    .filter((f) => f.requests > 0)
    .map((f) => Math.min(1, Math.max(0, 1 - f.errors / f.requests)));
  const p99s = figures.map((f) => f.p99Seconds).filter((p): p is number => p !== null);
  return {
    requests,
    successRatio: ratios.length === 0 ? null : Math.min(...ratios),
    p99Seconds: p99s.length === 0 ? null : Math.max(...p99s),
    sources,
  };
}

/** True when a measurement of v1 can serve as the reference for the relative bounds. */
export function isConclusive(m: TrackMeasurement, bounds: Bounds): boolean {
  return m.requests >= bounds.minRequests && m.successRatio !== null && m.p99Seconds !== null;
}

const pct = (r: number) => `${(r * 100).toFixed(2)}%`;
const ms = (s: number) => `${Math.round(s * 1000)}ms`;

/**
 * Judges v2 for one interval. Too few v2 requests (or no latency data) is
 * inconclusive: no data never promotes. An absolute bound broken is a
 * failure at once. The relative bounds compare with v1 of the same
 * interval, or, when v1 got too little traffic (at v2 = 100 % it gets none),
 * with `baseline`, v1's last conclusive figures; without either the step is
 * inconclusive.
 */
export function analyzeStep(
  tracks: Readonly<Record<Track, TrackMeasurement>>,
  baseline: TrackMeasurement | undefined,
  bounds: Bounds,
): StepAnalysis {
  const { v1, v2 } = tracks;
  if (v2.requests < bounds.minRequests || v2.successRatio === null || v2.p99Seconds === null) {
    return {
      verdict: "inconclusive",
      reason: `v2 saw ${Math.round(v2.requests)} requests, fewer than ${bounds.minRequests}`,
      checks: [],
      reference: "none",
    };
  }
  const absolute: Check[] = [
    {
      name: "success",
      ok: v2.successRatio >= bounds.minSuccess,
      value: v2.successRatio,
      limit: bounds.minSuccess,
    },
    {
      name: "p99",
      ok: v2.p99Seconds <= bounds.maxP99Seconds,
      value: v2.p99Seconds,
      limit: bounds.maxP99Seconds,
    },
  ];
  const failedAbsolute = absolute.filter((c) => !c.ok);
  if (failedAbsolute.length > 0) {
    return {
      verdict: "fail",
      reason: failedAbsolute.map(describe).join("; "),
      checks: absolute,
      reference: "none",
    };
  }
  const current = isConclusive(v1, bounds);
  const reference = current ? v1 : baseline;
  if (reference?.successRatio == null || reference.p99Seconds === null) {
    return {
      verdict: "inconclusive",
      reason: `v1 saw ${Math.round(v1.requests)} requests and there is no earlier v1 baseline to compare with`,
      checks: absolute,
      reference: "none",
    };
  }
  const relative: Check[] = [
    {
      name: "success-vs-v1",
      ok: v2.successRatio >= reference.successRatio - bounds.maxSuccessDrop,
      value: v2.successRatio,
      limit: reference.successRatio - bounds.maxSuccessDrop,
    },
    {
      name: "p99-vs-v1",
      ok:
        v2.p99Seconds <=
        Math.max(
          bounds.maxP99Ratio * reference.p99Seconds,
          reference.p99Seconds + bounds.p99SlackSeconds,
        ),
      value: v2.p99Seconds,
      limit: Math.max(
        bounds.maxP99Ratio * reference.p99Seconds,
        reference.p99Seconds + bounds.p99SlackSeconds,
      ),
    },
  ];
  const checks = [...absolute, ...relative];
  const failed = checks.filter((c) => !c.ok);
  return {
    verdict: failed.length === 0 ? "pass" : "fail",
    reason:
      failed.length === 0
        ? `v2 within bounds (vs ${current ? "v1 now" : "v1 baseline"})`
        : failed.map(describe).join("; "),
    checks,
    reference: current ? "current" : "baseline",
  };
}

function describe(check: Check): string {
  switch (check.name) {
    case "success":
      return `v2 success ${pct(check.value)} < ${pct(check.limit)}`;
    case "success-vs-v1":
      return `v2 success ${pct(check.value)} < v1's minus drop ${pct(check.limit)}`;
    case "p99":
      return `v2 p99 ${ms(check.value)} > ${ms(check.limit)}`;
    case "p99-vs-v1":
      return `v2 p99 ${ms(check.value)} > v1-relative limit ${ms(check.limit)}`;
  }
}
