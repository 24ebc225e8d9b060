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
   * @default GRAFANA_IMAGE
   */
  readonly image?: string;
  /**
   * Secret (in Grafana's namespace) holding the admin login, keys `admin-user`
   * and `admin-password`. Optional: without it the admin password is random.
   * @default "grafana-admin"
   */
  readonly adminSecretName?: string;
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
/**
 * Grafana 12.4, the last 12.x minor (supported longest of the 12 line), at
 * its 12.4.5 patch release (June 2026: security fixes over 12.4.4).
 */
export const GRAFANA_IMAGE = "grafana/grafana:12.4.5";
/** The Secret the admin login is read from, and its keys (see the README, "Monitoring"). */
export const GRAFANA_ADMIN_SECRET = "grafana-admin";
export const GRAFANA_ADMIN_USER_KEY = "admin-user";
export const GRAFANA_ADMIN_PASSWORD_KEY = "admin-password";
/** Where the admin Secret is mounted (optional volume: empty when the Secret is missing). */
const ADMIN_SECRET_DIR = "/etc/grafana/admin-secret";
/** In-memory directory the init container writes the effective admin login to. */
const ADMIN_CREDENTIALS_DIR = "/run/grafana-admin";
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
const INIT_RESOURCES: ContainerResources = {
  cpuRequest: "10m",
  cpuLimit: "100m",
  memoryRequest: "16Mi",
  memoryLimit: "32Mi",
};

/** The grafana/grafana image's `grafana` user is uid 472. */
export const GRAFANA_IDENTITY: PodIdentity = Object.freeze({ uid: 472, gid: 472, fsGroup: 472 });

/**
 * Script of the `admin-credentials` init container: copies the admin login
 * from the mounted Secret, or, when there is none, writes the user `admin`
 * with a random 32-character password that is never logged. Either way
 * Grafana reads the result through `GF_SECURITY_ADMIN_*__FILE`, so there is
 * no default `admin`/`admin` and no literal password in dist/. POSIX sh with
 * `tr`, `head`, `cp`: present in the Grafana image (test: grafana.test.ts).
 */
export const ADMIN_CREDENTIALS_SCRIPT = [
  "set -eu",
  "umask 077",
  `if [ -s "$SECRET_DIR/${GRAFANA_ADMIN_PASSWORD_KEY}" ]; then`,
  `  tr -d '\\r\\n' < "$SECRET_DIR/${GRAFANA_ADMIN_PASSWORD_KEY}" > "$CREDENTIALS_DIR/${GRAFANA_ADMIN_PASSWORD_KEY}"`,
  "  source='mounted Secret'",
  "else",
  `  tr -dc 'A-Za-z0-9' < /dev/urandom | head -c 32 > "$CREDENTIALS_DIR/${GRAFANA_ADMIN_PASSWORD_KEY}"`,
  "  source='random generator (no Secret mounted)'",
  "fi",
  `if [ -s "$SECRET_DIR/${GRAFANA_ADMIN_USER_KEY}" ]; then`,
  `  tr -d '\\r\\n' < "$SECRET_DIR/${GRAFANA_ADMIN_USER_KEY}" > "$CREDENTIALS_DIR/${GRAFANA_ADMIN_USER_KEY}"`,
  "else",
  `  printf admin > "$CREDENTIALS_DIR/${GRAFANA_ADMIN_USER_KEY}"`,
  "fi",
  'echo "grafana admin password: from the $source"',
].join("\n");

/**
 * Grafana environment: paths on writable volumes, no calls home (clusters
 * here have no internet), and anonymous read-only access so a port-forward
 * shows the dashboard at once. Editing needs the admin login, read from the
 * files the init container wrote.
 */
function grafanaEnv(): kplus.k8s.EnvVar[] {
  const env: Record<string, string> = {
    GF_SECURITY_ADMIN_USER__FILE: `${ADMIN_CREDENTIALS_DIR}/${GRAFANA_ADMIN_USER_KEY}`,
    GF_SECURITY_ADMIN_PASSWORD__FILE: `${ADMIN_CREDENTIALS_DIR}/${GRAFANA_ADMIN_PASSWORD_KEY}`,
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
 * The admin login comes from the optional Secret `grafana-admin`: a missing
 * Secret neither blocks the pod nor falls back to admin/admin (see
 * ADMIN_CREDENTIALS_SCRIPT). The database is on an emptyDir, so each pod
 * start creates the admin user afresh with the current Secret.
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
    const image = props.image ?? GRAFANA_IMAGE;
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
            initContainers: [
              {
                name: "admin-credentials",
                image,
                imagePullPolicy: "IfNotPresent",
                command: ["/bin/sh", "-c", ADMIN_CREDENTIALS_SCRIPT],
                env: [
                  { name: "SECRET_DIR", value: ADMIN_SECRET_DIR },
                  { name: "CREDENTIALS_DIR", value: ADMIN_CREDENTIALS_DIR },
                ],
                resources: resourceRequirements(INIT_RESOURCES),
                securityContext: restrictedContainerSecurityContext(identity),
                volumeMounts: [
                  { name: "admin-secret", mountPath: ADMIN_SECRET_DIR, readOnly: true },
                  { name: "admin-credentials", mountPath: ADMIN_CREDENTIALS_DIR },
                ],
              },
            ],
            containers: [
              {
                name: GRAFANA_NAME,
                image,
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
                  {
                    name: "admin-credentials",
                    mountPath: ADMIN_CREDENTIALS_DIR,
                    readOnly: true,
                  },
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
              {
                name: "admin-secret",
                // Optional: a missing Secret leaves the folder empty instead of
                // holding the pod in ContainerCreating. Readable by fsGroup only.
                secret: {
                  secretName: props.adminSecretName ?? GRAFANA_ADMIN_SECRET,
                  optional: true,
                  defaultMode: 0o440,
                },
              },
              // The effective login, in memory only (never on the node's disk).
              {
                name: "admin-credentials",
                emptyDir: { medium: "Memory", sizeLimit: kplus.k8s.Quantity.fromString("1Mi") },
              },
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
