// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "./config.js";
import { findManifest, restrictedViolations } from "./lib/checks.js";
import { REDIS_PERSISTENCE_ARGS } from "./lib/redis-persistence.js";
import { Redis } from "./redis.js";

function synth(overrides: Partial<ConstructorParameters<typeof Redis>[2]> = {}) {
  const chart = Testing.chart();
  new Redis(chart, "redis", {
    image: DEFAULTS.redis.image,
    storageSize: "2Gi",
    resources: DEFAULTS.redis.resources,
    ...overrides,
  });
  return Testing.synth(chart);
}

describe("Redis", () => {
  const docs = synth();
  const sts = findManifest<any>(docs, "StatefulSet", "redis");
  const pod = sts.spec.template.spec;
  const container = pod.containers[0];

  it("creates a ServiceAccount, two Services, a StatefulSet and a PDB", () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      "PodDisruptionBudget/redis",
      "Service/redis",
      "Service/redis-headless",
      "ServiceAccount/redis",
      "StatefulSet/redis",
    ]);
  });

  it("exposes redis:6379 with an Istio TCP port name, selecting the redis pods", () => {
    const service = findManifest<any>(docs, "Service", "redis");
    expect(service.spec.ports).toEqual([
      { name: "tcp-redis", port: 6379, protocol: "TCP", targetPort: 6379 },
    ]);
    expect(service.spec.selector).toEqual({ app: "redis" });
    expect(service.spec.type).toBe("ClusterIP");
    expect(service.spec).not.toHaveProperty("externalIPs");
    const headless = findManifest<any>(docs, "Service", "redis-headless");
    expect(headless.spec.clusterIP).toBe("None");
    expect(sts.spec.serviceName).toBe("redis-headless");
  });

  it("runs one pod of the pinned image with append-only persistence", () => {
    expect(sts.spec.replicas).toBe(1);
    expect(container.image).toBe("redis:7.4.7-alpine");
    expect(container.command).toEqual(["redis-server"]);
    expect(container.args.join(" ")).toContain(REDIS_PERSISTENCE_ARGS.join(" "));
    expect(container.args.join(" ")).toContain("--appendonly yes --appendfsync everysec");
    expect(container.args.join(" ")).toContain("--dir /data");
  });

  it("keeps its data on a PersistentVolumeClaim mounted at /data", () => {
    expect(sts.spec.volumeClaimTemplates).toHaveLength(1);
    const claim = sts.spec.volumeClaimTemplates[0];
    expect(claim.metadata.name).toBe("data");
    expect(claim.spec.accessModes).toEqual(["ReadWriteOnce"]);
    expect(claim.spec.resources.requests.storage).toBe("2Gi");
    expect(claim.spec).not.toHaveProperty("storageClassName");
    // Written as the server returns the template, so a re-apply changes nothing.
    expect(claim).toMatchObject({
      apiVersion: "v1",
      kind: "PersistentVolumeClaim",
      spec: { volumeMode: "Filesystem" },
      status: { phase: "Pending" },
    });
    expect(container.volumeMounts).toContainEqual({ name: "data", mountPath: "/data" });
  });

  it("uses the given StorageClass", () => {
    const withClass = findManifest<any>(synth({ storageClass: "fast" }), "StatefulSet", "redis");
    expect(withClass.spec.volumeClaimTemplates[0].spec.storageClassName).toBe("fast");
  });

  it("passes the restricted profile with a numeric user and an fsGroup for the volume", () => {
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod.securityContext).toMatchObject({
      runAsUser: 10002,
      runAsGroup: 10002,
      fsGroup: 10002,
    });
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.serviceAccountName).toBe("redis");
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("sets requests and limits", () => {
    expect(container.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    });
  });

  it("has distinct readiness (PONG) and liveness (answers) probes plus a startup probe", () => {
    expect(container.readinessProbe.exec.command.join(" ")).toContain("grep -q PONG");
    expect(container.livenessProbe.exec.command).toEqual(["redis-cli", "-p", "6379", "ping"]);
    expect(container.readinessProbe).not.toEqual(container.livenessProbe);
    expect(
      container.startupProbe.failureThreshold * container.startupProbe.periodSeconds,
    ).toBeGreaterThanOrEqual(120);
  });

  it("labels pods app: redis and selects them with the same labels", () => {
    expect(sts.spec.template.metadata.labels).toEqual({ app: "redis" });
    expect(sts.spec.selector.matchLabels).toEqual({ app: "redis" });
    const pdb = findManifest<any>(docs, "PodDisruptionBudget", "redis");
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: { app: "redis" } } });
  });
});
