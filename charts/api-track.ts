import { ApiObject, Duration, JsonPatch, Size } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { JWKS_FILE_NAME, JWKS_MOUNT_PATH } from "./api-authentication.js";
import type { ChartConfig } from "./config.js";
import {
  API_NAME,
  API_PORT,
  API_PORT_NAME,
  labelsFor,
  REDIS_NAME,
  REDIS_PORT,
  type Track,
} from "./lib/labels.js";
import {
  APP_HEADERS_TIMEOUT,
  APP_KEEP_ALIVE_TIMEOUT,
  type ShutdownPlan,
  shutdownPlan,
} from "./lib/lifecycle.js";
import { canonicalResources } from "./lib/quantities.js";
import { API_IDENTITY, applyRestrictedSecurity, type PodIdentity } from "./lib/security.js";
import { omitRestatedDefaults } from "./lib/server-defaults.js";

/** What the app verifies tokens against (from `ApiAuthentication`). */
export interface ApiTrackAuth {
  /** ConfigMap holding `jwks.json`, mounted as a directory (not subPath, so updates reach the pods). */
  readonly jwksConfigMap: kplus.IConfigMap;
  /** The app's AUTH_ISSUER. */
  readonly issuer: string;
  /** The app's AUTH_AUDIENCE. */
  readonly audience: string;
}

/** Props of `ApiTrack`. */
export interface ApiTrackProps {
  /** Track name; becomes the pods' `version` label and the app's APP_VERSION. */
  readonly track: Track;
  /** Image reference with tag, e.g. `userapi:1.0.0`. */
  readonly image: string;
  /**
   * Image pull policy (`IfNotPresent` lets kind use an image loaded with `kind load`).
   * @default "IfNotPresent"
   */
  readonly imagePullPolicy?: "IfNotPresent" | "Always" | "Never";
  /** ServiceAccount the pods run as. */
  readonly serviceAccount: kplus.IServiceAccount;
  /** Lower bound of the HorizontalPodAutoscaler (and the starting size). */
  readonly minReplicas: number;
  /** Upper bound of the HorizontalPodAutoscaler. */
  readonly maxReplicas: number;
  /** CPU and memory requests and limits of the API container. */
  readonly resources: ChartConfig["apiResources"];
  /** Token verification: the JWKS ConfigMap, issuer and audience. */
  readonly auth: ApiTrackAuth;
  /**
   * The API's LOG_LEVEL.
   * @default "info"
   */
  readonly logLevel?: string;
  /**
   * REDIS_URL of the API.
   * @default "redis://redis:6379"
   */
  readonly redisUrl?: string;
  /**
   * Average CPU utilisation (percent of the request) the autoscaler aims for.
   * @default 70
   */
  readonly targetCpuUtilization?: number;
  /**
   * The app's drain deadline after SIGTERM (env SHUTDOWN_TIMEOUT_MS).
   * @default Duration.seconds(10)
   */
  readonly shutdownTimeout?: Duration;
  /**
   * preStop sleep: lets endpoints and Envoy stop routing before the app drains.
   * @default Duration.seconds(5)
   */
  readonly preStopDelay?: Duration;
  /**
   * The app's keep-alive timeout (env KEEP_ALIVE_TIMEOUT_MS); must outlast the mesh's idle timeout.
   * @default APP_KEEP_ALIVE_TIMEOUT (charts/lib/lifecycle.ts)
   */
  readonly keepAliveTimeout?: Duration;
  /**
   * The app's header timeout (env HEADERS_TIMEOUT_MS).
   * @default APP_HEADERS_TIMEOUT (charts/lib/lifecycle.ts)
   */
  readonly headersTimeout?: Duration;
  /**
   * Numeric identity of the container.
   * @default API_IDENTITY (10001:10001, the Dockerfile's USER)
   */
  readonly identity?: PodIdentity;
}

/**
 * One track of the API (`userapi-v1` or `userapi-v2`): its Deployment, a
 * HorizontalPodAutoscaler (autoscaling/v2) and a PodDisruptionBudget. The
 * Deployment sets no `spec.replicas`, so applying the manifests never resets
 * the autoscaler's choice.
 */
export class ApiTrack extends Construct {
  /** The track's Deployment. */
  public readonly deployment: kplus.Deployment;
  /** The track's autoscaler. */
  public readonly autoscaler: kplus.HorizontalPodAutoscaler;
  /** Pod labels: `app` and `version` (from charts/lib/labels.ts). */
  public readonly labels: Readonly<Record<string, string>>;
  /** preStop, app drain, proxy drain and grace period of the pods. */
  public readonly shutdown: ShutdownPlan;

  constructor(scope: Construct, id: string, props: ApiTrackProps) {
    super(scope, id);
    const name = `${API_NAME}-${props.track}`;
    const labels = labelsFor(props.track);
    this.labels = labels;
    const identity = props.identity ?? API_IDENTITY;
    const shutdown = shutdownPlan(
      props.preStopDelay ?? Duration.seconds(5),
      props.shutdownTimeout ?? Duration.seconds(10),
    );
    this.shutdown = shutdown;
    const keepAliveTimeout = props.keepAliveTimeout ?? APP_KEEP_ALIVE_TIMEOUT;
    const headersTimeout = props.headersTimeout ?? APP_HEADERS_TIMEOUT;

    this.deployment = new kplus.Deployment(this, "Deployment", {
      metadata: { name, labels: { ...labels } },
      podMetadata: {
        labels: { ...labels },
        annotations: {
          // Start the app only once Envoy is up, or the first Redis connection is
          // refused; keep Envoy up until the app has drained (lib/lifecycle.ts).
          "proxy.istio.io/config": JSON.stringify({
            holdApplicationUntilProxyStarts: true,
            terminationDrainDuration: `${shutdown.proxyDrain.toSeconds()}s`,
          }),
          // Istio metrics merging rewrites these to its agent (:15020), which serves
          // the app's /metrics and Envoy's stats together without mTLS.
          "prometheus.io/scrape": "true",
          "prometheus.io/port": String(API_PORT),
          "prometheus.io/path": "/metrics",
        },
      },
      select: false,
      strategy: kplus.DeploymentStrategy.rollingUpdate({
        maxSurge: kplus.PercentOrAbsolute.absolute(1),
        maxUnavailable: kplus.PercentOrAbsolute.absolute(0),
      }),
      progressDeadline: Duration.seconds(600),
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: false,
      restartPolicy: kplus.RestartPolicy.ALWAYS,
      terminationGracePeriod: shutdown.gracePeriod,
      dns: { policy: kplus.DnsPolicy.CLUSTER_FIRST },
      isolate: false,
      spread: false,
      // Overwritten by applyRestrictedSecurity (adds seccomp); kept equal for readers.
      securityContext: {
        ensureNonRoot: true,
        user: identity.uid,
        group: identity.gid,
        ...(identity.fsGroup === undefined ? {} : { fsGroup: identity.fsGroup }),
        fsGroupChangePolicy: kplus.FsGroupChangePolicy.ON_ROOT_MISMATCH,
      },
      containers: [
        {
          name: API_NAME,
          image: props.image,
          imagePullPolicy: pullPolicy(props.imagePullPolicy ?? "IfNotPresent"),
          ports: [{ name: API_PORT_NAME, number: API_PORT, protocol: kplus.Protocol.TCP }],
          envVariables: {
            NODE_ENV: kplus.EnvValue.fromValue("production"),
            HOST: kplus.EnvValue.fromValue("0.0.0.0"),
            PORT: kplus.EnvValue.fromValue(String(API_PORT)),
            REDIS_URL: kplus.EnvValue.fromValue(
              props.redisUrl ?? `redis://${REDIS_NAME}:${REDIS_PORT}`,
            ),
            LOG_LEVEL: kplus.EnvValue.fromValue(props.logLevel ?? "info"),
            SHUTDOWN_TIMEOUT_MS: kplus.EnvValue.fromValue(
              String(shutdown.appDrain.toMilliseconds()),
            ),
            KEEP_ALIVE_TIMEOUT_MS: kplus.EnvValue.fromValue(
              String(keepAliveTimeout.toMilliseconds()),
            ),
            HEADERS_TIMEOUT_MS: kplus.EnvValue.fromValue(String(headersTimeout.toMilliseconds())),
            // The app re-reads the file when a token names an unknown kid, so a
            // ConfigMap update rotates keys without a restart.
            AUTH_JWKS_FILE: kplus.EnvValue.fromValue(`${JWKS_MOUNT_PATH}/${JWKS_FILE_NAME}`),
            AUTH_ISSUER: kplus.EnvValue.fromValue(props.auth.issuer),
            AUTH_AUDIENCE: kplus.EnvValue.fromValue(props.auth.audience),
            // The track, read from the pod's own `version` label (downward API).
            APP_VERSION: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_LABEL, {
              key: "version",
            }),
          },
          // Startup: up to 60 s to listen; liveness and readiness wait for it.
          startup: kplus.Probe.fromHttpGet("/health", {
            port: API_PORT,
            periodSeconds: Duration.seconds(2),
            timeoutSeconds: Duration.seconds(1),
            failureThreshold: 30,
            successThreshold: 1,
          }),
          // Liveness never touches Redis: a Redis outage must not restart the API.
          liveness: kplus.Probe.fromHttpGet("/health", {
            port: API_PORT,
            periodSeconds: Duration.seconds(10),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 3,
            successThreshold: 1,
          }),
          // Readiness is /serving, not /ready: every pod shares the one Redis, so
          // a Redis outage would take all of them out of the endpoints at once and
          // clients would get the proxy's "no healthy upstream" on every path.
          // Ready pods answer /user with their own 503 + Retry-After instead.
          readiness: kplus.Probe.fromHttpGet("/serving", {
            port: API_PORT,
            periodSeconds: Duration.seconds(5),
            timeoutSeconds: Duration.seconds(2),
            failureThreshold: 2,
            successThreshold: 1,
          }),
          lifecycle: {
            preStop: kplus.Handler.fromCommand(["sleep", String(shutdown.preStop.toSeconds())]),
          },
          securityContext: {
            ensureNonRoot: true,
            user: identity.uid,
            group: identity.gid,
            privileged: false,
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
          },
          volumeMounts: [
            {
              path: "/tmp",
              volume: kplus.Volume.fromEmptyDir(this, "Tmp", "tmp", {
                sizeLimit: Size.mebibytes(64),
              }),
            },
            {
              // The whole directory: a subPath mount would never see an update.
              path: JWKS_MOUNT_PATH,
              readOnly: true,
              volume: kplus.Volume.fromConfigMap(this, "Jwks", props.auth.jwksConfigMap, {
                name: "jwks",
              }),
            },
          ],
        },
      ],
    });

    const apiObject = ApiObject.of(this.deployment);
    applyRestrictedSecurity(apiObject, identity, { containers: 1 });
    omitRestatedDefaults(apiObject);
    // Quantities in the server's canonical form (1Gi, not 1024Mi), so a
    // re-apply finds nothing to change (cdk8s-plus writes memory in Mi).
    apiObject.addJsonPatch(
      JsonPatch.add(
        "/spec/template/spec/containers/0/resources",
        canonicalResources(props.resources),
      ),
    );
    // Pods carry only our labels: cdk8s-plus's per-workload address label is not
    // used by any selector here (select: false above).
    apiObject.addJsonPatch(
      JsonPatch.remove("/spec/template/metadata/labels/cdk8s.io~1metadata.addr"),
    );
    // cdk8s-plus-27 spreads only through pod anti-affinity; ScheduleAnyway keeps
    // a one-node cluster (kind) schedulable while spreading where nodes allow.
    apiObject.addJsonPatch(
      JsonPatch.add("/spec/template/spec/topologySpreadConstraints", [
        {
          maxSkew: 1,
          topologyKey: "kubernetes.io/hostname",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: { ...labels } },
        },
        {
          maxSkew: 1,
          topologyKey: "topology.kubernetes.io/zone",
          whenUnsatisfiable: "ScheduleAnyway",
          labelSelector: { matchLabels: { ...labels } },
        },
      ]),
    );
    this.deployment.select(kplus.LabelSelector.of({ labels: { ...labels } }));

    this.autoscaler = new kplus.HorizontalPodAutoscaler(this, "Autoscaler", {
      metadata: { name, labels: { ...labels } },
      target: this.deployment,
      minReplicas: props.minReplicas,
      maxReplicas: props.maxReplicas,
      metrics: [
        kplus.Metric.resourceCpu(
          kplus.MetricTarget.averageUtilization(props.targetCpuUtilization ?? 70),
        ),
      ],
      scaleUp: {
        strategy: kplus.ScalingStrategy.MAX_CHANGE,
        stabilizationWindow: Duration.seconds(0),
        policies: [
          { replicas: kplus.Replicas.absolute(2), duration: Duration.seconds(30) },
          { replicas: kplus.Replicas.percent(100), duration: Duration.seconds(30) },
        ],
      },
      scaleDown: {
        strategy: kplus.ScalingStrategy.MAX_CHANGE,
        stabilizationWindow: Duration.minutes(5),
        policies: [{ replicas: kplus.Replicas.absolute(1), duration: Duration.minutes(1) }],
      },
    });

    // At most one pod of the track down for a drain; with min 2 replicas the track stays up.
    new kplus.k8s.KubePodDisruptionBudget(this, "PodDisruptionBudget", {
      metadata: { name, labels: { ...labels } },
      spec: {
        maxUnavailable: kplus.k8s.IntOrString.fromNumber(1),
        selector: { matchLabels: { ...labels } },
      },
    });
  }
}

function pullPolicy(policy: "IfNotPresent" | "Always" | "Never"): kplus.ImagePullPolicy {
  switch (policy) {
    case "Always":
      return kplus.ImagePullPolicy.ALWAYS;
    case "Never":
      return kplus.ImagePullPolicy.NEVER;
    default:
      return kplus.ImagePullPolicy.IF_NOT_PRESENT;
  }
}
