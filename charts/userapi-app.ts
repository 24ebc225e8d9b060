import { type App, Chart } from "cdk8s";
import type { ChartConfig } from "./config.js";
import { MonitoringChart } from "./monitoring-chart.js";
import { UserapiNamespace } from "./namespace.js";
import { COMMON_LABELS, UserapiChart } from "./userapi-chart.js";

/**
 * Chart ids, which are also the dist/ file names (`<id>.k8s.yaml`).
 * `kubectl apply -f dist` reads files in name order, so the Namespace comes
 * first; a monitoring chart slots in as `10-monitoring`.
 */
export const CHART_IDS = Object.freeze({
  namespace: "00-namespace",
  monitoring: "10-monitoring",
  userapi: "20-userapi",
});

/** The charts of the app, by role. */
export interface UserapiCharts {
  readonly namespace: Chart;
  readonly userapi: UserapiChart;
}

/**
 * Adds every chart to `app`. Pure composition: no env, no synth. Add a
 * chart here and it is in dist/, in the drift, schema and consistency tests.
 */
export function composeCharts(app: App, config: ChartConfig): UserapiCharts {
  const namespace = new Chart(app, CHART_IDS.namespace, {
    disableResourceNameHashes: true,
    labels: { ...COMMON_LABELS },
  });
  new UserapiNamespace(namespace, "Namespace");

  new MonitoringChart(app, CHART_IDS.monitoring);

  const userapi = new UserapiChart(app, CHART_IDS.userapi, { config });
  return { namespace, userapi };
}
