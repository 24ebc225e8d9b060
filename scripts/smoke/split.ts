/**
 * The statistics of the traffic-split check, kept pure so they are unit-tested.
 *
 * Each request without `x-version` is an independent trial that lands on v1
 * with probability p = v1Weight / 100, so the v1 count over N requests is
 * Binomial(N, p): mean N·p, standard deviation sqrt(N·p·(1−p)). The check
 * accepts |observed − N·p| ≤ Z·sqrt(N·p·(1−p)) (normal approximation).
 * Z = 3.89 is the two-sided 0.01% quantile: a correctly configured mesh fails
 * the check about once in 10,000 runs, while a wrong split (e.g. 50/50 when
 * 25/75 is expected) fails it almost surely once N is a few hundred.
 */

/** Two-sided z-score for a false-failure rate of 1e-4. */
export const Z_SCORE = 3.89;

export const TRACKS = ["v1", "v2"] as const;
export type Track = (typeof TRACKS)[number];

export interface SplitBand {
  readonly expected: number;
  readonly tolerance: number;
  readonly min: number;
  readonly max: number;
}

/** Accepted range of v1 answers among `total` requests when v1 has `v1Weight`%. */
export function splitBand(total: number, v1Weight: number, z = Z_SCORE): SplitBand {
  if (!Number.isInteger(total) || total < 1)
    throw new RangeError("total must be a positive integer");
  if (v1Weight < 0 || v1Weight > 100) throw new RangeError("v1Weight must be within 0–100");
  const p = v1Weight / 100;
  const expected = total * p;
  const tolerance = z * Math.sqrt(total * p * (1 - p));
  return {
    expected,
    tolerance,
    min: Math.max(0, Math.ceil(expected - tolerance)),
    max: Math.min(total, Math.floor(expected + tolerance)),
  };
}

export interface SplitVerdict {
  readonly ok: boolean;
  readonly band: SplitBand;
  readonly counts: Readonly<Record<Track, number>>;
  /** Answers whose x-app-version was neither v1 nor v2 (missing header included). */
  readonly unknown: Readonly<Record<string, number>>;
  readonly message: string;
}

/** Judges the `x-app-version` values answered to requests sent without `x-version`. */
export function judgeSplit(versions: readonly string[], v1Weight: number): SplitVerdict {
  const counts: Record<Track, number> = { v1: 0, v2: 0 };
  const unknown: Record<string, number> = {};
  for (const version of versions) {
    if (version === "v1" || version === "v2") counts[version]++;
    else unknown[version] = (unknown[version] ?? 0) + 1;
  }
  const band = splitBand(versions.length, v1Weight);
  const inBand = counts.v1 >= band.min && counts.v1 <= band.max;
  const unknownCount = Object.values(unknown).reduce((sum, n) => sum + n, 0);
  const ok = inBand && unknownCount === 0;
  const pct = (n: number) => ((100 * n) / versions.length).toFixed(1);
  const parts = [
    `v1 ${counts.v1} (${pct(counts.v1)}%), v2 ${counts.v2} (${pct(counts.v2)}%) of ${versions.length};`,
    `expected v1 ${band.expected.toFixed(1)} ± ${band.tolerance.toFixed(1)} (accepts ${band.min}–${band.max}, z=${Z_SCORE})`,
  ];
  if (unknownCount > 0) {
    parts.push(
      `; ${unknownCount} answer(s) from no known track: ${Object.entries(unknown)
        .map(([v, n]) => `${JSON.stringify(v)}×${n}`)
        .join(", ")}`,
    );
  }
  return { ok, band, counts, unknown, message: parts.join(" ") };
}

export interface PinnedVerdict {
  readonly ok: boolean;
  readonly message: string;
}

/** Every request sent with `x-version: track` must be answered by that track. */
export function judgePinned(track: Track, versions: readonly string[]): PinnedVerdict {
  const wrong = versions.filter((v) => v !== track);
  if (versions.length === 0) return { ok: false, message: "no answers" };
  if (wrong.length === 0)
    return { ok: true, message: `${versions.length}/${versions.length} answered by ${track}` };
  const seen = [...new Set(wrong)].map((v) => JSON.stringify(v)).join(", ");
  return {
    ok: false,
    message: `${wrong.length}/${versions.length} answered by another track (${seen})`,
  };
}
