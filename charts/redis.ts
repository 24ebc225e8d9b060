import { ApiObject, Duration } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import type { ChartConfig } from "./config.js";
import { REDIS_NAME, REDIS_PORT, REDIS_PORT_NAME, redisLabels } from "./lib/labels.js";
import { canonicalBytes, canonicalResources } from "./lib/quantities.js";
import { REDIS_PERSISTENCE_ARGS } from "./lib/redis-persistence.js";
import {
  type PodIdentity,
  REDIS_IDENTITY,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from "./lib/security.js";
import { omitRestatedDefaults } from "./lib/server-defaults.js";

/** Props of `Redis`. */
export interface RedisProps {
  /** Image pinned by tag, e.g. `redis:7.4.7-alpine`. */
  readonly image: string;
  /** Size of the data volume (PVC), e.g. `1Gi`. */
  readonly storageSize: string;
  /**
   * StorageClass of the data volume.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: string;
  /** CPU and memory requests and limits of the redis container. */
  readonly resources: ChartConfig["apiResources"];
  /**
   * Image pull policy.
   * @default "IfNotPresent"
   */
  readonly imagePullPolicy?: "IfNotPresent" | "Always" | "Never";
  /**
   * Numeric identity the server runs as.
   * @default REDIS_IDENTITY (10002:10002, fsGroup 10002)
   */
  readonly identity?: PodIdentity;
}

/** Mount point of the data volume; Redis writes its append-only files here. */
export const REDIS_DATA_DIR = "/data";

/**
 * Redis with append-only persistence on a PersistentVolumeClaim: a one-pod
 * StatefulSet, the `redis` Service clients use, the headless Service that
 * governs the StatefulSet, its own ServiceAccount (the mTLS identity the
 * AuthorizationPolicy names) and a PodDisruptionBudget. The StatefulSet is
 * an L1 object because cdk8s-plus-27 has no volumeClaimTemplates.
 */
export class Redis extends Construct {
  /** The Service clients connect to (`redis://redis:6379`). */
  public readonly service: kplus.Service;
  /** The ServiceAccount the Redis pod runs as. */
  public readonly serviceAccount: kplus.ServiceAccount;
  /** Pod labels (what Services, policies and the PDB select). */
  public readonly labels: Readonly<Record<string, string>> = redisLabels();

  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const identity = props.identity ?? REDIS_IDENTITY;
    const headlessName = `${REDIS_NAME}-headless`;
    const port = { name: REDIS_PORT_NAME, port: REDIS_PORT, targetPort: REDIS_PORT };
    const pods = kplus.Pods.select(this, "Pods", { labels: { ...this.labels } });

    this.serviceAccount = new kplus.ServiceAccount(this, "ServiceAccount", {
      metadata: { name: REDIS_NAME },
      automountToken: false,
    });

    this.service = new kplus.Service(this, "Service", {
      metadata: { name: REDIS_NAME, labels: { ...this.labels } },
      type: kplus.ServiceType.CLUSTER_IP,
      selector: pods,
      ports: [{ ...port, protocol: kplus.Protocol.TCP }],
    });
    omitRestatedDefaults(ApiObject.of(this.service));

    // Governing Service of the StatefulSet (stable pod DNS); clients use `redis`.
    const headless = new kplus.Service(this, "HeadlessService", {
      metadata: { name: headlessName, labels: { ...this.labels } },
      type: kplus.ServiceType.CLUSTER_IP,
      clusterIP: "None",
      selector: pods,
      ports: [{ ...port, protocol: kplus.Protocol.TCP }],
    });
    omitRestatedDefaults(ApiObject.of(headless));

    const ping = ["sh", "-c", `redis-cli -p ${REDIS_PORT} ping | grep -q PONG`];
    const manifest = kplus.k8s.KubeStatefulSet.manifest({
      metadata: { name: REDIS_NAME, labels: { ...this.labels } },
      spec: {
        serviceName: headlessName,
        replicas: 1,
        podManagementPolicy: "OrderedReady",
        updateStrategy: { type: "RollingUpdate" },
        persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
        selector: { matchLabels: { ...this.labels } },
        template: {
          metadata: { labels: { ...this.labels } },
          spec: {
            serviceAccountName: this.serviceAccount.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPodSecurityContext(identity),
            // Redis flushes the append-only file on SIGTERM; 30 s covers a large fsync.
            terminationGracePeriodSeconds: Duration.seconds(30).toSeconds(),
            containers: [
              {
                name: "redis",
                image: props.image,
                imagePullPolicy: props.imagePullPolicy ?? "IfNotPresent",
                command: ["redis-server"],
                args: [
                  "--port",
                  String(REDIS_PORT),
                  "--dir",
                  REDIS_DATA_DIR,
                  // Access control is the mesh's job: NetworkPolicy + mTLS AuthorizationPolicy.
                  "--protected-mode",
                  "no",
                  ...REDIS_PERSISTENCE_ARGS,
                ],
                ports: [{ name: REDIS_PORT_NAME, containerPort: REDIS_PORT, protocol: "TCP" }],
                resources: canonicalResources(props.resources),
                securityContext: restrictedContainerSecurityContext(identity),
                // Loading a large append-only file can take a while: the startup probe
                // gives it up to 5 minutes before liveness starts counting.
                startupProbe: {
                  exec: { command: ["redis-cli", "-p", String(REDIS_PORT), "ping"] },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 60,
                  successThreshold: 1,
                },
                // Liveness: the server answers at all (LOADING counts as alive).
                livenessProbe: {
                  exec: { command: ["redis-cli", "-p", String(REDIS_PORT), "ping"] },
                  periodSeconds: 10,
                  timeoutSeconds: 3,
                  failureThreshold: 3,
                  successThreshold: 1,
                },
                // Readiness: the server answers PONG, i.e. the dataset is loaded.
                readinessProbe: {
                  exec: { command: ping },
                  periodSeconds: 5,
                  timeoutSeconds: 3,
                  failureThreshold: 2,
                  successThreshold: 1,
                },
                volumeMounts: [
                  { name: "data", mountPath: REDIS_DATA_DIR },
                  { name: "tmp", mountPath: "/tmp" },
                ],
              },
            ],
            volumes: [
              { name: "tmp", emptyDir: { sizeLimit: kplus.k8s.Quantity.fromString("16Mi") } },
            ],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: "data", labels: { ...this.labels } },
            spec: {
              accessModes: ["ReadWriteOnce"],
              ...(props.storageClass === undefined ? {} : { storageClassName: props.storageClass }),
              volumeMode: "Filesystem",
              resources: {
                requests: {
                  storage: kplus.k8s.Quantity.fromString(canonicalBytes(props.storageSize)),
                },
              },
            },
          },
        ],
      },
    });

    // A plain ApiObject: the typed L1 class drops the claim template's type
    // meta and status on output, and the template must be written as the
    // server returns it (with them): the list is compared as a whole, so a
    // field the server adds would make every re-apply report a change.
    const [template] = manifest.spec?.volumeClaimTemplates ?? [];
    new ApiObject(this, "StatefulSet", {
      ...manifest,
      spec: {
        ...manifest.spec,
        volumeClaimTemplates: [
          {
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            ...template,
            status: { phase: "Pending" },
          },
        ],
      },
    });

    // One replica: this allows voluntary evictions (drains) while recording the intent.
    new kplus.k8s.KubePodDisruptionBudget(this, "PodDisruptionBudget", {
      metadata: { name: REDIS_NAME, labels: { ...this.labels } },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...this.labels } },
      },
    });
  }
}
