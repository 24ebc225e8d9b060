// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { ApiAuthentication } from "./api-authentication.js";
import { ApiService } from "./api-service.js";
import { ApiTrack } from "./api-track.js";
import { DEFAULTS } from "./config.js";
import { findManifest, restrictedViolations } from "./lib/checks.js";

function synth(track: "v1" | "v2" = "v1") {
  const chart = Testing.chart();
  const api = new ApiService(chart, "api");
  const auth = new ApiAuthentication(chart, "auth", {
    issuer: "https://issuer.example",
    audience: "userapi",
    jwks: DEFAULTS.auth.jwks,
  });
  new ApiTrack(chart, "track", {
    auth,
    track,
    image: "registry.example/userapi:1.2.3",
    serviceAccount: api.serviceAccount,
    minReplicas: 2,
    maxReplicas: 5,
    resources: DEFAULTS.apiResources,
  });
  return Testing.synth(chart);
}

describe("ApiTrack", () => {
  const docs = synth("v2");
  const deployment = findManifest<any>(docs, "Deployment", "userapi-v2");
  const pod = deployment.spec.template;
  const container = pod.spec.containers[0];
  const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));

  it("labels pods with app and version and selects exactly them", () => {
    expect(pod.metadata.labels).toEqual({ app: "userapi", version: "v2" });
    expect(deployment.spec.selector).toEqual({ matchLabels: { app: "userapi", version: "v2" } });
  });

  it("leaves spec.replicas to the autoscaler", () => {
    expect(deployment.spec).not.toHaveProperty("replicas");
    const hpa = findManifest<any>(docs, "HorizontalPodAutoscaler", "userapi-v2");
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: "userapi-v2",
    });
    expect(hpa.spec.minReplicas).toBe(2);
    expect(hpa.spec.maxReplicas).toBe(5);
    expect(hpa.spec.metrics[0].resource).toEqual({
      name: "cpu",
      target: { type: "Utilization", averageUtilization: 70 },
    });
  });

  it("has a PodDisruptionBudget over the track's pods", () => {
    const pdb = findManifest<any>(docs, "PodDisruptionBudget", "userapi-v2");
    expect(pdb.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: "userapi", version: "v2" } },
    });
  });

  it("passes APP_VERSION from the pod's version label and points REDIS_URL at the redis Service", () => {
    expect(env.APP_VERSION).toEqual({ fieldRef: { fieldPath: "metadata.labels['version']" } });
    expect(env.REDIS_URL).toBe("redis://redis:6379");
    expect(env.PORT).toBe("8080");
    expect(env.NODE_ENV).toBe("production");
    expect(env.SHUTDOWN_TIMEOUT_MS).toBe("10000");
  });

  it("keeps idle connections 65 s (past Envoy's 30 s pool idle timeout), headers 10 s", () => {
    expect(env.KEEP_ALIVE_TIMEOUT_MS).toBe("65000");
    expect(env.HEADERS_TIMEOUT_MS).toBe("10000");
  });

  it("probes liveness on /health and readiness on /serving (not Redis), after a startup probe", () => {
    expect(container.livenessProbe.httpGet).toEqual({
      path: "/health",
      port: 8080,
      scheme: "HTTP",
    });
    expect(container.readinessProbe.httpGet).toEqual({
      path: "/serving",
      port: 8080,
      scheme: "HTTP",
    });
    expect(container.startupProbe.httpGet.path).toBe("/health");
    expect(container.startupProbe.failureThreshold * container.startupProbe.periodSeconds).toBe(60);
  });

  it("drains: preStop 5 s, app 10 s, proxy 20 s, all within a 40 s grace period", () => {
    expect(container.lifecycle.preStop.exec.command).toEqual(["sleep", "5"]);
    const proxy = JSON.parse(pod.metadata.annotations["proxy.istio.io/config"]);
    expect(proxy.terminationDrainDuration).toBe("20s");
    expect(pod.spec.terminationGracePeriodSeconds).toBe(40);
  });

  it("writes no field that only restates a default the server drops", () => {
    expect(deployment.spec).not.toHaveProperty("minReadySeconds");
    expect(pod.spec).not.toHaveProperty("hostNetwork");
    expect(pod.spec).not.toHaveProperty("setHostnameAsFQDN");
  });

  it("passes the restricted profile as uid/gid 10001 with a read-only root", () => {
    expect(restrictedViolations(pod.spec)).toEqual([]);
    expect(pod.spec.securityContext).toMatchObject({ runAsUser: 10001, runAsGroup: 10001 });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(pod.spec.volumes).toEqual([
      { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      { name: "jwks", configMap: { name: "userapi-jwks" } },
    ]);
  });

  it("verifies tokens against the JWKS ConfigMap, mounted as a directory so updates reach the pod", () => {
    expect(env.AUTH_JWKS_FILE).toBe("/etc/userapi/auth/jwks.json");
    expect(env.AUTH_ISSUER).toBe("https://issuer.example");
    expect(env.AUTH_AUDIENCE).toBe("userapi");
    expect(env).not.toHaveProperty("AUTH_DISABLED");
    expect(env).not.toHaveProperty("AUTH_JWKS_URL");
    const mount = container.volumeMounts.find((m: any) => m.name === "jwks");
    // No subPath: the kubelet swaps the directory's ..data link on update; a subPath file never changes.
    expect(mount).toEqual({ name: "jwks", mountPath: "/etc/userapi/auth", readOnly: true });
    expect(env.AUTH_JWKS_FILE.startsWith(`${mount.mountPath}/`)).toBe(true);
  });

  it("sets explicit requests, limits and pull policy", () => {
    expect(container.resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "256Mi" },
    });
    expect(container.imagePullPolicy).toBe("IfNotPresent");
    expect(container.image).toBe("registry.example/userapi:1.2.3");
  });

  it("spreads pods across nodes and zones without blocking a one-node cluster", () => {
    const spread = pod.spec.topologySpreadConstraints;
    expect(spread.map((s: any) => s.topologyKey)).toEqual([
      "kubernetes.io/hostname",
      "topology.kubernetes.io/zone",
    ]);
    for (const s of spread) {
      expect(s.whenUnsatisfiable).toBe("ScheduleAnyway");
      expect(s.labelSelector.matchLabels).toEqual({ app: "userapi", version: "v2" });
    }
  });

  it("annotates pods for Istio (hold app until proxy, proxy drain, metrics merging)", () => {
    expect(pod.metadata.annotations).toEqual({
      "proxy.istio.io/config":
        '{"holdApplicationUntilProxyStarts":true,"terminationDrainDuration":"20s"}',
      "prometheus.io/scrape": "true",
      "prometheus.io/port": "8080",
      "prometheus.io/path": "/metrics",
    });
  });

  it("names the container port http and runs as the userapi ServiceAccount without a token", () => {
    expect(container.ports).toEqual([{ containerPort: 8080, name: "http", protocol: "TCP" }]);
    expect(pod.spec.serviceAccountName).toBe("userapi");
    expect(pod.spec.automountServiceAccountToken).toBe(false);
  });
});
