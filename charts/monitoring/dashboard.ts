/**
 * The Grafana dashboard for userapi, built as typed data (Grafana's dashboard
 * JSON model, the subset used here). Panel queries come from ./slis.ts, the
 * same builders the alert rules use; the threshold lines come from the alert
 * defaults. Every query is scoped by the `namespace` template variable.
 */
import { ALERTS, DEFAULT_THRESHOLDS } from "./alert-rules.js";
import { API_NAMESPACE, METRICS, PROMETHEUS_DATASOURCE_UID } from "./contract.js";
import type { Matcher } from "./promql.js";
import { apiSeries, apiUp, errorRatio, latencyQuantile, requestRate } from "./slis.js";

export interface DatasourceRef {
  readonly type: "prometheus";
  readonly uid: string;
}

export interface PanelTarget {
  readonly refId: string;
  readonly datasource: DatasourceRef;
  readonly expr: string;
  readonly legendFormat: string;
  /** Stat panels ask for one value per series; time series panels for a range. */
  readonly instant: boolean;
  readonly range: boolean;
}

export interface ThresholdStep {
  readonly color: string;
  /** `null` is Grafana's "base" step (minus infinity). */
  readonly value: number | null;
}

export interface ValueMapping {
  readonly type: "value";
  readonly options: Readonly<Record<string, { readonly text: string; readonly color: string }>>;
}

export interface FieldDefaults {
  readonly unit: string;
  readonly min?: number;
  readonly max?: number;
  readonly decimals?: number;
  readonly thresholds: { readonly mode: "absolute"; readonly steps: readonly ThresholdStep[] };
  readonly mappings: readonly ValueMapping[];
  readonly custom?: Readonly<Record<string, unknown>>;
}

export interface Panel {
  readonly id: number;
  readonly type: "timeseries" | "stat";
  readonly title: string;
  readonly description: string;
  readonly gridPos: {
    readonly x: number;
    readonly y: number;
    readonly w: number;
    readonly h: number;
  };
  readonly datasource: DatasourceRef;
  readonly targets: readonly PanelTarget[];
  readonly fieldConfig: { readonly defaults: FieldDefaults; readonly overrides: readonly [] };
  readonly options: Readonly<Record<string, unknown>>;
}

export interface QueryVariable {
  readonly type: "query";
  readonly name: string;
  readonly label: string;
  readonly description: string;
  readonly datasource: DatasourceRef;
  /** Grafana's `label_values(<series selector>, <label>)` variable query. */
  readonly query: { readonly qryType: 1; readonly query: string; readonly refId: string };
  readonly definition: string;
  readonly current: { readonly text: string; readonly value: string };
  readonly refresh: 1 | 2;
  readonly sort: 1;
  readonly includeAll: false;
  readonly multi: false;
  readonly hide: 0;
  readonly regex: "";
  readonly options: readonly [];
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly timezone: "browser" | "utc";
  readonly editable: boolean;
  readonly graphTooltip: 0 | 1 | 2;
  readonly schemaVersion: number;
  readonly version: number;
  readonly refresh: string;
  readonly time: { readonly from: string; readonly to: string };
  readonly templating: { readonly list: readonly QueryVariable[] };
  readonly annotations: { readonly list: readonly [] };
  readonly links: readonly [];
  readonly panels: readonly Panel[];
}

export interface DashboardOptions {
  /**
   * Datasource uid the panels query.
   * @default "prometheus"
   */
  readonly datasourceUid?: string;
  /**
   * Namespace selected when the dashboard opens.
   * @default "userapi"
   */
  readonly defaultNamespace?: string;
}

/** The dashboard's uid: stable, so links and provisioning updates keep pointing at it. */
export const DASHBOARD_UID = "userapi-overview";

/** Grafana's rate window: at least four scrape intervals, so rate() always has two samples. */
const RATE = "$__rate_interval";

const NAMESPACE_VARIABLE = "namespace";
const inNamespace: Matcher = { label: "namespace", value: `$${NAMESPACE_VARIABLE}` };
const scope = [inNamespace];

const PANEL_WIDTH = 12;
const PANEL_HEIGHT = 8;

const GREEN = "green";
const RED = "red";

interface PanelSpec {
  readonly type: Panel["type"];
  readonly title: string;
  readonly description: string;
  readonly queries: readonly { readonly expr: string; readonly legend: string }[];
  readonly defaults: FieldDefaults;
  readonly width?: number;
}

function thresholdSteps(redFrom?: number): FieldDefaults["thresholds"] {
  const steps: ThresholdStep[] = [{ color: GREEN, value: null }];
  if (redFrom !== undefined) steps.push({ color: RED, value: redFrom });
  return { mode: "absolute", steps };
}

function timeseriesOptions(): Record<string, unknown> {
  return {
    legend: { displayMode: "table", placement: "bottom", showLegend: true, calcs: ["mean", "max"] },
    tooltip: { mode: "multi", sort: "desc" },
  };
}

function statOptions(): Record<string, unknown> {
  return {
    reduceOptions: { calcs: ["lastNotNull"], fields: "", values: false },
    colorMode: "background",
    graphMode: "none",
    textMode: "value_and_name",
    justifyMode: "auto",
    orientation: "auto",
  };
}

/** Lines with the alert threshold drawn as a red dashed line. */
function lineDefaults(unit: string, thresholdLine?: number): FieldDefaults {
  return {
    unit,
    min: 0,
    thresholds: thresholdSteps(thresholdLine),
    mappings: [],
    custom: {
      drawStyle: "line",
      lineWidth: 1,
      fillOpacity: 10,
      showPoints: "never",
      thresholdsStyle: { mode: thresholdLine === undefined ? "off" : "dashed" },
    },
  };
}

/** The panels, in reading order: traffic, errors, latency, then health of the parts. */
function panelSpecs(): PanelSpec[] {
  const t = DEFAULT_THRESHOLDS;
  return [
    {
      type: "timeseries",
      title: "Request rate by track (v1 vs v2)",
      description:
        "User requests per second, per canary track (pod label `version`). With the default " +
        "VirtualService weights v2 should carry about three times the traffic of v1. Probes and scrapes excluded.",
      queries: [{ expr: requestRate(["version"], RATE, scope), legend: "{{version}}" }],
      defaults: lineDefaults("reqps"),
    },
    {
      type: "timeseries",
      title: "Request rate by status",
      description: "User requests per second by HTTP status code, all tracks together.",
      queries: [{ expr: requestRate(["status"], RATE, scope), legend: "{{status}}" }],
      defaults: lineDefaults("reqps"),
    },
    {
      type: "timeseries",
      title: "5xx error ratio by track",
      description:
        "Share of user requests answered with a 5xx status, per track. The dashed line is the " +
        `${ALERTS.errorRatio} alert threshold (${t.errorRatio * 100}% for ${t.errorRatioFor}). ` +
        "Empty while no request failed.",
      queries: [{ expr: errorRatio(["version"], RATE, scope), legend: "{{version}}" }],
      defaults: { ...lineDefaults("percentunit", t.errorRatio), max: 1 },
    },
    {
      type: "timeseries",
      title: "Latency p50 / p95 / p99",
      description:
        "Quantiles of user request duration, estimated from the histogram buckets. The dashed " +
        `line is the ${ALERTS.latency} alert threshold (${t.p99Seconds * 1000} ms for ${t.p99For}).`,
      queries: [
        { expr: latencyQuantile(0.5, [], RATE, scope), legend: "p50" },
        { expr: latencyQuantile(0.95, [], RATE, scope), legend: "p95" },
        { expr: latencyQuantile(0.99, [], RATE, scope), legend: "p99" },
      ],
      defaults: lineDefaults("s", t.p99Seconds),
    },
    {
      type: "stat",
      title: "Store (Redis) reachable, per pod",
      description:
        "The API's own view of Redis (`userapi_store_up`): UP when that pod reaches Redis. " +
        `DOWN on every pod for ${t.storeDownFor} is ${ALERTS.storeDown}; DOWN on one pod points at that pod's network.`,
      queries: [{ expr: `min by (pod) (${apiSeries(METRICS.storeUp, scope)})`, legend: "{{pod}}" }],
      defaults: {
        unit: "none",
        min: 0,
        max: 1,
        decimals: 0,
        thresholds: thresholdSteps(),
        mappings: [
          {
            type: "value",
            options: { "0": { text: "DOWN", color: RED }, "1": { text: "UP", color: GREEN } },
          },
        ],
      },
    },
    {
      type: "timeseries",
      title: "API pods up, by track",
      description:
        "API pods whose last scrape succeeded, per track. Zero on every track for " +
        `${t.apiDownFor} (or no pod at all) is ${ALERTS.apiDown}; one pod down for ${t.podDownFor} is ${ALERTS.podDown}.`,
      queries: [{ expr: `sum by (version) (${apiUp(scope)})`, legend: "{{version}}" }],
      defaults: { ...lineDefaults("none"), decimals: 0 },
    },
    {
      type: "stat",
      title: "Process restarts in the time range, per pod",
      description:
        "How often each pod's API process started again within the selected time range, counted " +
        "from changes of `process_start_time_seconds` (no kube-state-metrics here). A container " +
        "restart keeps the pod name and shows up here; a replaced pod (rollout) is a new pod and does not.",
      queries: [
        {
          expr: `sum by (pod) (changes(${apiSeries(METRICS.processStart, scope)}[$__range]))`,
          legend: "{{pod}}",
        },
      ],
      defaults: { unit: "none", min: 0, decimals: 0, thresholds: thresholdSteps(1), mappings: [] },
      width: 24,
    },
  ];
}

/** Lays panels out left to right, two per row unless a panel asks for the full width. */
function layout(specs: readonly PanelSpec[], datasource: DatasourceRef): Panel[] {
  let x = 0;
  let y = 0;
  return specs.map((spec, index) => {
    const w = spec.width ?? PANEL_WIDTH;
    if (x + w > 24) {
      x = 0;
      y += PANEL_HEIGHT;
    }
    const gridPos = { x, y, w, h: PANEL_HEIGHT };
    x += w;
    const stat = spec.type === "stat";
    return {
      id: index + 1,
      type: spec.type,
      title: spec.title,
      description: spec.description,
      gridPos,
      datasource,
      targets: spec.queries.map((q, i) => ({
        refId: String.fromCharCode(65 + i),
        datasource,
        expr: q.expr,
        legendFormat: q.legend,
        instant: stat,
        range: !stat,
      })),
      fieldConfig: { defaults: spec.defaults, overrides: [] },
      options: stat ? statOptions() : timeseriesOptions(),
    };
  });
}

/** The `namespace` variable: every namespace that has API targets. */
function namespaceVariable(datasource: DatasourceRef, current: string): QueryVariable {
  const definition = `label_values(${apiUp()}, ${NAMESPACE_VARIABLE})`;
  return {
    type: "query",
    name: NAMESPACE_VARIABLE,
    label: "Namespace",
    description: "Namespace of the API pods",
    datasource,
    query: { qryType: 1, query: definition, refId: "PrometheusVariableQueryEditor-VariableQuery" },
    definition,
    current: { text: current, value: current },
    refresh: 2,
    sort: 1,
    includeAll: false,
    multi: false,
    hide: 0,
    regex: "",
    options: [],
  };
}

/** The userapi dashboard. */
export function userapiDashboard(options: DashboardOptions = {}): Dashboard {
  const datasource: DatasourceRef = {
    type: "prometheus",
    uid: options.datasourceUid ?? PROMETHEUS_DATASOURCE_UID,
  };
  return {
    uid: DASHBOARD_UID,
    title: "userapi",
    description: "Traffic per canary track, errors, latency and health of the userapi service",
    tags: ["userapi", "istio-canary"],
    timezone: "browser",
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    refresh: "30s",
    time: { from: "now-1h", to: "now" },
    templating: {
      list: [namespaceVariable(datasource, options.defaultNamespace ?? API_NAMESPACE)],
    },
    annotations: { list: [] },
    links: [],
    panels: layout(panelSpecs(), datasource),
  };
}

/** Every panel query of a dashboard, with the panel it belongs to. */
export function dashboardQueries(
  dashboard: Dashboard,
): { panel: string; refId: string; expr: string }[] {
  return dashboard.panels.flatMap((p) =>
    p.targets.map((t) => ({ panel: p.title, refId: t.refId, expr: t.expr })),
  );
}

/** Splits a `label_values(<selector>, <label>)` variable query into its parts. */
export function parseLabelValuesQuery(query: string): { match: string; label: string } {
  const found = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
  if (found?.[1] === undefined || found[2] === undefined) {
    throw new Error(`not a label_values(selector, label) query: ${query}`);
  }
  return { match: found[1], label: found[2] };
}
