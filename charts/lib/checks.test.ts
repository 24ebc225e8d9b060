import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  findManifest,
  isPinnedImage,
  matchesLabels,
  podTemplateOf,
  readManifests,
  restrictedViolations,
} from "./checks.js";

const good = {
  securityContext: {
    runAsNonRoot: true,
    runAsUser: 10,
    seccompProfile: { type: "RuntimeDefault" },
  },
  containers: [
    {
      name: "app",
      securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
    },
  ],
};

describe("restrictedViolations", () => {
  it("accepts a pod that sets every restricted field", () => {
    expect(restrictedViolations(good)).toEqual([]);
  });

  it("names each missing or forbidden field", () => {
    const bad = {
      hostNetwork: true,
      volumes: [{ name: "host", hostPath: { path: "/" } }],
      initContainers: [{ name: "init", securityContext: { privileged: true } }],
      containers: [
        {
          name: "app",
          ports: [{ containerPort: 80, hostPort: 80 }],
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 0,
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"], add: ["NET_ADMIN"] },
            seccompProfile: { type: "Unconfined" },
          },
        },
      ],
    };
    const problems = restrictedViolations(bad);
    expect(problems).toEqual(
      expect.arrayContaining([
        "pod: hostNetwork must not be true",
        "volume host: type hostPath is not allowed",
        "container init: privileged must not be true",
        "container init: allowPrivilegeEscalation must be false",
        "container init: capabilities.drop must include ALL",
        "container init: runAsNonRoot must be true",
        "container app: capability NET_ADMIN added",
        "container app: runAsUser must be a non-zero number (images may name a user)",
        "container app: seccompProfile.type must be RuntimeDefault or Localhost",
        "container app: hostPort must not be set",
      ]),
    );
  });

  it("requires a numeric user (runAsNonRoot alone fails on images with a named USER)", () => {
    const spec = structuredClone(good) as { securityContext: Record<string, unknown> };
    delete spec.securityContext.runAsUser;
    expect(restrictedViolations(spec)).toContain(
      "container app: runAsUser must be a non-zero number (images may name a user)",
    );
  });
});

describe("helpers", () => {
  it("matches selectors against labels", () => {
    expect(matchesLabels({ app: "a" }, { app: "a", version: "v1" })).toBe(true);
    expect(matchesLabels({ app: "a", version: "v2" }, { app: "a", version: "v1" })).toBe(false);
    expect(matchesLabels({}, { app: "a" })).toBe(false);
  });

  it("tells pinned images from floating ones", () => {
    expect(isPinnedImage("redis:7.4.2-alpine")).toBe(true);
    expect(isPinnedImage("localhost:5000/userapi:ci")).toBe(true);
    expect(isPinnedImage(`userapi@sha256:${"a".repeat(64)}`)).toBe(true);
    expect(isPinnedImage("redis")).toBe(false);
    expect(isPinnedImage("localhost:5000/userapi")).toBe(false);
    expect(isPinnedImage("redis:latest")).toBe(false);
  });

  it("finds pod templates of workloads only", () => {
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "d" },
      spec: { template: { metadata: { labels: { app: "x" } }, spec: { containers: [] } } },
    };
    expect(podTemplateOf(deployment)?.metadata).toEqual({ labels: { app: "x" } });
    expect(
      podTemplateOf({ apiVersion: "v1", kind: "Service", metadata: { name: "s" } }),
    ).toBeUndefined();
  });

  it("finds exactly one object by kind and name", () => {
    const docs = [{ kind: "Service", metadata: { name: "a" } }];
    expect(findManifest(docs, "Service", "a")).toBe(docs[0]);
    expect(() => findManifest(docs, "Service", "b")).toThrow(/found 0/);
  });

  it("reads yaml files in name order, every document", () => {
    const dir = mkdtempSync(join(tmpdir(), "checks-"));
    try {
      writeFileSync(join(dir, "b.yaml"), "kind: B\nmetadata: {name: b}\n");
      writeFileSync(
        join(dir, "a.yaml"),
        "kind: A1\nmetadata: {name: a}\n---\nkind: A2\nmetadata: {name: a}\n",
      );
      writeFileSync(join(dir, "notes.txt"), "ignored");
      expect(readManifests(dir).map((e) => `${e.file}:${e.doc.kind}`)).toEqual([
        "a.yaml:A1",
        "a.yaml:A2",
        "b.yaml:B",
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
