import { describe, expect, it } from "vitest";
import { judgePinned, judgeSplit, splitBand, Z_SCORE } from "./split.js";

const answers = (v1: number, v2: number, ...others: string[]) => [
  ...Array<string>(v1).fill("v1"),
  ...Array<string>(v2).fill("v2"),
  ...others,
];

describe("splitBand", () => {
  it("centres on N·p with a tolerance of z·sqrt(N·p·(1−p))", () => {
    const band = splitBand(400, 25);
    expect(band.expected).toBe(100);
    expect(band.tolerance).toBeCloseTo(Z_SCORE * Math.sqrt(400 * 0.25 * 0.75), 10);
    expect(band.min).toBe(67);
    expect(band.max).toBe(133);
  });

  it("narrows relative to N as N grows", () => {
    const small = splitBand(100, 25);
    const large = splitBand(10_000, 25);
    expect(large.tolerance / 10_000).toBeLessThan(small.tolerance / 100);
  });

  it("accepts only the exact count when a track has weight 0 or 100", () => {
    expect(splitBand(50, 0)).toMatchObject({ min: 0, max: 0, tolerance: 0 });
    expect(splitBand(50, 100)).toMatchObject({ min: 50, max: 50, tolerance: 0 });
  });

  it("stays within 0..N", () => {
    const band = splitBand(5, 50);
    expect(band.min).toBeGreaterThanOrEqual(0);
    expect(band.max).toBeLessThanOrEqual(5);
  });

  it("rejects a non-positive request count and weights outside 0–100", () => {
    expect(() => splitBand(0, 25)).toThrow(RangeError);
    expect(() => splitBand(1.5, 25)).toThrow(RangeError);
    expect(() => splitBand(10, 101)).toThrow(RangeError);
  });

  it("uses z = 3.89, the two-sided 1e-4 quantile of the normal distribution", () => {
    // P(|Z| > 3.89) = erfc(3.89 / sqrt 2) ≈ 1.0e-4
    expect(Z_SCORE).toBe(3.89);
  });
});

describe("judgeSplit", () => {
  it("passes a 25/75 split observed as 100/300", () => {
    const verdict = judgeSplit(answers(100, 300), 25);
    expect(verdict.ok).toBe(true);
    expect(verdict.counts).toEqual({ v1: 100, v2: 300 });
    expect(verdict.message).toContain("v1 100 (25.0%)");
  });

  it("passes at both edges of the band and fails just outside", () => {
    expect(judgeSplit(answers(67, 333), 25).ok).toBe(true);
    expect(judgeSplit(answers(133, 267), 25).ok).toBe(true);
    expect(judgeSplit(answers(66, 334), 25).ok).toBe(false);
    expect(judgeSplit(answers(134, 266), 25).ok).toBe(false);
  });

  it("fails a 50/50 split when 25/75 is expected", () => {
    const verdict = judgeSplit(answers(200, 200), 25);
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toContain("accepts 67–133");
  });

  it("fails when any answer came from no known track, even if the split fits", () => {
    const verdict = judgeSplit(answers(100, 299, ""), 25);
    expect(verdict.ok).toBe(false);
    expect(verdict.unknown).toEqual({ "": 1 });
    expect(verdict.message).toContain('""×1');
  });
});

describe("judgePinned", () => {
  it("passes when every answer comes from the pinned track", () => {
    expect(judgePinned("v2", answers(0, 20))).toEqual({
      ok: true,
      message: "20/20 answered by v2",
    });
  });

  it("fails and names the intruders when one answer comes from another track", () => {
    const verdict = judgePinned("v1", answers(19, 1));
    expect(verdict.ok).toBe(false);
    expect(verdict.message).toBe('1/20 answered by another track ("v2")');
  });

  it("fails when there were no answers at all", () => {
    expect(judgePinned("v1", []).ok).toBe(false);
  });
});
