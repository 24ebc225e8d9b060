/**
 * Every document of dist/ parses and validates against its schema:
 * Kubernetes kinds with kubernetes-models, Istio kinds with
 * @kubernetes-models/istio (v1 APIs). Those validators ignore unknown
 * fields, so Istio documents are also walked against the CRD's own
 * openAPIV3Schema (Istio 1.30.3, ../shared/istio) to catch misspelt fields.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import * as istio from "@kubernetes-models/istio";
import * as kubernetes from "kubernetes-models";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { idOf, readManifests } from "../charts/lib/checks.js";

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

interface Schema {
  readonly type?: string;
  readonly properties?: Record<string, Schema>;
  readonly additionalProperties?: Schema | boolean;
  readonly items?: Schema;
  readonly "x-kubernetes-preserve-unknown-fields"?: boolean;
}

/** Paths of fields in `value` that `schema` does not declare. */
function unknownFields(value: unknown, schema: Schema, path: string): string[] {
  if (schema["x-kubernetes-preserve-unknown-fields"]) return [];
  if (Array.isArray(value)) {
    return schema.items
      ? value.flatMap((item, i) => unknownFields(item, schema.items as Schema, `${path}[${i}]`))
      : [];
  }
  if (typeof value !== "object" || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => {
    const declared = schema.properties?.[key];
    if (declared) return unknownFields(child, declared, `${path}.${key}`);
    if (typeof schema.additionalProperties === "object") {
      return unknownFields(child, schema.additionalProperties, `${path}.${key}`);
    }
    return schema.additionalProperties === true ? [] : [`${path}.${key}`];
  });
}

const crdFile = resolve(root, "..", "shared", "istio", "crd-all.gen.yaml");

describe.runIf(existsSync(crdFile))("dist/ Istio documents against the Istio 1.30.3 CRDs", () => {
  const schemas = new Map<string, Schema>();
  // describe.runIf still collects this body, so read the file only when it exists.
  const crdText = existsSync(crdFile) ? readFileSync(crdFile, "utf8") : "";
  for (const document of parseAllDocuments(crdText)) {
    const crd = document.toJS() as {
      spec?: {
        group: string;
        names: { kind: string };
        versions: { name: string; schema: { openAPIV3Schema: Schema } }[];
      };
    } | null;
    if (!crd?.spec) continue;
    for (const version of crd.spec.versions) {
      schemas.set(
        `${crd.spec.group}/${version.name} ${crd.spec.names.kind}`,
        version.schema.openAPIV3Schema,
      );
    }
  }
  const istioDocs = entries.filter((e) => e.doc.apiVersion.includes("istio.io"));

  it.each(istioDocs.map((e) => [idOf(e.doc), e.doc] as const))(
    "%s declares only known fields",
    (_, doc) => {
      const schema = schemas.get(`${doc.apiVersion} ${doc.kind}`);
      expect(schema, `no CRD for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
      expect(unknownFields({ spec: doc.spec }, schema as Schema, doc.kind)).toEqual([]);
    },
  );

  it("reports a misspelt field (the walker is live)", () => {
    const schema = schemas.get("networking.istio.io/v1 DestinationRule") as Schema;
    const doc = {
      spec: { host: "a", trafficPolicy: { outlierDetection: { consecutive5XxErrors: 1 } } },
    };
    expect(unknownFields(doc, schema, "DestinationRule")).toEqual([
      "DestinationRule.spec.trafficPolicy.outlierDetection.consecutive5XxErrors",
    ]);
  });
});
