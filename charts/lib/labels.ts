/**
 * Names and labels that other objects (Istio, NetworkPolicies, Prometheus)
 * refer to. This file is the single source: the charts, the monitoring
 * charts and the consistency tests import these values instead of
 * repeating the strings.
 */

/** Namespace of the API and Redis (labelled for Istio sidecar injection). */
export const NAMESPACE = "userapi";

/** The `app` label of the API pods; also the Service and ServiceAccount name. */
export const API_APP = "userapi";

/** Name of the API's Service, ServiceAccount and Istio host (short form). */
export const API_NAME = "userapi";

/** The two API tracks; each is a Deployment whose pods carry `version: <track>`. */
export const TRACKS = ["v1", "v2"] as const;
export type Track = (typeof TRACKS)[number];

/** Port the API container listens on (env `PORT`), named `http` for Istio. */
export const API_PORT = 8080;
/** Port the API's Service exposes; it targets API_PORT. */
export const API_SERVICE_PORT = 80;
/** Name of the API's container port and Service port (Istio protocol selection). */
export const API_PORT_NAME = "http";

/** Redis: Service name (so `redis://redis:6379` resolves), pod label and port. */
export const REDIS_NAME = "redis";
export const REDIS_PORT = 6379;
export const REDIS_PORT_NAME = "tcp-redis";

/** Istio ingress gateway: namespace, pod labels, and mTLS identity. */
export const INGRESS_GATEWAY_NAMESPACE = "istio-system";
export const INGRESS_GATEWAY_LABELS: Readonly<Record<string, string>> = Object.freeze({
  istio: "ingressgateway",
});
export const INGRESS_GATEWAY_PRINCIPAL =
  "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";

/** Monitoring stack (its own namespace); Prometheus scrapes through Istio metrics merging. */
export const MONITORING_NAMESPACE = "monitoring";
export const PROMETHEUS_LABELS: Readonly<Record<string, string>> = Object.freeze({
  app: "prometheus",
});
export const GRAFANA_LABELS: Readonly<Record<string, string>> = Object.freeze({ app: "grafana" });
/**
 * Istio's pilot-agent port that serves the app's metrics merged with
 * Envoy's (metrics merging): the only port Prometheus connects to.
 */
export const ISTIO_AGENT_METRICS_PORT = 15020;

/** In-cluster DNS name of a Service in NAMESPACE (Istio hosts with a dot must be FQDNs). */
export function serviceFqdn(name: string, namespace: string = NAMESPACE): string {
  return `${name}.${namespace}.svc.cluster.local`;
}

/** Istio mTLS principal of a ServiceAccount. */
export function principalOf(serviceAccount: string, namespace: string = NAMESPACE): string {
  return `cluster.local/ns/${namespace}/sa/${serviceAccount}`;
}

/** Pod labels of one API track: `app` picks the Service, `version` picks the subset. */
export function labelsFor(track: Track): Readonly<{ app: string; version: Track }> {
  return Object.freeze({ app: API_APP, version: track });
}

/** Labels the API Service selects: `app` only, so both tracks receive traffic. */
export function apiSelector(): Readonly<{ app: string }> {
  return Object.freeze({ app: API_APP });
}

/** Pod labels of Redis. */
export function redisLabels(): Readonly<{ app: string }> {
  return Object.freeze({ app: REDIS_NAME });
}
