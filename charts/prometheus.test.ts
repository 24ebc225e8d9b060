// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Chart, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findManifest, isPinnedImage, restrictedViolations } from "./lib/checks.js";
import { parseMemoryBytes } from "./lib/quantities.js";
import { type PrometheusConfig, toStaticVariant } from "./monitoring/prometheus-config.js";
import { toYaml } from "./monitoring/render.js";
import { parsePrometheusBytes } from "./monitoring/retention.js";
import { promtool, tempFiles } from "./monitoring/testing.js";
import { Prometheus, type PrometheusProps } from "./prometheus.js";

function synth(props: PrometheusProps = {}) {
  const chart = new Chart(Testing.app(), "monitoring", {
    namespace: "monitoring",
    disableResourceNameHashes: true,
  });
  new Prometheus(chart, "Prometheus", props);
  return Testing.synth(chart);
}

describe("Prometheus", () => {
  const docs = synth();
  const deployment = findManifest<any>(docs, "Deployment", "prometheus");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const configYaml: string = findManifest<any>(docs, "ConfigMap", "prometheus-config").data[
    "prometheus.yml"
  ];
  const rulesYaml: string = findManifest<any>(docs, "ConfigMap", "prometheus-rules").data[
    "userapi.rules.yaml"
  ];

  it("creates only core kinds: ServiceAccount, Role, RoleBinding, ConfigMaps, Deployment, Service", () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      "ServiceAccount/monitoring/prometheus",
      "Role/userapi/prometheus-discovery",
      "RoleBinding/userapi/prometheus-discovery",
      "ConfigMap/monitoring/prometheus-config",
      "ConfigMap/monitoring/prometheus-rules",
      "Deployment/monitoring/prometheus",
      "Service/monitoring/prometheus",
    ]);
  });

  it("may only read pods, and only in the API's namespace", () => {
    const role = findManifest<any>(docs, "Role", "prometheus-discovery");
    expect(role.metadata.namespace).toBe("userapi");
    expect(role.rules).toEqual([
      { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
    ]);
    const binding = findManifest<any>(docs, "RoleBinding", "prometheus-discovery");
    expect(binding.roleRef).toEqual({
      apiGroup: "rbac.authorization.k8s.io",
      kind: "Role",
      name: "prometheus-discovery",
    });
    expect(binding.subjects).toEqual([
      { kind: "ServiceAccount", name: "prometheus", namespace: "monitoring" },
    ]);
    expect(docs.some((d) => d.kind.startsWith("Cluster"))).toBe(false);
  });

  it("gets one Role per target namespace", () => {
    const roles = synth({ targetNamespaces: ["userapi", "canary"] }).filter(
      (d) => d.kind === "Role",
    );
    expect(roles.map((r) => r.metadata.namespace)).toEqual(["userapi", "canary"]);
  });

  it("runs the pinned image as its own ServiceAccount, with the token discovery needs", () => {
    expect(container.image).toBe("prom/prometheus:v2.55.1");
    expect(isPinnedImage(container.image)).toBe(true);
    expect(pod.serviceAccountName).toBe("prometheus");
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it("labels its pods app: prometheus (what the userapi NetworkPolicies allow) and keeps them out of the mesh", () => {
    expect(deployment.spec.template.metadata.labels).toEqual({
      app: "prometheus",
      "sidecar.istio.io/inject": "false",
    });
    expect(deployment.spec.selector.matchLabels).toEqual({ app: "prometheus" });
  });

  it("passes Pod Security restricted with a read-only root and writable data on an emptyDir", () => {
    expect(restrictedViolations(pod)).toEqual([]);
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 65534,
      fsGroup: 65534,
    });
    expect(container.securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.volumeMounts).toContainEqual({ name: "data", mountPath: "/prometheus" });
    expect(pod.volumes).toContainEqual({ name: "data", emptyDir: { sizeLimit: "2Gi" } });
  });

  it("deletes old blocks before the data volume fills (retention size below the size limit)", () => {
    const flag = container.args.find((a: string) => a.startsWith("--storage.tsdb.retention.size="));
    expect(flag).toBe("--storage.tsdb.retention.size=1536MB");
    const other = findManifest<any>(synth({ storageSize: "8Gi" }), "Deployment", "prometheus");
    const args: string[] = other.spec.template.spec.containers[0].args;
    const size = args.find((a) => a.startsWith("--storage.tsdb.retention.size="))?.split("=")[1];
    expect(parsePrometheusBytes(size ?? "")).toBeLessThan(parseMemoryBytes("8Gi"));
    expect(other.spec.template.spec.volumes).toContainEqual({
      name: "data",
      emptyDir: { sizeLimit: "8Gi" },
    });
  });

  it("refuses a retention size that does not fit its volume", () => {
    expect(() => synth({ storageSize: "1Gi", retentionSize: "1GB" })).toThrow(
      /retentionSize 1GB must be below its volume's size limit 1Gi/,
    );
  });

  it("sets resources and distinct startup, liveness and readiness probes", () => {
    expect(container.resources).toEqual({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
    expect(container.livenessProbe.httpGet).toEqual({ path: "/-/healthy", port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/-/ready", port: "http" });
    expect(container.startupProbe.failureThreshold * container.startupProbe.periodSeconds).toBe(
      300,
    );
  });

  it("mounts the generated config and rules where the config says", () => {
    expect(container.args).toContain("--config.file=/etc/prometheus/config/prometheus.yml");
    expect(container.volumeMounts).toContainEqual({
      name: "config",
      mountPath: "/etc/prometheus/config",
      readOnly: true,
    });
    expect(container.volumeMounts).toContainEqual({
      name: "rules",
      mountPath: "/etc/prometheus/rules",
      readOnly: true,
    });
    expect((parse(configYaml) as PrometheusConfig).rule_files).toEqual([
      "/etc/prometheus/rules/*.yaml",
    ]);
  });

  it("rolls the pod when the config or the rules change", () => {
    const other = findManifest<any>(synth({ interval: "30s" }), "Deployment", "prometheus");
    const checksum = (d: any) => d.spec.template.metadata.annotations["checksum/config"];
    expect(checksum(deployment)).toMatch(/^[0-9a-f]{16}$/);
    expect(checksum(other)).not.toBe(checksum(deployment));
  });

  it("exposes port 9090 as http-web on the prometheus Service", () => {
    const service = findManifest<any>(docs, "Service", "prometheus");
    expect(service.spec.selector).toEqual({ app: "prometheus" });
    expect(service.spec.ports).toEqual([
      { name: "http-web", port: 9090, targetPort: "http", protocol: "TCP" },
    ]);
  });

  it("mounts a config and rules that promtool accepts (discovery swapped for static targets)", () => {
    const config = parse(configYaml) as PrometheusConfig;
    expect(
      config.scrape_configs.find((j) => j.job_name === "userapi")?.kubernetes_sd_configs,
    ).toEqual([{ role: "pod", namespaces: { names: ["userapi"] } }]);
    const checkable = toStaticVariant(
      { ...config, rule_files: ["rules/*.yaml"] },
      { userapi: [{ targets: ["10.0.0.1:15020"] }] },
    );
    const files = tempFiles({
      "prometheus.yml": toYaml(checkable),
      "rules/userapi.rules.yaml": rulesYaml,
    });
    try {
      const run = promtool(["check", "config", "prometheus.yml"], files.dir);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain("SUCCESS: 5 rules found");
    } finally {
      files.remove();
    }
  });

  it("refuses a chart without a namespace (its RoleBindings must name one)", () => {
    expect(() => new Prometheus(Testing.chart(), "Prometheus")).toThrow(/namespace/);
  });
});
