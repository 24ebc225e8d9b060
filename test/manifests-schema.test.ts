/**
 * Every document of dist/ parses and validates against its schema:
 * Kubernetes kinds with kubernetes-models, Istio kinds with
 * @kubernetes-models/istio (v1 APIs). Those validators ignore unknown
 * fields, so Istio documents are also walked against the fields the Istio
 * 1.30.3 CRDs declare, as listed by the constructs generated from them
 * (imports/), to catch misspelt fields without needing the CRD file.
 */
import { join, resolve } from "node:path";
import * as istio from "@kubernetes-models/istio";
import * as kubernetes from "kubernetes-models";
import { describe, expect, it } from "vitest";
import { KEPT_MODULES } from "../charts/import-crds.js";
import { idOf, readManifests } from "../charts/lib/checks.js";
import * as networking from "../imports/networking.istio.io.js";
import * as security from "../imports/security.istio.io.js";
import { readImports, structIndex, unknownFields } from "./support/istio-fields.js";

const root = resolve(import.meta.dirname, "..");
const entries = readManifests(join(root, "dist"));

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: unknown): { validate(): void };
}

/** Every model class of a kubernetes-models package, keyed by `apiVersion kind`. */
function registry(...modules: unknown[]): Map<string, ModelClass> {
  const found = new Map<string, ModelClass>();
  const seen = new Set<unknown>();
  const walk = (value: unknown): void => {
    if (
      value === null ||
      (typeof value !== "object" && typeof value !== "function") ||
      seen.has(value)
    )
      return;
    seen.add(value);
    if (typeof value === "function") {
      const model = value as Partial<ModelClass>;
      if (typeof model.apiVersion === "string" && typeof model.kind === "string") {
        found.set(`${model.apiVersion} ${model.kind}`, value as ModelClass);
      }
      return;
    }
    for (const child of Object.values(value)) walk(child);
  };
  for (const module of modules) walk(module);
  return found;
}

const models = registry(kubernetes, istio);

describe("dist/ schema", () => {
  it("has documents to check", () => {
    expect(entries.length).toBeGreaterThan(20);
    expect(models.has("apps/v1 Deployment")).toBe(true);
    expect(models.has("networking.istio.io/v1 VirtualService")).toBe(true);
  });

  it.each(entries.map((e) => [`${e.file} ${idOf(e.doc)}`, e.doc] as const))(
    "%s validates",
    (_, doc) => {
      const Model = models.get(`${doc.apiVersion} ${doc.kind}`);
      expect(Model, `no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(() => new (Model as ModelClass)(doc).validate()).not.toThrow();
      expect(doc.metadata.name).toMatch(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/);
    },
  );

  it("catches a wrong type (the validator is live)", () => {
    const Model = models.get("apps/v1 Deployment") as ModelClass;
    const broken = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "x" },
      spec: { replicas: "two" },
    };
    expect(() => new Model(broken).validate()).toThrow(/replicas/);
  });

  it("uses only the v1 Istio APIs", () => {
    const istioDocs = entries.filter((e) => e.doc.apiVersion.includes("istio.io"));
    expect(istioDocs.length).toBeGreaterThan(0);
    for (const { doc } of istioDocs)
      expect(doc.apiVersion, idOf(doc)).toMatch(/^(networking|security)\.istio\.io\/v1$/);
  });
});

/** `apiVersion kind` → the struct of its spec in the generated constructs (v1 classes only). */
const SPEC_STRUCTS: Record<string, string> = Object.fromEntries(
  [...Object.values(networking as object), ...Object.values(security as object)]
    .filter(
      (value: unknown): value is { name: string; GVK: { apiVersion: string; kind: string } } =>
        typeof value === "function" && "GVK" in value,
    )
    .map((cls) => [`${cls.GVK.apiVersion} ${cls.GVK.kind}`, `${cls.name}Spec`]),
);

describe("dist/ Istio documents against the fields of the Istio 1.30.3 CRDs", () => {
  // imports/ is generated from those CRDs; its toJson_ functions list every declared field.
  const index = structIndex(readImports(root, KEPT_MODULES));
  const istioDocs = entries.filter((e) => e.doc.apiVersion.includes("istio.io"));

  it.each(istioDocs.map((e) => [idOf(e.doc), e.doc] as const))(
    "%s declares only known fields",
    (_, doc) => {
      const struct = SPEC_STRUCTS[`${doc.apiVersion} ${doc.kind}`];
      expect(struct, `no generated construct for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(unknownFields(doc.spec, struct as string, index, `${doc.kind}.spec`)).toEqual([]);
    },
  );

  it("reports a misspelt field, also inside arrays and maps (the walker is live)", () => {
    const spec = {
      host: "a",
      trafficPolicy: { outlierDetection: { consecutive5XxErrors: 1 } },
      subsets: [
        { name: "v1", labels: { version: "v1" }, trafficPolicy: { tls: { mod: "ISTIO_MUTUAL" } } },
      ],
    };
    expect(unknownFields(spec, "DestinationRuleSpec", index, "DestinationRule.spec")).toEqual([
      "DestinationRule.spec.trafficPolicy.outlierDetection.consecutive5XxErrors",
      "DestinationRule.spec.subsets[0].trafficPolicy.tls.mod",
    ]);
    const route = { http: [{ match: [{ headers: { "x-version": { exac: "v1" } } }] }] };
    expect(unknownFields(route, "VirtualServiceSpec", index, "VirtualService.spec")).toEqual([
      "VirtualService.spec.http[0].match[0].headers.x-version.exac",
    ]);
  });
});
