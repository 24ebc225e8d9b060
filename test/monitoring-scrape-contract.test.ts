// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON; each check reads the shape it needs
/**
 * The monitoring half of dist/ agrees with the API half: the Prometheus
 * config mounted in dist/ discovers each API track's pods (as Istio injects
 * them) exactly once, on the metrics-merging port, labelled with its track;
 * the RBAC, the NetworkPolicies and the metrics-merging annotations all line
 * up with that scrape path. Offline: pod discovery is simulated from the pod
 * templates in dist/ and run through `promtool check service-discovery`.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { matchesLabels, podTemplateOf, readManifests } from "../charts/lib/checks.js";
import { API_PORT, TRACKS } from "../charts/lib/labels.js";
import {
  ISTIO_MERGED_METRICS_PORT,
  ISTIO_PROXY_CONTAINER,
  ISTIO_PROXY_DECLARED_PORT,
} from "../charts/monitoring/contract.js";
import {
  type DiscoveredPod,
  type PrometheusConfig,
  podDiscoveryLabels,
  toStaticVariant,
} from "../charts/monitoring/prometheus-config.js";
import { toYaml } from "../charts/monitoring/render.js";
import { promtool, tempFiles } from "../charts/monitoring/testing.js";

const root = resolve(import.meta.dirname, "..");
const docs: any[] = readManifests(join(root, "dist")).map((e) => e.doc);
const find = (kind: string, name: string, namespace: string): any => {
  const found = docs.find(
    (d) => d.kind === kind && d.metadata.name === name && d.metadata.namespace === namespace,
  );
  if (found === undefined) throw new Error(`dist/ has no ${kind}/${namespace}/${name}`);
  return found;
};

/** The pod template of a workload in dist/. */
const podOf = (kind: string, name: string, namespace: string): any =>
  podTemplateOf(find(kind, name, namespace));

const promConfig = parse(
  find("ConfigMap", "prometheus-config", "monitoring").data["prometheus.yml"],
) as PrometheusConfig;
const apiJob = promConfig.scrape_configs.find((j) => j.job_name === "userapi");
const prometheusPodLabels: Record<string, string> =
  podOf("Deployment", "prometheus", "monitoring")?.metadata.labels ?? {};

/** What pod discovery reports for one API pod after Istio injected its sidecar. */
function discoveredTargets(track: string, index: number): DiscoveredPod[] {
  const template = podOf("Deployment", `userapi-${track}`, "userapi");
  if (template === undefined) throw new Error(`no pod template for ${track}`);
  const base = {
    name: `userapi-${track}-abc12-${index}`,
    namespace: "userapi",
    ip: `10.244.${index}.${track === "v1" ? 11 : 12}`,
    phase: "Running" as const,
    labels: template.metadata.labels,
  };
  const appPorts = (template.spec.containers as any[]).flatMap((c) =>
    (c.ports ?? []).map((p: any) => ({ ...base, container: c.name, port: p.containerPort })),
  );
  return [
    ...appPorts,
    { ...base, container: ISTIO_PROXY_CONTAINER, port: ISTIO_PROXY_DECLARED_PORT },
  ];
}

describe("dist/ monitoring against dist/ API", () => {
  it("discovers pods only in namespaces where Prometheus may read pods", () => {
    const namespaces = apiJob?.kubernetes_sd_configs?.flatMap((sd) => sd.namespaces?.names ?? []);
    expect(namespaces).toEqual(["userapi"]);
    for (const namespace of namespaces ?? []) {
      const role = find("Role", "prometheus-discovery", namespace);
      expect(role.rules).toEqual([
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
      ]);
      const binding = find("RoleBinding", "prometheus-discovery", namespace);
      const sa = podOf("Deployment", "prometheus", "monitoring")?.spec.serviceAccountName;
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: sa, namespace: "monitoring" },
      ]);
    }
  });

  it("scrapes every API track once per pod, on the merged-metrics port, labelled with its track", () => {
    if (apiJob === undefined) throw new Error("no userapi job in the mounted config");
    const pods = TRACKS.flatMap((track) => discoveredTargets(track, 1));
    const config = toStaticVariant(
      { ...promConfig, rule_files: [] },
      {
        userapi: pods.map((pod) => ({
          targets: [`${pod.ip}:${pod.port}`],
          labels: podDiscoveryLabels(pod),
        })),
      },
    );
    const files = tempFiles({ "prometheus.yml": toYaml(config) });
    try {
      const run = promtool(
        ["check", "service-discovery", "--timeout=2s", "prometheus.yml", "userapi"],
        files.dir,
      );
      expect(run.status, run.output).toBe(0);
      const kept = (JSON.parse(run.stdout) as { labels: Record<string, string> }[])
        .map((t) => t.labels)
        .filter((labels) => Object.keys(labels).length > 0);
      // promtool lists targets in no fixed order: compare them sorted by track.
      expect(
        kept
          .map((l) => [l.version, l.__address__, l.__metrics_path__, l.namespace, l.app])
          .sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
      ).toEqual(
        TRACKS.map((track) => [
          track,
          `10.244.1.${track === "v1" ? 11 : 12}:${ISTIO_MERGED_METRICS_PORT}`,
          "/stats/prometheus",
          "userapi",
          "userapi",
        ]),
      );
    } finally {
      files.remove();
    }
  });

  it("has the API pods tell Istio where the app's own metrics are, with merging left on", () => {
    for (const track of TRACKS) {
      const template = podOf("Deployment", `userapi-${track}`, "userapi");
      const annotations: Record<string, string> = template?.metadata.annotations ?? {};
      expect(annotations["prometheus.io/scrape"]).toBe("true");
      expect(annotations["prometheus.io/port"]).toBe(String(API_PORT));
      expect(annotations["prometheus.io/path"]).toBe("/metrics");
      expect(annotations["prometheus.istio.io/merge-metrics"]).not.toBe("false");
    }
  });

  it("lets the Prometheus pods through the userapi NetworkPolicies to the scrape port only, on API pods", () => {
    const rules = docs
      .filter((d) => d.kind === "NetworkPolicy" && d.metadata.namespace === "userapi")
      .flatMap((p) => (p.spec.ingress ?? []).map((rule: any) => ({ policy: p, rule })))
      .filter(({ rule }: any) =>
        (rule.from ?? []).some(
          (peer: any) =>
            matchesLabels(peer.namespaceSelector?.matchLabels ?? {}, {
              "kubernetes.io/metadata.name": "monitoring",
            }) && matchesLabels(peer.podSelector?.matchLabels ?? {}, prometheusPodLabels),
        ),
      );
    const allowed = rules.flatMap(({ rule }: any) => (rule.ports ?? []).map((p: any) => p.port));
    // The port the scrape config rewrites every target to, and nothing else.
    expect(allowed).toEqual([ISTIO_MERGED_METRICS_PORT]);
    for (const { policy } of rules) {
      for (const track of TRACKS) {
        const labels = podOf("Deployment", `userapi-${track}`, "userapi")?.metadata.labels;
        expect(matchesLabels(policy.spec.podSelector.matchLabels ?? {}, labels)).toBe(true);
      }
      const redis = podOf("StatefulSet", "redis", "userapi")?.metadata.labels;
      expect(matchesLabels(policy.spec.podSelector.matchLabels ?? {}, redis)).toBe(false);
    }
  });

  it("keeps Prometheus and Grafana out of the mesh", () => {
    const namespace = docs.find((d) => d.kind === "Namespace" && d.metadata.name === "monitoring");
    expect(namespace?.metadata.labels["istio-injection"]).toBe("disabled");
    for (const name of ["prometheus", "grafana"]) {
      const labels = podOf("Deployment", name, "monitoring")?.metadata.labels;
      expect(labels?.["sidecar.istio.io/inject"], name).toBe("false");
    }
  });
});
