import { describe, expect, it } from "vitest";
import {
  analyzeStep,
  type Bounds,
  combineSources,
  type SourceFigures,
  type TrackMeasurement,
  type Verdict,
} from "./analysis.js";

const BOUNDS: Bounds = {
  minRequests: 50,
  minSuccess: 0.99,
  maxP99Seconds: 0.5,
  maxSuccessDrop: 0.01,
  maxP99Ratio: 2,
  p99SlackSeconds: 0.05,
};

/** A track measured by the app alone: requests, 5xx, p99 in ms. */
function track(requests: number, errors: number, p99Ms: number | null): TrackMeasurement {
  return combineSources({
    app: { requests, errors, p99Seconds: p99Ms === null ? null : p99Ms / 1000 },
  });
}

describe("analyzeStep", () => {
  const cases: [
    string,
    TrackMeasurement,
    TrackMeasurement,
    TrackMeasurement | undefined,
    Verdict,
    RegExp,
  ][] = [
    [
      "healthy v2, like v1",
      track(300, 0, 20),
      track(100, 0, 22),
      undefined,
      "pass",
      /within bounds \(vs v1 now\)/,
    ],
    [
      "v2 at exactly the absolute bounds",
      track(300, 0, 400),
      track(100, 1, 500),
      undefined,
      "pass",
      /within/,
    ],
    [
      "no traffic at all",
      track(0, 0, null),
      track(0, 0, null),
      undefined,
      "inconclusive",
      /v2 saw 0 requests, fewer than 50/,
    ],
    [
      "v2 one request short",
      track(300, 0, 20),
      track(49, 0, 20),
      undefined,
      "inconclusive",
      /saw 49/,
    ],
    [
      "v2 requests but no latency data",
      track(300, 0, 20),
      track(60, 0, null),
      undefined,
      "inconclusive",
      /saw 60/,
    ],
    [
      "v2 below the absolute success bound",
      track(300, 0, 20),
      track(100, 2, 20),
      undefined,
      "fail",
      /v2 success 98\.00% < 99\.00%/,
    ],
    [
      "v2 above the absolute p99 bound",
      track(300, 0, 20),
      track(100, 0, 501),
      undefined,
      "fail",
      /v2 p99 501ms > 500ms/,
    ],
    [
      "v2 fails absolutely even without any v1 data",
      track(0, 0, null),
      track(100, 50, 20),
      undefined,
      "fail",
      /50\.00%/,
    ],
    [
      "v2 exactly 1 point under a perfect v1 (the allowed drop)",
      track(1000, 0, 20),
      track(1000, 10, 20),
      undefined,
      "pass",
      /within/,
    ],
    [
      "v2 success 1.1 points under a perfect v1",
      track(1000, 0, 20),
      track(1000, 11, 20),
      undefined,
      "fail",
      /v2 success 98\.90% < 99\.00%/,
    ],
    [
      "v2 p99 over 2x v1 and over v1 + 50 ms",
      track(300, 0, 100),
      track(100, 0, 201),
      undefined,
      "fail",
      /v2 p99 201ms > v1-relative limit 200ms/,
    ],
    [
      "v2 p99 over 2x a fast v1 but within v1 + 50 ms",
      track(300, 0, 10),
      track(100, 0, 59),
      undefined,
      "pass",
      /within/,
    ],
    [
      "v2 p99 over v1 + 50 ms on a fast v1",
      track(300, 0, 10),
      track(100, 0, 61),
      undefined,
      "fail",
      /v1-relative limit 60ms/,
    ],
    [
      "v1 idle (v2 at 100 %): compares with the baseline",
      track(0, 0, null),
      track(400, 0, 25),
      track(300, 0, 20),
      "pass",
      /vs v1 baseline/,
    ],
    [
      "v1 idle, v2 slower than the baseline allows",
      track(0, 0, null),
      track(400, 0, 90),
      track(300, 0, 20),
      "fail",
      /limit 70ms/,
    ],
    [
      "v1 idle and no baseline",
      track(0, 0, null),
      track(400, 0, 25),
      undefined,
      "inconclusive",
      /no earlier v1 baseline/,
    ],
  ];

  it.each(cases)("%s", (_, v1, v2, baseline, verdict, reason) => {
    const analysis = analyzeStep({ v1, v2 }, baseline, BOUNDS);
    expect(analysis.verdict).toBe(verdict);
    expect(analysis.reason).toMatch(reason);
  });

  it("records every check with its value and limit", () => {
    const analysis = analyzeStep(
      { v1: track(300, 3, 100), v2: track(100, 0, 150) },
      undefined,
      BOUNDS,
    );
    expect(analysis.reference).toBe("current");
    expect(analysis.checks.map((c) => [c.name, c.ok, c.value, Number(c.limit.toFixed(4))])).toEqual(
      [
        ["success", true, 1, 0.99],
        ["p99", true, 0.15, 0.5],
        ["success-vs-v1", true, 1, 0.98],
        ["p99-vs-v1", true, 0.15, 0.2],
      ],
    );
  });
});

describe("combineSources", () => {
  const app: SourceFigures = { requests: 100, errors: 0, p99Seconds: 0.02 };
  const mesh: SourceFigures = { requests: 200, errors: 100, p99Seconds: 0.01 };

  it("takes the highest request count, the lowest success ratio and the highest p99", () => {
    expect(combineSources({ app, mesh })).toMatchObject({
      requests: 200,
      successRatio: 0.5,
      p99Seconds: 0.02,
    });
  });

  it("ignores a source without requests for the ratio, and keeps the raw figures", () => {
    const empty: SourceFigures = { requests: 0, errors: 0, p99Seconds: null };
    const combined = combineSources({ app, mesh: empty });
    expect(combined).toMatchObject({ requests: 100, successRatio: 1, p99Seconds: 0.02 });
    expect(combined.sources).toEqual({ app, mesh: empty });
  });

  it("has no ratio and no p99 without data", () => {
    expect(combineSources({})).toMatchObject({ requests: 0, successRatio: null, p99Seconds: null });
  });

  it("clamps extrapolated counts into a ratio from 0 to 1", () => {
    // increase() extrapolates: the 5xx series may read a little above the total.
    const odd = combineSources({ mesh: { requests: 10, errors: 10.4, p99Seconds: 0.01 } });
    expect(odd.successRatio).toBe(0);
  });
});
