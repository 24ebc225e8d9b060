/**
 * imports/ is generated, never hand-edited: re-running the recipe
 * (charts/import-crds.ts) on the Istio 1.30.3 CRD bundle reproduces it byte
 * for byte (`npm run imports:check`, which needs the CRD file), and
 * cdk8s.yaml names the upstream URL of that same bundle.
 */
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { KEPT_MODULES, pinnedCrdSource } from "../charts/import-crds.js";

const root = resolve(import.meta.dirname, "..");

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
});
