/**
 * dist/ is committed and must be exactly what `npm run synth` writes: a
 * fresh synth into a temp folder equals dist/ byte for byte, and two synths
 * are identical (no timestamps, no random names, stable order).
 */
import { execFileSync, spawnSync } from "node:child_process";
import {
  copyFileSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../charts/config.js";
import { CHART_IDS } from "../charts/userapi-app.js";

const root = resolve(import.meta.dirname, "..");
const dist = join(root, "dist");
const temps: string[] = [];

/** Runs the real synth entry with only the given chart variables set. */
function synthInto(outdir: string, vars: Record<string, string> = {}): void {
  // A minimal environment: only the variables under test reach the chart config.
  execFileSync(process.execPath, ["--import", "tsx", "charts/main.ts"], {
    cwd: root,
    env: { ...vars, USERAPI_OUTDIR: outdir },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "userapi-synth-"));
  temps.push(dir);
  return dir;
}

function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name), "utf8")]),
  );
}

afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

describe("dist/", () => {
  const first = tempDir();
  const second = tempDir();
  beforeAll(() => {
    synthInto(first);
    synthInto(second);
  });

  it("equals a fresh synth byte for byte (run `npm run synth` and commit dist/)", () => {
    expect(snapshot(first)).toEqual(snapshot(dist));
  });

  it("is reproducible: two synths are identical", () => {
    expect(snapshot(second)).toEqual(snapshot(first));
  });

  it("holds only manifest files, no subfolders, namespace file first", () => {
    const names = readdirSync(dist).sort();
    for (const name of names) {
      expect(statSync(join(dist, name)).isFile(), name).toBe(true);
      expect(name).toMatch(/^\d\d-[a-z0-9-]+\.k8s\.yaml$/);
    }
    expect(names[0]).toBe(`${CHART_IDS.namespace}.k8s.yaml`);
    expect(readFileSync(join(dist, names[0] ?? ""), "utf8")).toMatch(
      /^apiVersion: v1\nkind: Namespace\n/,
    );
    expect(names).toContain(`${CHART_IDS.userapi}.k8s.yaml`);
  });

  it("has no timestamps or generated ids", () => {
    for (const [name, text] of Object.entries(snapshot(dist))) {
      expect(text, name).not.toMatch(/creationTimestamp|\d{4}-\d\d-\d\dT\d\d:\d\d/);
      expect(text, name).not.toMatch(/-c8[0-9a-f]{6,}\b/);
    }
  });

  it("is cleared before synth: a stale manifest in the output folder disappears", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "99-stale.k8s.yaml"), "kind: Stale\n");
    synthInto(dir);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(snapshot(dist)).sort());
  });

  it("refuses a folder holding files it did not write, and deletes nothing there", () => {
    const dir = tempDir();
    writeFileSync(join(dir, "10-monitoring.k8s.yaml"), "kind: Stale\n");
    writeFileSync(join(dir, "keep.txt"), "not a manifest");
    const run = spawnSync(process.execPath, ["--import", "tsx", "charts/main.ts"], {
      cwd: root,
      env: { USERAPI_OUTDIR: dir },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toContain(`refusing to synth into ${dir}`);
    expect(run.stderr).toContain("keep.txt");
    expect(readdirSync(dir).sort()).toEqual(["10-monitoring.k8s.yaml", "keep.txt"]);
    expect(readFileSync(join(dir, "10-monitoring.k8s.yaml"), "utf8")).toBe("kind: Stale\n");
  });

  it("USERAPI_OUTDIR=. in a copy of the project: exit 1, every project file kept", () => {
    const project = tempDir();
    const files = [
      "package.json",
      "package-lock.json",
      "tsconfig.json",
      "compose.yaml",
      "cdk8s.yaml",
      "biome.json",
    ];
    for (const file of files) copyFileSync(join(root, file), join(project, file));
    const before = snapshot(project);
    // The real synth entry and the same npm script command, run from the copy.
    const tsx = import.meta.resolve("tsx");
    const run = spawnSync(process.execPath, ["--import", tsx, join(root, "charts/main.ts")], {
      cwd: project,
      env: { USERAPI_OUTDIR: "." },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(1);
    expect(run.stderr).toMatch(
      /^refusing to synth into \.: it holds 6 file\(s\) synth did not write/,
    );
    expect(run.stderr).toContain("Nothing was deleted");
    expect(snapshot(project)).toEqual(before);
  });

  it("follows the configuration (the kind CI variant)", () => {
    const dir = tempDir();
    synthInto(dir, {
      USERAPI_IMAGE: "userapi",
      USERAPI_TAG: "ci",
      USERAPI_V1_WEIGHT: "50",
      USERAPI_V2_WEIGHT: "50",
    });
    const text = readFileSync(join(dir, `${CHART_IDS.userapi}.k8s.yaml`), "utf8");
    expect(text).toContain("image: userapi:ci");
    expect(text).not.toContain(`image: ${DEFAULTS.image}:${DEFAULTS.tag}`);
    // The split route of the one (ingress) VirtualService.
    expect(text.match(/weight: 50/g)).toHaveLength(2);
  });
});
