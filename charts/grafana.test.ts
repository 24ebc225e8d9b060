// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Chart, Testing } from "cdk8s";
import { afterAll, describe, expect, it } from "vitest";
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
    expect(container.image).toBe("grafana/grafana:12.4.5");
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

  it("reads the admin login from files an init container writes, never from a literal", () => {
    expect(env.GF_SECURITY_ADMIN_USER__FILE).toBe("/run/grafana-admin/admin-user");
    expect(env.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe("/run/grafana-admin/admin-password");
    expect(env).not.toHaveProperty("GF_SECURITY_ADMIN_PASSWORD");
    expect(env).not.toHaveProperty("GF_SECURITY_ADMIN_USER");
    expect(JSON.stringify(docs)).not.toMatch(/"kind":"Secret"/);
    expect(mountOf("admin-credentials")).toBe("/run/grafana-admin");
  });

  it("mounts Secret grafana-admin as optional, so a missing Secret does not block the pod", () => {
    const secret = pod.volumes.find((v: any) => v.name === "admin-secret");
    expect(secret.secret).toEqual({
      secretName: "grafana-admin",
      optional: true,
      defaultMode: 0o440,
    });
    const memory = pod.volumes.find((v: any) => v.name === "admin-credentials");
    expect(memory.emptyDir).toEqual({ medium: "Memory", sizeLimit: "1Mi" });
    const init = pod.initContainers[0];
    expect(init.name).toBe("admin-credentials");
    expect(init.image).toBe(container.image);
    expect(init.volumeMounts).toEqual([
      { name: "admin-secret", mountPath: "/etc/grafana/admin-secret", readOnly: true },
      { name: "admin-credentials", mountPath: "/run/grafana-admin" },
    ]);
    expect(restrictedViolations(pod)).toEqual([]);
  });

  describe("the admin-credentials script, run with sh", () => {
    const init = pod.initContainers[0];
    const script: string = init.command[2];
    const initEnv = Object.fromEntries(init.env.map((e: any) => [e.name, e.value]));
    const root = mkdtempSync(join(tmpdir(), "grafana-admin-"));
    afterAll(() => rmSync(root, { recursive: true, force: true }));

    /** Runs the script as the init container would, with its folders under `root`. */
    const run = (name: string, secret: Record<string, string> | undefined) => {
      const secretDir = join(root, name, initEnv.SECRET_DIR);
      const credentialsDir = join(root, name, initEnv.CREDENTIALS_DIR);
      mkdirSync(secretDir, { recursive: true });
      mkdirSync(credentialsDir, { recursive: true });
      for (const [key, value] of Object.entries(secret ?? {})) {
        writeFileSync(join(secretDir, key), value);
      }
      expect(init.command.slice(0, 2)).toEqual(["/bin/sh", "-c"]);
      const result = spawnSync("sh", ["-c", script], {
        env: { PATH: "/usr/bin:/bin", SECRET_DIR: secretDir, CREDENTIALS_DIR: credentialsDir },
        encoding: "utf8",
      });
      expect(result.status, result.stderr).toBe(0);
      const read = (key: string) => readFileSync(join(credentialsDir, key), "utf8");
      return { user: read("admin-user"), password: read("admin-password"), result, credentialsDir };
    };

    it("takes user and password from the Secret (a trailing newline dropped)", () => {
      const out = run("secret", { "admin-user": "ops\n", "admin-password": "s3cret-Pa55\n" });
      expect(out.user).toBe("ops");
      expect(out.password).toBe("s3cret-Pa55");
      expect(out.result.stdout).toContain("from the mounted Secret");
      expect(out.result.stdout).not.toContain("s3cret");
    });

    it("without the Secret: user admin, a random 32-character password, never admin", () => {
      const first = run("none-1", undefined);
      const second = run("none-2", undefined);
      expect(first.user).toBe("admin");
      expect(first.password).toMatch(/^[A-Za-z0-9]{32}$/);
      expect(first.password).not.toBe(second.password);
      expect(first.result.stdout).toContain("random generator");
      expect(first.result.stdout).not.toContain(first.password);
      // Readable by Grafana's own user only.
      expect(statSync(join(first.credentialsDir, "admin-password")).mode & 0o077).toBe(0);
    });

    it("generates a password when the Secret lacks admin-password", () => {
      const out = run("user-only", { "admin-user": "ops" });
      expect(out.user).toBe("ops");
      expect(out.password).toMatch(/^[A-Za-z0-9]{32}$/);
    });
  });

  it("exposes port 3000 as http on the grafana Service", () => {
    const service = findManifest<any>(docs, "Service", "grafana");
    expect(service.spec.selector).toEqual({ app: "grafana" });
    expect(service.spec.ports).toEqual([
      { name: "http", port: 3000, targetPort: "http", protocol: "TCP" },
    ]);
  });
});
