import { Chart, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { NAMESPACE, PROMETHEUS_LABELS } from "./lib/labels.js";
import { canonicalBytes, parseMemoryBytes } from "./lib/quantities.js";
import {
  type PodIdentity,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./lib/security.js";
import { alertRules } from "./monitoring/alert-rules.js";
import { prometheusConfig } from "./monitoring/prometheus-config.js";
import { toYaml } from "./monitoring/render.js";
import { parsePrometheusBytes, retentionSizeFor } from "./monitoring/retention.js";
import {
  type ContainerResources,
  contentChecksum,
  resourceRequirements,
} from "./monitoring/workload.js";

/** Props of `Prometheus`. */
export interface PrometheusProps {
  /**
   * Image pinned by tag.
   * @default "prom/prometheus:v2.55.1"
   */
  readonly image?: string;
  /**
   * Namespaces whose API pods Prometheus discovers; it gets a read-only Role on pods in each.
   * @default ["userapi"]
   */
  readonly targetNamespaces?: readonly string[];
  /**
   * Scrape and rule evaluation interval.
   * @default "15s"
   */
  readonly interval?: string;
  /**
   * How long samples are kept.
   * @default "7d"
   */
  readonly retention?: string;
  /**
   * Size limit of the data volume (an emptyDir: metrics do not survive a pod replacement).
   * @default "2Gi"
   */
  readonly storageSize?: string;
  /**
   * Size-based retention (`--storage.tsdb.retention.size`, Prometheus units); must stay
   * below `storageSize`, or the kubelet evicts the pod when the volume fills up.
   * @default - three quarters of storageSize (see monitoring/retention.ts)
   */
  readonly retentionSize?: string;
  /**
   * Container resources.
   * @default 100m/1 CPU, 256Mi/1Gi memory
   */
  readonly resources?: ContainerResources;
  /**
   * Numeric identity (the image's `nobody`).
   * @default 65534:65534, fsGroup 65534
   */
  readonly identity?: PodIdentity;
}

/** Prometheus's name: Deployment, Service, ServiceAccount. */
export const PROMETHEUS_NAME = "prometheus";
/** Port of Prometheus's web UI and HTTP API. */
export const PROMETHEUS_PORT = 9090;
/** Where the generated config and rules are mounted. */
export const PROMETHEUS_CONFIG_DIR = "/etc/prometheus/config";
export const PROMETHEUS_RULES_DIR = "/etc/prometheus/rules";
const DATA_DIR = "/prometheus";
const CONFIG_FILE = "prometheus.yml";
const RULES_FILE = "userapi.rules.yaml";

const DEFAULT_RESOURCES: ContainerResources = {
  cpuRequest: "100m",
  cpuLimit: "1",
  memoryRequest: "256Mi",
  memoryLimit: "1Gi",
};

/** The prom/prometheus image runs as `nobody`. */
export const PROMETHEUS_IDENTITY: PodIdentity = Object.freeze({
  uid: 65534,
  gid: 65534,
  fsGroup: 65534,
});

/**
 * Prometheus outside the mesh: discovers the API pods with Kubernetes pod
 * discovery and scrapes Istio's merged metrics (port 15020), evaluates the
 * generated alert rules, and scrapes itself. RBAC is one Role per target
 * namespace with read access to pods, nothing cluster-wide.
 */
export class Prometheus extends Construct {
  /** The Service Grafana queries (`prometheus:9090`). */
  public readonly service: kplus.k8s.KubeService;
  /** The ServiceAccount discovery runs as. */
  public readonly serviceAccount: kplus.k8s.KubeServiceAccount;
  /** The generated prometheus.yml, as mounted. */
  public readonly configYaml: string;
  /** The generated rule file, as mounted. */
  public readonly rulesYaml: string;
  /** Pod labels (what the Service and the userapi NetworkPolicies select). */
  public readonly labels: Readonly<Record<string, string>> = PROMETHEUS_LABELS;

  constructor(scope: Construct, id: string, props: PrometheusProps = {}) {
    super(scope, id);
    const identity = props.identity ?? PROMETHEUS_IDENTITY;
    const resources = props.resources ?? DEFAULT_RESOURCES;
    const targetNamespaces = props.targetNamespaces ?? [NAMESPACE];
    const storageSize = canonicalBytes(props.storageSize ?? "2Gi");
    const retentionSize = props.retentionSize ?? retentionSizeFor(storageSize);
    if (parsePrometheusBytes(retentionSize) >= parseMemoryBytes(storageSize)) {
      throw new Error(
        `Prometheus retentionSize ${retentionSize} must be below its volume's size limit ${storageSize}`,
      );
    }
    const labels = { ...this.labels };
    // The RoleBindings in other namespaces name this ServiceAccount by namespace.
    const ownNamespace = Chart.of(this).namespace;
    if (ownNamespace === undefined) {
      throw new Error("Prometheus must be placed in a Chart that sets a namespace");
    }

    this.configYaml = toYaml(
      prometheusConfig({
        ...(props.interval === undefined ? {} : { interval: props.interval }),
        namespaces: targetNamespaces,
        ruleFiles: [`${PROMETHEUS_RULES_DIR}/*.yaml`],
        selfAddress: `localhost:${PROMETHEUS_PORT}`,
      }),
    );
    this.rulesYaml = toYaml(alertRules());

    this.serviceAccount = new kplus.k8s.KubeServiceAccount(this, "ServiceAccount", {
      metadata: { name: PROMETHEUS_NAME, labels },
      // Pod discovery reads the Kubernetes API with this account's token.
      automountServiceAccountToken: true,
    });

    // Least privilege: read pods, only where the API runs. Pod discovery with
    // explicit namespaces needs nothing else (no nodes, no cluster scope).
    for (const namespace of targetNamespaces) {
      const roleName = `${PROMETHEUS_NAME}-discovery`;
      new kplus.k8s.KubeRole(this, `DiscoveryRole-${namespace}`, {
        metadata: { name: roleName, namespace, labels },
        rules: [{ apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] }],
      });
      new kplus.k8s.KubeRoleBinding(this, `DiscoveryRoleBinding-${namespace}`, {
        metadata: { name: roleName, namespace, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: roleName },
        subjects: [
          {
            kind: "ServiceAccount",
            name: PROMETHEUS_NAME,
            namespace: ownNamespace,
          },
        ],
      });
    }

    const config = new kplus.k8s.KubeConfigMap(this, "Config", {
      metadata: { name: `${PROMETHEUS_NAME}-config`, labels },
      data: { [CONFIG_FILE]: this.configYaml },
    });
    const rules = new kplus.k8s.KubeConfigMap(this, "Rules", {
      metadata: { name: `${PROMETHEUS_NAME}-rules`, labels },
      data: { [RULES_FILE]: this.rulesYaml },
    });

    const http = { path: "/-/ready", port: kplus.k8s.IntOrString.fromString("http") };
    new kplus.k8s.KubeDeployment(this, "Deployment", {
      metadata: { name: PROMETHEUS_NAME, labels },
      spec: {
        replicas: 1,
        // Two Prometheus pods would both evaluate rules; one at a time is enough.
        strategy: { type: "Recreate" },
        selector: { matchLabels: labels },
        template: {
          metadata: {
            labels: { ...labels, "sidecar.istio.io/inject": "false" },
            annotations: { "checksum/config": contentChecksum(this.configYaml, this.rulesYaml) },
          },
          spec: {
            serviceAccountName: PROMETHEUS_NAME,
            automountServiceAccountToken: true,
            securityContext: restrictedPodSecurityContext(identity),
            terminationGracePeriodSeconds: Duration.seconds(60).toSeconds(),
            containers: [
              {
                name: PROMETHEUS_NAME,
                image: props.image ?? "prom/prometheus:v2.55.1",
                imagePullPolicy: "IfNotPresent",
                args: [
                  `--config.file=${PROMETHEUS_CONFIG_DIR}/${CONFIG_FILE}`,
                  `--storage.tsdb.path=${DATA_DIR}`,
                  `--storage.tsdb.retention.time=${props.retention ?? "7d"}`,
                  `--storage.tsdb.retention.size=${retentionSize}`,
                  `--web.listen-address=:${PROMETHEUS_PORT}`,
                ],
                ports: [{ name: "http", containerPort: PROMETHEUS_PORT, protocol: "TCP" }],
                resources: resourceRequirements(resources),
                securityContext: restrictedContainerSecurityContext(identity),
                // Replaying the write-ahead log after a restart can take minutes.
                startupProbe: {
                  httpGet: http,
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 60,
                },
                // Liveness: the process serves HTTP; readiness: it also answers queries.
                livenessProbe: {
                  httpGet: { ...http, path: "/-/healthy" },
                  periodSeconds: 15,
                  timeoutSeconds: 5,
                  failureThreshold: 4,
                },
                readinessProbe: {
                  httpGet: http,
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                },
                volumeMounts: [
                  { name: "config", mountPath: PROMETHEUS_CONFIG_DIR, readOnly: true },
                  { name: "rules", mountPath: PROMETHEUS_RULES_DIR, readOnly: true },
                  { name: "data", mountPath: DATA_DIR },
                ],
              },
            ],
            volumes: [
              { name: "config", configMap: { name: config.name } },
              { name: "rules", configMap: { name: rules.name } },
              {
                name: "data",
                emptyDir: { sizeLimit: kplus.k8s.Quantity.fromString(storageSize) },
              },
            ],
          },
        },
      },
    });

    this.service = new kplus.k8s.KubeService(this, "Service", {
      metadata: { name: PROMETHEUS_NAME, labels },
      spec: {
        type: "ClusterIP",
        selector: labels,
        ports: [
          {
            name: "http-web",
            port: PROMETHEUS_PORT,
            targetPort: kplus.k8s.IntOrString.fromString("http"),
            protocol: "TCP",
          },
        ],
      },
    });
  }
}
