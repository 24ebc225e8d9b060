// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { findManifest, podTemplateOf, restrictedViolations } from "./lib/checks.js";
import { MonitoringChart } from "./monitoring-chart.js";

/** Kinds every Kubernetes cluster knows without extra CRDs. */
const CORE_KINDS = new Set([
  "Namespace",
  "ServiceAccount",
  "Role",
  "RoleBinding",
  "ConfigMap",
  "Deployment",
  "Service",
]);

describe("MonitoringChart", () => {
  const docs = Testing.synth(new MonitoringChart(Testing.app(), "monitoring"));

  it("starts with the monitoring Namespace, without sidecar injection and enforcing restricted", () => {
    const [first] = docs;
    expect(first.kind).toBe("Namespace");
    expect(first.metadata.name).toBe("monitoring");
    expect(first.metadata.namespace).toBeUndefined();
    expect(first.metadata.labels).toMatchObject({
      "istio-injection": "disabled",
      "pod-security.kubernetes.io/enforce": "restricted",
    });
  });

  it("uses only core kinds (no ServiceMonitor or PrometheusRule CRDs)", () => {
    for (const doc of docs) expect(CORE_KINDS.has(doc.kind), doc.kind).toBe(true);
  });

  it("puts everything in monitoring except the discovery Role and RoleBinding in userapi", () => {
    for (const doc of docs.slice(1)) {
      const expected = doc.kind === "Role" || doc.kind === "RoleBinding" ? "userapi" : "monitoring";
      expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBe(expected);
      expect(doc.metadata.labels["app.kubernetes.io/part-of"]).toBe("userapi");
    }
  });

  it("has every pod pass Pod Security restricted", () => {
    const pods = docs.map((d) => podTemplateOf(d)).filter((p) => p !== undefined);
    expect(pods).toHaveLength(2);
    for (const pod of pods) expect(restrictedViolations(pod.spec)).toEqual([]);
  });

  it("points Grafana's datasource at the chart's Prometheus Service", () => {
    const file = parse(
      findManifest<any>(docs, "ConfigMap", "grafana-datasources").data["datasources.yaml"],
    );
    expect(file.datasources[0].url).toBe("http://prometheus.monitoring.svc.cluster.local:9090");
    expect(findManifest<any>(docs, "Service", "prometheus").spec.ports[0].port).toBe(9090);
  });

  it("passes the Prometheus interval on to Grafana's $__rate_interval", () => {
    const other = Testing.synth(
      new MonitoringChart(Testing.app(), "m", { prometheus: { interval: "30s" } }),
    );
    const file = parse(
      findManifest<any>(other, "ConfigMap", "grafana-datasources").data["datasources.yaml"],
    );
    expect(file.datasources[0].jsonData.timeInterval).toBe("30s");
  });

  it("matches the snapshot of the whole chart", () => {
    expect(docs).toMatchSnapshot();
  });
});
