import { Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { GRAFANA_LABELS } from "./lib/labels.js";
import {
  type PodIdentity,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./lib/security.js";
import { DASHBOARD_UID, userapiDashboard } from "./monitoring/dashboard.js";
import {
  dashboardProvisioning,
  datasourceProvisioning,
} from "./monitoring/grafana-provisioning.js";
import { toJson, toYaml } from "./monitoring/render.js";
import {
  type ContainerResources,
  contentChecksum,
  resourceRequirements,
} from "./monitoring/workload.js";

/** Props of `Grafana`. */
export interface GrafanaProps {
  /** URL Grafana's backend uses to query Prometheus, e.g. `http://prometheus.monitoring.svc.cluster.local:9090`. */
  readonly prometheusUrl: string;
  /**
   * Prometheus's scrape interval (Grafana derives `$__rate_interval` from it).
   * @default "15s"
   */
  readonly scrapeInterval?: string;
  /**
   * Image pinned by tag.
   * @default "grafana/grafana:11.3.0"
   */
  readonly image?: string;
  /**
   * Container resources.
   * @default 50m/500m CPU, 128Mi/512Mi memory
   */
  readonly resources?: ContainerResources;
  /**
   * Numeric identity (the image's `grafana` user).
   * @default 472:472, fsGroup 472
   */
  readonly identity?: PodIdentity;
}

/** Grafana's name: Deployment, Service, ServiceAccount. */
export const GRAFANA_NAME = "grafana";
/** Port of Grafana's web UI. */
export const GRAFANA_PORT = 3000;
/** Where the provisioned dashboard JSON files are mounted. */
export const GRAFANA_DASHBOARDS_DIR = "/etc/grafana/dashboards/userapi";
const PROVISIONING_DIR = "/etc/grafana/provisioning";
const DATA_DIR = "/var/lib/grafana";

const DEFAULT_RESOURCES: ContainerResources = {
  cpuRequest: "50m",
  cpuLimit: "500m",
  memoryRequest: "128Mi",
  memoryLimit: "512Mi",
};

/** The grafana/grafana image's `grafana` user is uid 472. */
export const GRAFANA_IDENTITY: PodIdentity = Object.freeze({ uid: 472, gid: 472, fsGroup: 472 });

/**
 * Grafana environment: paths on writable volumes, no calls home (clusters
 * here have no internet), and anonymous read-only access so a port-forward
 * shows the dashboard at once. Editing needs the admin login.
 */
function grafanaEnv(): kplus.k8s.EnvVar[] {
  const env: Record<string, string> = {
    GF_PATHS_DATA: DATA_DIR,
    GF_PATHS_LOGS: "/var/log/grafana",
    GF_PATHS_PLUGINS: `${DATA_DIR}/plugins`,
    GF_PATHS_PROVISIONING: PROVISIONING_DIR,
    GF_LOG_MODE: "console",
    GF_ANALYTICS_REPORTING_ENABLED: "false",
    GF_ANALYTICS_CHECK_FOR_UPDATES: "false",
    GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES: "false",
    GF_NEWS_NEWS_FEED_ENABLED: "false",
    GF_PLUGINS_PREINSTALL_DISABLED: "true",
    GF_AUTH_ANONYMOUS_ENABLED: "true",
    GF_AUTH_ANONYMOUS_ORG_ROLE: "Viewer",
    GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: `${GRAFANA_DASHBOARDS_DIR}/${DASHBOARD_UID}.json`,
  };
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

/**
 * Grafana with the Prometheus datasource and the userapi dashboard
 * provisioned from generated files; no database to seed, nothing to click.
 */
export class Grafana extends Construct {
  /** The Service to port-forward to (`grafana:3000`). */
  public readonly service: kplus.k8s.KubeService;
  /** The generated dashboard JSON, as mounted. */
  public readonly dashboardJson: string;
  /** Pod labels. */
  public readonly labels: Readonly<Record<string, string>> = GRAFANA_LABELS;

  constructor(scope: Construct, id: string, props: GrafanaProps) {
    super(scope, id);
    const identity = props.identity ?? GRAFANA_IDENTITY;
    const labels = { ...this.labels };

    const datasourcesYaml = toYaml(
      datasourceProvisioning({
        prometheusUrl: props.prometheusUrl,
        ...(props.scrapeInterval === undefined ? {} : { scrapeInterval: props.scrapeInterval }),
      }),
    );
    const providersYaml = toYaml(dashboardProvisioning(GRAFANA_DASHBOARDS_DIR));
    this.dashboardJson = toJson(userapiDashboard());

    const serviceAccount = new kplus.k8s.KubeServiceAccount(this, "ServiceAccount", {
      metadata: { name: GRAFANA_NAME, labels },
      // Grafana never calls the Kubernetes API.
      automountServiceAccountToken: false,
    });

    const datasources = new kplus.k8s.KubeConfigMap(this, "Datasources", {
      metadata: { name: `${GRAFANA_NAME}-datasources`, labels },
      data: { "datasources.yaml": datasourcesYaml },
    });
    const providers = new kplus.k8s.KubeConfigMap(this, "DashboardProviders", {
      metadata: { name: `${GRAFANA_NAME}-dashboard-providers`, labels },
      data: { "dashboards.yaml": providersYaml },
    });
    const dashboards = new kplus.k8s.KubeConfigMap(this, "Dashboards", {
      metadata: { name: `${GRAFANA_NAME}-dashboards`, labels },
      data: { [`${DASHBOARD_UID}.json`]: this.dashboardJson },
    });

    const port = kplus.k8s.IntOrString.fromString("http");
    const emptyDir = (name: string, size: string): kplus.k8s.Volume => ({
      name,
      emptyDir: { sizeLimit: kplus.k8s.Quantity.fromString(size) },
    });
    new kplus.k8s.KubeDeployment(this, "Deployment", {
      metadata: { name: GRAFANA_NAME, labels },
      spec: {
        replicas: 1,
        // The SQLite database on an emptyDir belongs to one pod at a time.
        strategy: { type: "Recreate" },
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels: { ...labels, "sidecar.istio.io/inject": "false" },
            annotations: {
              "checksum/config": contentChecksum(
                datasourcesYaml,
                providersYaml,
                this.dashboardJson,
              ),
            },
          },
          spec: {
            serviceAccountName: serviceAccount.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(identity),
            terminationGracePeriodSeconds: Duration.seconds(30).toSeconds(),
            containers: [
              {
                name: GRAFANA_NAME,
                image: props.image ?? "grafana/grafana:11.3.0",
                imagePullPolicy: "IfNotPresent",
                env: grafanaEnv(),
                ports: [{ name: "http", containerPort: GRAFANA_PORT, protocol: "TCP" }],
                resources: resourceRequirements(props.resources ?? DEFAULT_RESOURCES),
                securityContext: restrictedContainerSecurityContext(identity),
                // Database migrations on first start take a while on small nodes.
                startupProbe: {
                  httpGet: { path: "/api/health", port },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 60,
                },
                // Liveness: the server accepts connections; readiness: its database answers.
                livenessProbe: {
                  tcpSocket: { port },
                  periodSeconds: 15,
                  timeoutSeconds: 3,
                  failureThreshold: 4,
                },
                readinessProbe: {
                  httpGet: { path: "/api/health", port },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                volumeMounts: [
                  {
                    name: "datasources",
                    mountPath: `${PROVISIONING_DIR}/datasources`,
                    readOnly: true,
                  },
                  {
                    name: "dashboard-providers",
                    mountPath: `${PROVISIONING_DIR}/dashboards`,
                    readOnly: true,
                  },
                  { name: "dashboards", mountPath: GRAFANA_DASHBOARDS_DIR, readOnly: true },
                  { name: "data", mountPath: DATA_DIR },
                  { name: "logs", mountPath: "/var/log/grafana" },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "datasources", configMap: { name: datasources.name } },
              { name: "dashboard-providers", configMap: { name: providers.name } },
              { name: "dashboards", configMap: { name: dashboards.name } },
              emptyDir("data", "1Gi"),
              emptyDir("logs", "64Mi"),
              emptyDir("tmp", "64Mi"),
            ],
          },
        },
      },
    });

    this.service = new kplus.k8s.KubeService(this, "Service", {
      metadata: { name: GRAFANA_NAME, labels },
      spec: {
        type: "ClusterIP",
        selector: labels,
        ports: [{ name: "http", port: GRAFANA_PORT, targetPort: port, protocol: "TCP" }],
      },
    });
  }
}
