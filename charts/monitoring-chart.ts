import { Chart, type ChartProps } from "cdk8s";
import type { Construct } from "constructs";
import { Grafana, type GrafanaProps } from "./grafana.js";
import { MONITORING_NAMESPACE, serviceFqdn } from "./lib/labels.js";
import { MonitoringNamespace } from "./monitoring-namespace.js";
import {
  PROMETHEUS_NAME,
  PROMETHEUS_PORT,
  Prometheus,
  type PrometheusProps,
} from "./prometheus.js";
import { COMMON_LABELS } from "./userapi-chart.js";

/** Props of `MonitoringChart`. */
export interface MonitoringChartProps extends ChartProps {
  /**
   * Prometheus settings (image, interval, retention, resources).
   * @default - see PrometheusProps
   */
  readonly prometheus?: PrometheusProps;
  /**
   * Grafana settings; its datasource always points at this chart's Prometheus.
   * @default - see GrafanaProps
   */
  readonly grafana?: Omit<GrafanaProps, "prometheusUrl" | "scrapeInterval">;
}

/**
 * The `monitoring` namespace with Prometheus (scraping the API pods through
 * Istio metrics merging, evaluating the userapi alert rules) and Grafana
 * (provisioned datasource and dashboard). Only core Kubernetes kinds: no
 * operator CRDs, so it applies on any cluster that has Istio.
 */
export class MonitoringChart extends Chart {
  /** The Namespace construct. */
  public readonly monitoringNamespace: MonitoringNamespace;
  /** Prometheus. */
  public readonly prometheus: Prometheus;
  /** Grafana. */
  public readonly grafana: Grafana;

  constructor(scope: Construct, id: string, props: MonitoringChartProps = {}) {
    const namespace = props.namespace ?? MONITORING_NAMESPACE;
    super(scope, id, {
      disableResourceNameHashes: true,
      ...props,
      namespace,
      labels: { ...COMMON_LABELS, ...props.labels },
    });
    // First in the file, so `kubectl apply` creates it before what lives in it.
    this.monitoringNamespace = new MonitoringNamespace(this, "Namespace", { name: namespace });
    this.prometheus = new Prometheus(this, "Prometheus", props.prometheus);
    this.grafana = new Grafana(this, "Grafana", {
      ...props.grafana,
      prometheusUrl: `http://${serviceFqdn(PROMETHEUS_NAME, namespace)}:${PROMETHEUS_PORT}`,
      ...(props.prometheus?.interval === undefined
        ? {}
        : { scrapeInterval: props.prometheus.interval }),
    });
  }
}
