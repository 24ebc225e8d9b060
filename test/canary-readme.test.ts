/**
 * README "Canary releases" against the code: the exit codes, the defaults
 * of the bounds, and the one-line manual rollback, which must turn the
 * committed VirtualService into the one the canary applies for v1 100 %.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { JsonPatch } from "cdk8s";
import { describe, expect, it } from "vitest";
import { readManifests } from "../charts/lib/checks.js";
import { virtualServiceManifests } from "../scripts/canary/kubernetes-splitter.js";
import { DEFAULTS, EXIT, parseCanaryArgs } from "../scripts/canary/options.js";
import { ROOT } from "./support/kind-fakes.js";

const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const start = readme.indexOf("## Canary releases");
const section = readme.slice(start, readme.indexOf("\n## ", start + 1));

describe("README: Canary releases", () => {
  it("exists and is linked from the configuration table", () => {
    expect(start).toBeGreaterThan(0);
    expect(readme).toContain("(#canary-releases)");
  });

  it("lists every exit code of npm run canary, with its meaning", () => {
    const rows = [...section.matchAll(/^\| (\d) \| ([^|]+) \|/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows.map((r) => r[0])).toEqual(Object.values(EXIT).sort());
    const meaning = Object.fromEntries(rows);
    expect(meaning[EXIT.promoted]).toMatch(/^promoted/);
    expect(meaning[EXIT.rolledBack]).toMatch(/^rolled back/);
    expect(meaning[EXIT.usage]).toMatch(/^bad usage/);
    expect(meaning[EXIT.inconclusive]).toMatch(/inconclusive/);
    expect(meaning[EXIT.analysisFailed]).toMatch(/Prometheus/);
    expect(meaning[EXIT.interrupted]).toMatch(/^interrupted/);
    expect(meaning[EXIT.rollbackFailed]).toMatch(/by hand/);
  });

  it("states the defaults the options really have", () => {
    const parsed = parseCanaryArgs([]);
    if ("help" in parsed) throw new Error("unexpected help");
    expect(section).toContain(
      `| success ratio (non-5xx share) at least | ${DEFAULTS.minSuccess} | \`--min-success\` |`,
    );
    expect(section).toContain(`| p99 at most | ${parsed.maxP99} ms | \`--max-p99\` |`);
    expect(section).toContain(`| success ratio at least v1's minus | ${DEFAULTS.maxSuccessDrop} |`);
    expect(section).toContain(`F = ${DEFAULTS.maxP99Ratio}, S = ${parsed.p99Slack} ms`);
    expect(section).toContain(
      `| requests in the interval for a verdict | ${DEFAULTS.minRequests} |`,
    );
    expect(section).toContain(
      `| inconclusive intervals before aborting | ${DEFAULTS.maxInconclusive} (whole rollout) |`,
    );
    expect(section).toContain(`(\`--interval\`, ${parsed.interval / 1000} s)`);
    expect(section).toContain(`(\`--scrape-interval\`, ${parsed.scrapeInterval / 1000} s,`);
    expect(section).toContain(
      `v2 at ${DEFAULTS.steps.split(",").slice(0, 3).join(", ")}, then 100 %`,
    );
  });

  it("gives a one-line kubectl rollback that yields the canary's v1-only VirtualService", () => {
    const line = section
      .split("\n")
      .find((l) => l.startsWith("kubectl -n userapi patch virtualservice"));
    expect(line).toBeDefined();
    const ops = JSON.parse(/-p '(.+)'$/.exec(line ?? "")?.[1] ?? "[]") as {
      op: "test" | "replace";
      path: string;
      value: unknown;
    }[];
    const committed = readManifests(join(ROOT, "dist"))
      .map((e) => e.doc)
      .find((d) => d.kind === "VirtualService" && d.metadata.name === "userapi-ingress");
    const patched = JsonPatch.apply(
      committed,
      ...ops.map((o) =>
        o.op === "test" ? JsonPatch.test(o.path, o.value) : JsonPatch.replace(o.path, o.value),
      ),
    );
    expect(patched).toEqual(virtualServiceManifests({}, { v1: 100, v2: 0 })[0]);
    // The guard is live: on a table without the split at index 2, the patch fails.
    // biome-ignore lint/suspicious/noExplicitAny: a parsed manifest
    const reordered: any = structuredClone(committed);
    reordered.spec.http.reverse();
    expect(() =>
      JsonPatch.apply(
        reordered,
        ...ops.map((o) =>
          o.op === "test" ? JsonPatch.test(o.path, o.value) : JsonPatch.replace(o.path, o.value),
        ),
      ),
    ).toThrow();
  });
});
