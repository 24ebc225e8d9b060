// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Chart, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { Grafana } from "./grafana.js";
import { findManifest, isPinnedImage, restrictedViolations } from "./lib/checks.js";
import { userapiDashboard } from "./monitoring/dashboard.js";

const PROMETHEUS_URL = "http://prometheus.monitoring.svc.cluster.local:9090";

function synth() {
  const chart = new Chart(Testing.app(), "monitoring", {
    namespace: "monitoring",
    disableResourceNameHashes: true,
  });
  new Grafana(chart, "Grafana", { prometheusUrl: PROMETHEUS_URL });
  return Testing.synth(chart);
}

describe("Grafana", () => {
  const docs = synth();
  const deployment = findManifest<any>(docs, "Deployment", "grafana");
  const pod = deployment.spec.template.spec;
  const container = pod.containers[0];
  const mountOf = (volume: string) =>
    container.volumeMounts.find((m: any) => m.name === volume)?.mountPath;
  const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));

  it("creates a ServiceAccount, three ConfigMaps, a Deployment and a Service", () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual([
      "ServiceAccount/grafana",
      "ConfigMap/grafana-datasources",
      "ConfigMap/grafana-dashboard-providers",
      "ConfigMap/grafana-dashboards",
      "Deployment/grafana",
      "Service/grafana",
    ]);
  });

  it("provisions the Prometheus datasource Grafana's backend reaches in-cluster", () => {
    const file = parse(
      findManifest<any>(docs, "ConfigMap", "grafana-datasources").data["datasources.yaml"],
    );
    expect(file.datasources).toHaveLength(1);
    expect(file.datasources[0]).toMatchObject({
      type: "prometheus",
      uid: "prometheus",
      url: PROMETHEUS_URL,
      access: "proxy",
      isDefault: true,
    });
    expect(mountOf("datasources")).toBe("/etc/grafana/provisioning/datasources");
  });

  it("provisions the generated dashboard from the mounted directory", () => {
    const providers = parse(
      findManifest<any>(docs, "ConfigMap", "grafana-dashboard-providers").data["dashboards.yaml"],
    );
    const path = providers.providers[0].options.path;
    expect(mountOf("dashboards")).toBe(path);
    expect(mountOf("dashboard-providers")).toBe("/etc/grafana/provisioning/dashboards");
    const json = findManifest<any>(docs, "ConfigMap", "grafana-dashboards").data[
      "userapi-overview.json"
    ];
    expect(JSON.parse(json)).toEqual(JSON.parse(JSON.stringify(userapiDashboard())));
    expect(env.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${path}/userapi-overview.json`);
  });

  it("runs the pinned image with pods labelled app: grafana, outside the mesh", () => {
    expect(container.image).toBe("grafana/grafana:11.3.0");
    expect(isPinnedImage(container.image)).toBe(true);
    expect(deployment.spec.template.metadata.labels).toEqual({
      app: "grafana",
      "sidecar.istio.io/inject": "false",
    });
    expect(pod.automountServiceAccountToken).toBe(false);
  });

  it("passes Pod Security restricted with a read-only root and emptyDirs for every writable path", () => {
    expect(restrictedViolations(pod)).toEqual([]);
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(472);
    for (const volume of ["data", "logs", "tmp"]) {
      expect(pod.volumes.find((v: any) => v.name === volume)?.emptyDir, volume).toBeDefined();
    }
    expect(mountOf("data")).toBe(env.GF_PATHS_DATA);
    expect(mountOf("logs")).toBe(env.GF_PATHS_LOGS);
    expect(mountOf("tmp")).toBe("/tmp");
  });

  it("does not call home and lets anonymous users view", () => {
    expect(env).toMatchObject({
      GF_ANALYTICS_REPORTING_ENABLED: "false",
      GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
      GF_AUTH_ANONYMOUS_ENABLED: "true",
      GF_AUTH_ANONYMOUS_ORG_ROLE: "Viewer",
    });
  });

  it("sets resources and probes (liveness TCP, readiness /api/health)", () => {
    expect(container.resources).toEqual({
      requests: { cpu: "50m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
    expect(container.livenessProbe.tcpSocket).toEqual({ port: "http" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/api/health", port: "http" });
    expect(container.startupProbe.httpGet.path).toBe("/api/health");
  });

  it("exposes port 3000 as http on the grafana Service", () => {
    const service = findManifest<any>(docs, "Service", "grafana");
    expect(service.spec.selector).toEqual({ app: "grafana" });
    expect(service.spec.ports).toEqual([
      { name: "http", port: 3000, targetPort: "http", protocol: "TCP" },
    ]);
  });
});
