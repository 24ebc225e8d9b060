import { ApiObject, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { restrictedViolations } from "./checks.js";
import {
  API_IDENTITY,
  applyRestrictedSecurity,
  REDIS_IDENTITY,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./security.js";

describe("restricted security contexts", () => {
  it("sets every field the restricted profile checks", () => {
    expect(restrictedPodSecurityContext(API_IDENTITY)).toEqual({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: "OnRootMismatch",
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(restrictedContainerSecurityContext(REDIS_IDENTITY)).toEqual({
      runAsNonRoot: true,
      runAsUser: 10002,
      runAsGroup: 10002,
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("leaves out fsGroup when the identity has none", () => {
    const context = restrictedPodSecurityContext({ uid: 2000, gid: 2000 });
    expect(context).not.toHaveProperty("fsGroup");
    expect(context).not.toHaveProperty("fsGroupChangePolicy");
  });

  it("allows a writable root filesystem only when asked", () => {
    const context = restrictedContainerSecurityContext(API_IDENTITY, {
      readOnlyRootFilesystem: false,
    });
    expect(context.readOnlyRootFilesystem).toBe(false);
  });

  it("refuses root and Istio's sidecar uid", () => {
    expect(() => restrictedPodSecurityContext({ uid: 0, gid: 1 })).toThrow(/1337/);
    expect(() => restrictedContainerSecurityContext({ uid: 1337, gid: 1337 })).toThrow(/1337/);
  });

  it("produces pods that pass the restricted checks", () => {
    const spec = {
      securityContext: restrictedPodSecurityContext(API_IDENTITY),
      containers: [
        { name: "a", securityContext: restrictedContainerSecurityContext(API_IDENTITY) },
      ],
    };
    expect(restrictedViolations(spec)).toEqual([]);
  });
});

describe("applyRestrictedSecurity", () => {
  it("overwrites pod and container contexts of an existing object", () => {
    const chart = Testing.chart();
    const object = new ApiObject(chart, "pod", {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: {
        securityContext: { runAsNonRoot: false },
        containers: [{ name: "a", securityContext: { privileged: true } }, { name: "b" }],
      },
    });
    applyRestrictedSecurity(object, API_IDENTITY, { podSpecPath: "/spec", containers: 2 });
    const [pod] = Testing.synth(chart);
    expect(pod.spec.securityContext.seccompProfile).toEqual({ type: "RuntimeDefault" });
    expect(pod.spec.containers[0].securityContext.privileged).toBe(false);
    expect(pod.spec.containers[1].securityContext.capabilities).toEqual({ drop: ["ALL"] });
    expect(restrictedViolations(pod.spec)).toEqual([]);
  });
});
