/**
 * The Prometheus configuration (prometheus.yml) as typed data, built by pure
 * functions. `prometheusConfig()` is what the cluster runs; `toStaticVariant()`
 * swaps the Kubernetes service discovery for static targets and leaves every
 * other field alone, so `promtool` (Debian's build has no Kubernetes SD) and the
 * live test check the same job, relabelling included.
 */
import {
  API_APP_LABEL,
  API_JOB,
  API_NAMESPACE,
  ISTIO_MERGED_METRICS_PATH,
  ISTIO_MERGED_METRICS_PORT,
  ISTIO_PROXY_CONTAINER,
  ISTIO_PROXY_DECLARED_PORT,
  PROMETHEUS_JOB,
} from "./contract.js";

/** One `relabel_configs` entry (the subset of fields this project uses). */
export interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly separator?: string;
  readonly regex?: string;
  readonly target_label?: string;
  readonly replacement?: string;
  readonly action?: "replace" | "keep" | "drop" | "labelmap" | "labeldrop" | "labelkeep";
}

/** One `kubernetes_sd_configs` entry. */
export interface KubernetesSdConfig {
  readonly role: "pod" | "endpoints" | "service" | "node";
  readonly namespaces?: { readonly names: readonly string[] };
}

/** One `static_configs` entry: addresses plus labels attached to each of them. */
export interface StaticConfig {
  readonly targets: readonly string[];
  readonly labels?: Readonly<Record<string, string>>;
}

/** One `scrape_configs` entry. */
export interface ScrapeConfig {
  readonly job_name: string;
  readonly scrape_interval?: string;
  readonly scrape_timeout?: string;
  readonly metrics_path?: string;
  readonly scheme?: "http" | "https";
  readonly kubernetes_sd_configs?: readonly KubernetesSdConfig[];
  readonly static_configs?: readonly StaticConfig[];
  readonly relabel_configs?: readonly RelabelConfig[];
}

/** The whole prometheus.yml. */
export interface PrometheusConfig {
  readonly global: {
    readonly scrape_interval: string;
    readonly scrape_timeout: string;
    readonly evaluation_interval: string;
  };
  readonly rule_files: readonly string[];
  readonly scrape_configs: readonly ScrapeConfig[];
}

export interface PrometheusConfigOptions {
  /**
   * Scrape and rule evaluation interval.
   * @default "15s"
   */
  readonly interval?: string;
  /**
   * Scrape timeout; must not exceed `interval` (Prometheus rejects that).
   * @default "10s", or `interval` when that is shorter
   */
  readonly scrapeTimeout?: string;
  /**
   * Namespaces whose API pods are discovered.
   * @default ["userapi"]
   */
  readonly namespaces?: readonly string[];
  /**
   * Rule files (globs allowed), as Prometheus sees them.
   * @default ["/etc/prometheus/rules/*.yaml"]
   */
  readonly ruleFiles?: readonly string[];
  /**
   * Address Prometheus scrapes itself on.
   * @default "localhost:9090"
   */
  readonly selfAddress?: string;
}

/** Pod label that carries the canary track, turned into the `version` target label. */
const TRACK_POD_LABEL = "version";

function metaPodLabel(name: string): string {
  return `__meta_kubernetes_pod_label_${name.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/**
 * Relabelling for the API job. With Istio STRICT mTLS a Prometheus outside the
 * mesh cannot reach the app port (the sidecar demands mTLS), so it scrapes the
 * sidecar agent's plain-HTTP port 15020, where Istio's metrics merging serves
 * the app's /metrics merged with Envoy's stats.
 */
export function apiRelabelConfigs(): RelabelConfig[] {
  return [
    { source_labels: [metaPodLabel("app")], regex: API_APP_LABEL, action: "keep" },
    // Pending pods already have an IP but nothing listens yet; finished pods never will.
    {
      source_labels: ["__meta_kubernetes_pod_phase"],
      regex: "Pending|Succeeded|Failed",
      action: "drop",
    },
    // Pod discovery yields one target per declared container port; keep the one
    // every sidecar declares, so each meshed pod is scraped exactly once.
    {
      source_labels: [
        "__meta_kubernetes_pod_container_name",
        "__meta_kubernetes_pod_container_port_number",
      ],
      separator: ";",
      regex: `${ISTIO_PROXY_CONTAINER};${ISTIO_PROXY_DECLARED_PORT}`,
      action: "keep",
    },
    // IPv6 pod IPs need brackets in host:port.
    {
      source_labels: ["__meta_kubernetes_pod_ip"],
      regex: "(.*:.*)",
      target_label: "__address__",
      replacement: `[$1]:${ISTIO_MERGED_METRICS_PORT}`,
    },
    {
      source_labels: ["__meta_kubernetes_pod_ip"],
      regex: "([^:]+)",
      target_label: "__address__",
      replacement: `$1:${ISTIO_MERGED_METRICS_PORT}`,
    },
    { source_labels: ["__meta_kubernetes_namespace"], target_label: "namespace" },
    { source_labels: ["__meta_kubernetes_pod_name"], target_label: "pod" },
    { source_labels: [metaPodLabel("app")], target_label: "app" },
    { source_labels: [metaPodLabel(TRACK_POD_LABEL)], target_label: "version" },
  ];
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** Seconds in a simple Prometheus duration such as `500ms`, `15s`, `1m`. */
export function durationSeconds(duration: string): number {
  const match = /^(\d+)(ms|s|m|h)$/.exec(duration);
  const unit = match?.[2] === undefined ? undefined : DURATION_UNITS[match[2]];
  if (match?.[1] === undefined || unit === undefined) {
    throw new Error(`not a duration like 15s or 1m: "${duration}"`);
  }
  return Number(match[1]) * unit;
}

/** The prometheus.yml the cluster runs: the API pods via Kubernetes SD, plus Prometheus itself. */
export function prometheusConfig(options: PrometheusConfigOptions = {}): PrometheusConfig {
  const interval = options.interval ?? "15s";
  const timeout = options.scrapeTimeout ?? (durationSeconds(interval) < 10 ? interval : "10s");
  if (durationSeconds(timeout) > durationSeconds(interval)) {
    throw new Error(`scrape timeout ${timeout} exceeds the scrape interval ${interval}`);
  }
  return {
    global: {
      scrape_interval: interval,
      scrape_timeout: timeout,
      evaluation_interval: interval,
    },
    rule_files: [...(options.ruleFiles ?? ["/etc/prometheus/rules/*.yaml"])],
    scrape_configs: [
      {
        job_name: API_JOB,
        metrics_path: ISTIO_MERGED_METRICS_PATH,
        scheme: "http",
        kubernetes_sd_configs: [
          { role: "pod", namespaces: { names: [...(options.namespaces ?? [API_NAMESPACE])] } },
        ],
        relabel_configs: apiRelabelConfigs(),
      },
      {
        job_name: PROMETHEUS_JOB,
        static_configs: [{ targets: [options.selfAddress ?? "localhost:9090"] }],
      },
    ],
  };
}

/**
 * The same config with each Kubernetes-SD job's discovery replaced by the given
 * static targets; everything else (paths, relabelling, rule files) unchanged.
 * Throws when a discovery job has no targets or a target names an unknown job.
 */
export function toStaticVariant(
  config: PrometheusConfig,
  targetsByJob: Readonly<Record<string, readonly StaticConfig[]>>,
): PrometheusConfig {
  const discoveryJobs = config.scrape_configs
    .filter((job) => job.kubernetes_sd_configs !== undefined)
    .map((job) => job.job_name);
  for (const name of Object.keys(targetsByJob)) {
    if (!discoveryJobs.includes(name)) {
      throw new Error(`toStaticVariant: "${name}" is not a job with Kubernetes discovery`);
    }
  }
  return {
    ...config,
    scrape_configs: config.scrape_configs.map((job) => {
      if (job.kubernetes_sd_configs === undefined) return job;
      const targets = targetsByJob[job.job_name];
      if (targets === undefined) {
        throw new Error(`toStaticVariant: no static targets given for job "${job.job_name}"`);
      }
      const { kubernetes_sd_configs: _discovery, ...rest } = job;
      return { ...rest, static_configs: targets };
    }),
  };
}

/** A pod as Kubernetes pod discovery sees it, for simulating discovery in tests. */
export interface DiscoveredPod {
  readonly name: string;
  readonly namespace: string;
  /** Absent for a pod that has not been scheduled yet. */
  readonly ip?: string;
  readonly phase: "Pending" | "Running" | "Succeeded" | "Failed";
  readonly labels: Readonly<Record<string, string>>;
  readonly container: string;
  readonly port: number;
}

/**
 * The `__meta_kubernetes_*` labels (the subset the relabelling reads) that pod
 * discovery attaches to the target for one container port of `pod`.
 */
export function podDiscoveryLabels(pod: DiscoveredPod): Record<string, string> {
  const labels: Record<string, string> = {
    __meta_kubernetes_namespace: pod.namespace,
    __meta_kubernetes_pod_name: pod.name,
    __meta_kubernetes_pod_phase: pod.phase,
    __meta_kubernetes_pod_container_name: pod.container,
    __meta_kubernetes_pod_container_port_number: String(pod.port),
  };
  if (pod.ip !== undefined) labels.__meta_kubernetes_pod_ip = pod.ip;
  for (const [key, value] of Object.entries(pod.labels)) labels[metaPodLabel(key)] = value;
  return labels;
}
