/**
 * What monitoring relies on from the API and the cluster, in one place.
 * The API's metric names and labels are a contract (see the SPEC); the
 * scrape config, the alert rules and the dashboard all build their
 * selectors from here, so a rename breaks one file and every test. Cluster
 * names (namespace, pod labels) come from charts/lib/labels.ts, the charts'
 * single source.
 */
import { API_APP, ISTIO_AGENT_METRICS_PORT, NAMESPACE } from "../lib/labels.js";

/** Prometheus job that scrapes the API pods; also the `job` label of their series. */
export const API_JOB = "userapi";

/** Prometheus job that scrapes Prometheus itself. */
export const PROMETHEUS_JOB = "prometheus";

/** Namespace the API runs in (the dashboard's default `namespace` value). */
export const API_NAMESPACE = NAMESPACE;

/** Pod label `app` value of the API pods. */
export const API_APP_LABEL = API_APP;

/** Metric names the API exports (prom-client, see api/middleware/metrics.ts). */
export const METRICS = {
  requests: "http_requests_total",
  duration: "http_request_duration_seconds",
  durationBucket: "http_request_duration_seconds_bucket",
  storeUp: "userapi_store_up",
  processStart: "process_start_time_seconds",
} as const;

/**
 * Route templates that are probes or scrapes rather than user traffic. The
 * error-ratio and latency SLIs leave them out: kubelet probes and scrapes
 * would otherwise dominate a quiet service (`/serving` is the readiness
 * probe), and `/ready` answers 503 (slowly) by design while Redis is down,
 * which "Redis down" already reports.
 */
export const OPERATIONAL_ROUTES: readonly string[] = ["/health", "/ready", "/serving", "/metrics"];

/** Istio's pilot-agent port that serves merged app + Envoy metrics (metrics merging). */
export const ISTIO_MERGED_METRICS_PORT = ISTIO_AGENT_METRICS_PORT;

/** Path of the merged metrics on the agent port. */
export const ISTIO_MERGED_METRICS_PATH = "/stats/prometheus";

/** Name of the injected sidecar container. */
export const ISTIO_PROXY_CONTAINER = "istio-proxy";

/**
 * Envoy's own Prometheus port, which every injected sidecar declares
 * (`http-envoy-prom`). Pod discovery emits one target per declared container
 * port; keeping only this one yields exactly one target per meshed pod, no
 * matter which ports the app container declares.
 */
export const ISTIO_PROXY_DECLARED_PORT = 15090;

/** Uid of the provisioned Prometheus datasource, referenced by every dashboard panel. */
export const PROMETHEUS_DATASOURCE_UID = "prometheus";
