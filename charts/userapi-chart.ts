import { Chart, type ChartProps } from "cdk8s";
import type { Construct } from "constructs";
import { ApiAuthentication } from "./api-authentication.js";
import { ApiService } from "./api-service.js";
import { ApiTrack } from "./api-track.js";
import { type ChartConfig, trackImage } from "./config.js";
import { NAMESPACE, TRACKS, type Track } from "./lib/labels.js";
import { MeshSecurity } from "./mesh-security.js";
import { NetworkPolicies } from "./network-policies.js";
import { Redis } from "./redis.js";
import { Traffic } from "./traffic.js";

/** Labels on every object's metadata (not on pod templates or selectors). */
export const COMMON_LABELS: Readonly<Record<string, string>> = Object.freeze({
  "app.kubernetes.io/part-of": "userapi",
  "app.kubernetes.io/managed-by": "cdk8s",
});

/** Props of `UserapiChart`. */
export interface UserapiChartProps extends ChartProps {
  /** Validated chart configuration (see charts/config.ts). */
  readonly config: ChartConfig;
}

/**
 * Everything in the `userapi` namespace: Redis, the API's Service and two
 * tracks, Istio traffic and mTLS policy, and NetworkPolicies. The Namespace
 * itself is a separate chart so it lands in the first file of dist/.
 */
export class UserapiChart extends Chart {
  /** The Redis construct. */
  public readonly redis: Redis;
  /** The API Service and ServiceAccount. */
  public readonly api: ApiService;
  /** One ApiTrack per track. */
  public readonly tracks: Readonly<Record<Track, ApiTrack>>;
  /** Gateway, VirtualServices and DestinationRule. */
  public readonly traffic: Traffic;
  /** The JWKS ConfigMap and Istio's RequestAuthentication. */
  public readonly auth: ApiAuthentication;

  constructor(scope: Construct, id: string, props: UserapiChartProps) {
    super(scope, id, {
      namespace: NAMESPACE,
      disableResourceNameHashes: true,
      ...props,
      labels: { ...COMMON_LABELS, ...props.labels },
    });
    const { config } = props;

    this.redis = new Redis(this, "Redis", {
      image: config.redis.image,
      storageSize: config.redis.storageSize,
      storageClass: config.redis.storageClass,
      resources: config.redis.resources,
      imagePullPolicy: "IfNotPresent",
    });

    this.api = new ApiService(this, "Api");
    this.auth = new ApiAuthentication(this, "Auth", config.auth);

    const tracks = {} as Record<Track, ApiTrack>;
    for (const track of TRACKS) {
      tracks[track] = new ApiTrack(this, `Track-${track}`, {
        track,
        image: trackImage(config, track),
        imagePullPolicy: config.imagePullPolicy,
        serviceAccount: this.api.serviceAccount,
        minReplicas: config.replicas,
        maxReplicas: config.maxReplicas,
        resources: config.apiResources,
        logLevel: config.logLevel,
        auth: this.auth,
      });
    }
    this.tracks = Object.freeze(tracks);

    this.traffic = new Traffic(this, "Traffic", { weights: config.weights, hosts: config.hosts });
    new MeshSecurity(this, "MeshSecurity", { requestPrincipal: this.auth.requestPrincipal });
    new NetworkPolicies(this, "NetworkPolicies");
  }
}
