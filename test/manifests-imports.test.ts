/**
 * imports/ is generated, never hand-edited: re-running the recipe
 * (charts/import-crds.ts) on the Istio 1.30.3 CRD bundle reproduces it byte
 * for byte, and cdk8s.yaml names the upstream URL of that same bundle.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { importCrds, KEPT_MODULES, pinnedCrdSource } from "../charts/import-crds.js";

const root = resolve(import.meta.dirname, "..");
const crdFile = resolve(root, "..", "shared", "istio", "crd-all.gen.yaml");

describe("imports/", () => {
  it("holds only the kept Istio API groups", () => {
    expect(readdirSync(join(root, "imports")).sort()).toEqual(
      KEPT_MODULES.map((m) => `${m}.ts`).sort(),
    );
  });

  it("is re-imported from the Istio 1.30.3 CRD bundle named in cdk8s.yaml", () => {
    expect(pinnedCrdSource(root)).toBe(
      "https://raw.githubusercontent.com/istio/istio/1.30.3/manifests/charts/base/files/crd-all.gen.yaml",
    );
  });

  it.runIf(existsSync(crdFile))(
    "equals a fresh `cdk8s import` of the local copy of that bundle",
    { timeout: 60_000 },
    () => {
      const out = mkdtempSync(join(tmpdir(), "userapi-imports-"));
      try {
        const written = importCrds(crdFile, out, root);
        expect(written.sort()).toEqual(readdirSync(join(root, "imports")).sort());
        for (const file of written) {
          expect(
            readFileSync(join(out, file), "utf8") ===
              readFileSync(join(root, "imports", file), "utf8"),
            file,
          ).toBe(true);
        }
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    },
  );
});
