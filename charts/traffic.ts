import { Construct } from "constructs";
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicyTlsMode,
  Gateway,
  VirtualService,
} from "../imports/networking.istio.io.js";
import { API_NAME, INGRESS_GATEWAY_LABELS, serviceFqdn, TRACKS } from "./lib/labels.js";
import { MESH_IDLE_TIMEOUT } from "./lib/lifecycle.js";
import { httpRoutes, type TrackWeights } from "./lib/routes.js";

/** Props of `Traffic`. */
export interface TrafficProps {
  /** Percent of un-pinned requests per track; must sum to 100. */
  readonly weights: TrackWeights;
  /**
   * Hosts the ingress gateway accepts for the API.
   * @default ["*"]
   */
  readonly hosts?: readonly string[];
  /**
   * Name of the Gateway.
   * @default "userapi-gateway"
   */
  readonly gatewayName?: string;
}

/**
 * Istio traffic management for the API: a Gateway on the ingress gateway,
 * a DestinationRule with one subset per track, and the routing table (pin
 * by `x-version`, else split by weight; public paths only) in a
 * VirtualService bound to the Gateway.
 *
 * There is no VirtualService for in-mesh callers (`gateways: [mesh]`): the
 * AuthorizationPolicies admit only the ingress gateway to the API, so a
 * pod-to-pod caller would be refused whatever its route said. A mesh client
 * added later needs both: an ALLOW rule for its principal (mesh-security.ts)
 * and a VirtualService with `gateways: [mesh]` and the service's FQDN as host,
 * or it gets plain round-robin over both tracks instead of the split.
 */
export class Traffic extends Construct {
  /** The Gateway (selects the ingress gateway pods). */
  public readonly gateway: Gateway;
  /** The DestinationRule holding the track subsets. */
  public readonly destinationRule: DestinationRule;

  constructor(scope: Construct, id: string, props: TrafficProps) {
    super(scope, id);
    const host = serviceFqdn(API_NAME);
    const hosts = [...(props.hosts ?? ["*"])];
    const gatewayName = props.gatewayName ?? `${API_NAME}-gateway`;
    const http = httpRoutes(props.weights);

    this.gateway = new Gateway(this, "Gateway", {
      metadata: { name: gatewayName },
      spec: {
        selector: { ...INGRESS_GATEWAY_LABELS },
        servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts }],
      },
    });

    new VirtualService(this, "IngressRoutes", {
      metadata: { name: `${API_NAME}-ingress` },
      spec: { hosts, gateways: [gatewayName], http },
    });

    this.destinationRule = new DestinationRule(this, "DestinationRule", {
      metadata: { name: API_NAME },
      spec: {
        host,
        trafficPolicy: {
          tls: { mode: DestinationRuleSpecTrafficPolicyTlsMode.ISTIO_UNDERSCORE_MUTUAL },
          connectionPool: {
            tcp: { maxConnections: 1024, connectTimeout: "2s" },
            http: {
              http1MaxPendingRequests: 1024,
              http2MaxRequests: 1024,
              // Envoy closes idle connections before the app would (lib/lifecycle.ts).
              idleTimeout: `${MESH_IDLE_TIMEOUT.toSeconds()}s`,
            },
          },
          // Eject a pod that stops answering (connect failures, resets, timeouts),
          // not one answering 503 because Redis is down: every pod shares that Redis,
          // so ejecting would only shrink capacity.
          outlierDetection: {
            splitExternalLocalOriginErrors: true,
            consecutiveLocalOriginFailures: 5,
            consecutive5XxErrors: 0,
            interval: "10s",
            baseEjectionTime: "30s",
            maxEjectionPercent: 50,
          },
        },
        subsets: TRACKS.map((track) => ({ name: track, labels: { version: track } })),
      },
    });
  }
}
