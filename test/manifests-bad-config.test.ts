/**
 * Bad chart config stops `npm run synth` before it writes anything, with a
 * message that names the variable.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");

function synth(vars: Record<string, string>): { status: number; stderr: string; files: string[] } {
  const outdir = mkdtempSync(join(tmpdir(), "userapi-bad-"));
  writeFileSync(join(outdir, "00-namespace.k8s.yaml"), "kind: Namespace\n");
  try {
    // A minimal environment: only the variables under test reach the chart config.
    execFileSync(process.execPath, ["--import", "tsx", "charts/main.ts"], {
      cwd: root,
      env: { ...vars, USERAPI_OUTDIR: outdir },
      stdio: ["ignore", "pipe", "pipe"],
    });
    return { status: 0, stderr: "", files: readdirSync(outdir) };
  } catch (error) {
    const failure = error as { status: number; stderr: Buffer };
    return {
      status: failure.status,
      stderr: failure.stderr.toString(),
      files: readdirSync(outdir),
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

describe("npm run synth with bad config", () => {
  it("fails on weights that do not sum to 100, naming USERAPI_V2_WEIGHT", () => {
    const result = synth({ USERAPI_V1_WEIGHT: "30", USERAPI_V2_WEIGHT: "80" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("USERAPI_V2_WEIGHT: must sum to 100");
    // Nothing was cleared or written: the old output is untouched.
    expect(result.files).toEqual(["00-namespace.k8s.yaml"]);
  });

  it("fails on a negative replica count, naming USERAPI_REPLICAS", () => {
    const result = synth({ USERAPI_REPLICAS: "-3" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("USERAPI_REPLICAS: must be an integer from 1 to 50");
  });

  it("fails on an empty image, naming USERAPI_IMAGE", () => {
    const result = synth({ USERAPI_IMAGE: "" });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("USERAPI_IMAGE: must be an image repository");
  });

  it("succeeds on good config (the check above is not always failing)", () => {
    const result = synth({ USERAPI_V1_WEIGHT: "30", USERAPI_V2_WEIGHT: "70" });
    expect(result.status).toBe(0);
    expect(result.files).toContain("20-userapi.k8s.yaml");
  });
});
