import { describe, expect, it } from "vitest";
import { alertRules } from "./alert-rules.js";
import {
  type DiscoveredPod,
  podDiscoveryLabels,
  prometheusConfig,
  type ScrapeConfig,
  toStaticVariant,
} from "./prometheus-config.js";
import { toYaml } from "./render.js";
import { promtool, tempFiles } from "./testing.js";

function job(name: string, config = prometheusConfig()): ScrapeConfig {
  const found = config.scrape_configs.find((j) => j.job_name === name);
  if (found === undefined) throw new Error(`no job ${name}`);
  return found;
}

const apiPod: DiscoveredPod = {
  name: "userapi-v2-5c8b-b",
  namespace: "userapi",
  ip: "10.244.1.7",
  phase: "Running",
  labels: { app: "userapi", version: "v2", "pod-template-hash": "5c8b" },
  container: "istio-proxy",
  port: 15090,
};

/** Relabelled targets of the `userapi` job, as `promtool check service-discovery` reports them. */
function discover(pods: readonly DiscoveredPod[]): Record<string, string>[] {
  const config = toStaticVariant(prometheusConfig({ ruleFiles: [] }), {
    userapi: pods.map((pod) => ({
      targets: [`${pod.ip ?? "0.0.0.0"}:${pod.port}`],
      labels: podDiscoveryLabels(pod),
    })),
  });
  const files = tempFiles({ "prometheus.yml": toYaml(config) });
  try {
    const run = promtool(
      ["check", "service-discovery", "--timeout=2s", "prometheus.yml", "userapi"],
      files.dir,
    );
    expect(run.status, run.output).toBe(0);
    const targets = JSON.parse(run.stdout) as { labels: Record<string, string> }[];
    return targets.map((t) => t.labels);
  } finally {
    files.remove();
  }
}

describe("prometheusConfig", () => {
  it("discovers API pods in namespace userapi with Kubernetes pod discovery", () => {
    expect(job("userapi").kubernetes_sd_configs).toEqual([
      { role: "pod", namespaces: { names: ["userapi"] } },
    ]);
    expect(job("userapi").static_configs).toBeUndefined();
  });

  it("scrapes Istio's merged metrics endpoint, not the app port", () => {
    expect(job("userapi").metrics_path).toBe("/stats/prometheus");
    expect(job("userapi").scheme).toBe("http");
    const addressRules = (job("userapi").relabel_configs ?? []).filter(
      (r) => r.target_label === "__address__",
    );
    expect(addressRules.map((r) => r.replacement)).toEqual(["[$1]:15020", "$1:15020"]);
  });

  it("turns the pod labels app and version into target labels", () => {
    const rules = job("userapi").relabel_configs ?? [];
    expect(rules).toContainEqual({
      source_labels: ["__meta_kubernetes_pod_label_version"],
      target_label: "version",
    });
    expect(rules).toContainEqual({
      source_labels: ["__meta_kubernetes_pod_label_app"],
      target_label: "app",
    });
  });

  it("scrapes Prometheus itself", () => {
    expect(job("prometheus").static_configs).toEqual([{ targets: ["localhost:9090"] }]);
    expect(
      job("prometheus", prometheusConfig({ selfAddress: "127.0.0.1:9191" })).static_configs,
    ).toEqual([{ targets: ["127.0.0.1:9191"] }]);
  });

  it("keeps the scrape timeout within a short interval and rejects a longer one", () => {
    expect(prometheusConfig({ interval: "5s" }).global.scrape_timeout).toBe("5s");
    expect(prometheusConfig({ interval: "1m" }).global.scrape_timeout).toBe("10s");
    expect(() => prometheusConfig({ interval: "5s", scrapeTimeout: "6s" })).toThrow(/exceeds/);
    expect(() => prometheusConfig({ interval: "soon" })).toThrow(/not a duration/);
  });

  it("evaluates rules as often as it scrapes and loads the mounted rule files", () => {
    const config = prometheusConfig({ interval: "30s" });
    expect(config.global).toEqual({
      scrape_interval: "30s",
      scrape_timeout: "10s",
      evaluation_interval: "30s",
    });
    expect(config.rule_files).toEqual(["/etc/prometheus/rules/*.yaml"]);
  });
});

describe("toStaticVariant", () => {
  it("swaps discovery for static targets and changes nothing else", () => {
    const config = prometheusConfig();
    const targets = [{ targets: ["127.0.0.1:8080"], labels: { a: "b" } }];
    const variant = toStaticVariant(config, { userapi: targets });
    const { kubernetes_sd_configs: _sd, ...rest } = job("userapi", config);
    expect(job("userapi", variant)).toEqual({ ...rest, static_configs: targets });
    expect(variant.global).toEqual(config.global);
    expect(variant.rule_files).toEqual(config.rule_files);
    expect(job("prometheus", variant)).toEqual(job("prometheus", config));
  });

  it("refuses to leave a discovery job without targets", () => {
    expect(() => toStaticVariant(prometheusConfig(), {})).toThrow(/job "userapi"/);
  });

  it("refuses targets for a job that has no discovery", () => {
    expect(() =>
      toStaticVariant(prometheusConfig(), { userapi: [], prometheus: [{ targets: ["x:1"] }] }),
    ).toThrow(/"prometheus" is not a job with Kubernetes discovery/);
  });
});

describe("promtool check config", () => {
  it("accepts the static variant together with the generated rules", () => {
    const config = toStaticVariant(prometheusConfig({ ruleFiles: ["rules/userapi.rules.yaml"] }), {
      userapi: [{ targets: ["10.244.1.7:15090"], labels: podDiscoveryLabels(apiPod) }],
    });
    const files = tempFiles({
      "prometheus.yml": toYaml(config),
      "rules/userapi.rules.yaml": toYaml(alertRules()),
    });
    try {
      const run = promtool(["check", "config", "prometheus.yml"], files.dir);
      expect(run.status, run.output).toBe(0);
      expect(run.output).toContain("SUCCESS: 1 rule files found");
      expect(run.output).toContain("is valid prometheus config file syntax");
    } finally {
      files.remove();
    }
  });

  it("rejects a config with a broken relabel regex (the check can fail)", () => {
    const config = prometheusConfig({ ruleFiles: [] });
    const broken = toStaticVariant(
      {
        ...config,
        scrape_configs: config.scrape_configs.map((j) =>
          j.job_name === "userapi"
            ? {
                ...j,
                relabel_configs: [{ source_labels: ["a"], regex: "(", action: "keep" as const }],
              }
            : j,
        ),
      },
      { userapi: [{ targets: ["10.0.0.1:1"] }] },
    );
    const files = tempFiles({ "prometheus.yml": toYaml(broken) });
    try {
      expect(promtool(["check", "config", "prometheus.yml"], files.dir).status).not.toBe(0);
    } finally {
      files.remove();
    }
  });
});

describe("relabelling of discovered pods (promtool check service-discovery)", () => {
  it("scrapes a meshed API pod once, on port 15020, labelled with namespace, pod, app and version", () => {
    const [target, ...others] = discover([
      apiPod,
      { ...apiPod, container: "userapi", port: 8080 },
    ]).filter((labels) => Object.keys(labels).length > 0);
    expect(others).toEqual([]);
    expect(target).toEqual({
      __address__: "10.244.1.7:15020",
      __metrics_path__: "/stats/prometheus",
      __scheme__: "http",
      __scrape_interval__: "15s",
      __scrape_timeout__: "10s",
      instance: "10.244.1.7:15020",
      job: "userapi",
      namespace: "userapi",
      pod: "userapi-v2-5c8b-b",
      app: "userapi",
      version: "v2",
    });
  });

  it("brackets IPv6 pod addresses", () => {
    const [target] = discover([{ ...apiPod, ip: "fd00:10:244::7" }]);
    expect(target?.__address__).toBe("[fd00:10:244::7]:15020");
  });

  it("drops pods of other apps, pods that are not running, and ports other than the sidecar's", () => {
    const targets = discover([
      { ...apiPod, name: "redis-0", labels: { app: "redis" } },
      { ...apiPod, phase: "Pending" },
      { ...apiPod, phase: "Succeeded" },
      { ...apiPod, container: "userapi", port: 8080 },
    ]);
    expect(targets).toEqual([{}, {}, {}, {}]);
  });
});
