// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON
/**
 * A second `kubectl apply -f dist` must report every object `unchanged`, so
 * GitOps tools show no permanent diff. kubectl compares what it sends with
 * what the server returns; a field the server drops (an empty list, a
 * zero it never stores) or returns in another form (`1024Mi` as `1Gi`)
 * would look changed on every apply. The rules live in
 * charts/lib/server-defaults.ts (with the list of dropped values and why);
 * this file runs them on every document in dist/ and on a synth with
 * unusual but valid quantities, and shows each rule can fail.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { idOf, readManifests } from "../charts/lib/checks.js";
import { reapplyDiffs, SERVER_DROPPED_VALUES } from "../charts/lib/server-defaults.js";

const root = resolve(import.meta.dirname, "..");
const docs: any[] = readManifests(join(root, "dist")).map((e) => e.doc);
const diffsOf = (documents: any[]) =>
  documents.flatMap((doc) => reapplyDiffs(doc).map((p) => `${idOf(doc)}: ${p}`));

describe("dist/ re-applied", () => {
  it("has no field the server drops or rewrites, in any document", () => {
    expect(docs.length).toBeGreaterThan(40);
    expect(diffsOf(docs)).toEqual([]);
  });

  it("has none of the fields a real API server dropped from earlier dist/ versions", () => {
    const text = JSON.stringify(docs);
    for (const field of ['"externalIPs":[]', '"minReadySeconds":0', '"hostNetwork":false']) {
      expect(text).not.toContain(field);
    }
  });

  it("writes the StatefulSet's claim template as the server returns it", () => {
    const redis = docs.find((d) => d.kind === "StatefulSet" && d.metadata.name === "redis");
    expect(redis.spec.volumeClaimTemplates[0]).toMatchObject({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      spec: { volumeMode: "Filesystem" },
      status: { phase: "Pending" },
    });
  });
});

describe("the re-apply rules can fail", () => {
  const base = () =>
    structuredClone(
      docs.find((d) => d.kind === "Deployment" && d.metadata.name === "userapi-v1"),
    ) as any;

  it("flags empty lists and objects, but not podSelector: {} or emptyDir: {}", () => {
    const service = structuredClone(docs.find((d) => d.kind === "Service")) as any;
    service.spec.externalIPs = [];
    service.metadata.annotations = {};
    expect(reapplyDiffs(service)).toEqual([
      "metadata.annotations: empty object (the server drops or replaces it)",
      "spec.externalIPs: empty list (the server drops it)",
    ]);
    const deny = docs.find((d) => d.kind === "NetworkPolicy" && d.metadata.name === "default-deny");
    expect(deny.spec.podSelector).toEqual({});
    expect(reapplyDiffs(deny)).toEqual([]);
    const deployment = base();
    deployment.spec.template.spec.volumes = [{ name: "scratch", emptyDir: {} }];
    expect(reapplyDiffs(deployment)).toEqual([]);
  });

  it.each(Object.entries(SERVER_DROPPED_VALUES))("flags %s: %s", (field, value) => {
    const deployment = base();
    deployment.spec.template.spec[field] = value;
    expect(reapplyDiffs(deployment)).toEqual([
      `spec.template.spec.${field}: ${String(value)} is the default the server drops`,
    ]);
  });

  it("keeps deliberate settings the server stores as sent", () => {
    const deployment = base();
    expect(deployment.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(deployment.spec.template.spec.containers[0].securityContext.privileged).toBe(false);
    expect(reapplyDiffs(deployment)).toEqual([]);
  });

  it("flags quantities the server returns in another form", () => {
    const deployment = base();
    const resources = deployment.spec.template.spec.containers[0].resources;
    resources.limits = { cpu: "1000m", memory: "1024Mi" };
    resources.requests = { cpu: "0.1", memory: "128M" };
    expect(reapplyDiffs(deployment).sort()).toEqual(
      [
        "spec.template.spec.containers[0].resources.limits.cpu: 1000m is returned by the server as 1",
        "spec.template.spec.containers[0].resources.limits.memory: 1024Mi is returned by the server as 1Gi",
        "spec.template.spec.containers[0].resources.requests.cpu: 0.1 is returned by the server as 100m",
        "spec.template.spec.containers[0].resources.requests.memory: 128M is not a quantity form this check knows (use m or a whole number for CPU, Mi/Gi/Ti for sizes)",
      ].sort(),
    );
  });

  it("leaves Istio's custom resources alone (stored as sent)", () => {
    const rule = docs.find((d) => d.kind === "DestinationRule");
    expect(reapplyDiffs({ ...rule, spec: { ...rule.spec, exportTo: [] } })).toEqual([]);
  });
});

describe("a synth with quantities written the long way", () => {
  const out = mkdtempSync(join(tmpdir(), "userapi-reapply-"));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("still writes every quantity in canonical form", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "charts/main.ts"], {
      cwd: root,
      env: {
        USERAPI_OUTDIR: out,
        USERAPI_CPU_REQUEST: "0.25",
        USERAPI_CPU_LIMIT: "1000m",
        USERAPI_MEMORY_REQUEST: "512Mi",
        USERAPI_MEMORY_LIMIT: "1024Mi",
        USERAPI_REDIS_CPU_LIMIT: "2",
        USERAPI_REDIS_MEMORY_LIMIT: "2048Mi",
        USERAPI_REDIS_STORAGE_SIZE: "1024Mi",
      },
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const synthesized: any[] = readManifests(out).map((e) => e.doc);
    expect(diffsOf(synthesized)).toEqual([]);
    const api = synthesized.find((d) => d.metadata.name === "userapi-v1");
    expect(api.spec.template.spec.containers[0].resources).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    const redis = synthesized.find((d) => d.kind === "StatefulSet");
    expect(redis.spec.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("1Gi");
  }, 60_000);
});
