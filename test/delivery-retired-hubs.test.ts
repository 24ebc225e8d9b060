/**
 * Istio's images come from docker.io/istio, the one registry Istio keeps
 * publishing to (1.31+). Its older registries are being retired (one stops
 * serving on 2027-01-01): no tracked file of the repository may name them, so
 * neither the scripts, the README nor a copied snippet sends anyone there.
 * This file is the one exception, as it names what it looks for.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { libValues, ROOT, readmeKindSequence, tempFolders } from "./support/kind-fakes.js";

const RETIRED_HUBS = ["gcr.io/istio-release", "registry.istio.io"] as const;
const SELF = relative(ROOT, import.meta.filename);

/** Files git tracks (the committed tree plus staged additions). */
function trackedFiles(): string[] {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: ROOT, encoding: "utf8" })
      .split("\0")
      .filter(Boolean);
  } catch (error) {
    throw new Error(`git ls-files failed (run the tests in a git checkout): ${String(error)}`);
  }
}

/** `file: hub` for every retired hub named in one of `files` (case-insensitive). */
function retiredHubMentions(root: string, files: readonly string[]): string[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(join(root, file), "latin1").toLowerCase();
    } catch {
      return []; // tracked but deleted in the working tree
    }
    return RETIRED_HUBS.filter((hub) => text.includes(hub)).map((hub) => `${file}: ${hub}`);
  });
}

describe("retired Istio image registries", () => {
  const files = trackedFiles();

  it("are named by no tracked file but this test", () => {
    expect(files.length).toBeGreaterThan(50);
    expect(files).toContain(SELF);
    expect(
      retiredHubMentions(
        ROOT,
        files.filter((f) => f !== SELF),
      ),
    ).toEqual([]);
  });

  it("the scan is live: it finds a planted mention in any case, in text or binary files", () => {
    const { temp, cleanupAll } = tempFolders();
    try {
      const dir = temp("hubs");
      writeFileSync(join(dir, "install.sh"), "istioctl install --set hub=GCR.io/Istio-Release\n");
      writeFileSync(
        join(dir, "blob.bin"),
        Buffer.from([0, 255, ...Buffer.from("registry.istio.io")]),
      );
      writeFileSync(join(dir, "clean.md"), "images from docker.io/istio\n");
      expect(retiredHubMentions(dir, ["install.sh", "blob.bin", "clean.md"])).toEqual([
        "install.sh: gcr.io/istio-release",
        "blob.bin: registry.istio.io",
      ]);
    } finally {
      cleanupAll();
    }
  });

  it("the scripts and the README's install command use docker.io/istio", () => {
    expect(libValues(["ISTIO_HUB"]).ISTIO_HUB).toBe("docker.io/istio");
    const install = readmeKindSequence(readFileSync(join(ROOT, "README.md"), "utf8")).find((l) =>
      l.startsWith("istioctl install"),
    );
    expect(install).toContain(" --set hub=docker.io/istio ");
  });
});
