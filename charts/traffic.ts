import { Construct } from "constructs";
import {
  DestinationRule,
  DestinationRuleSpecTrafficPolicyTlsMode,
  Gateway,
  VirtualService,
} from "../imports/networking.istio.io.js";
import { API_NAME, INGRESS_GATEWAY_LABELS, serviceFqdn, TRACKS } from "./lib/labels.js";
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
 * a DestinationRule with one subset per track, and the routing table
 * (pin by `x-version`, else split by weight) in two VirtualServices. Two,
 * because Istio rejects the host `*` on the `mesh` gateway and a `*` next to
 * the service name as duplicate hosts: one binds the gateway's hosts to the
 * Gateway, the other binds the service's FQDN to `mesh` so in-mesh callers
 * get the same split.
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

    new VirtualService(this, "MeshRoutes", {
      metadata: { name: `${API_NAME}-mesh` },
      spec: { hosts: [host], gateways: ["mesh"], http },
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
              maxRequestsPerConnection: 0,
              idleTimeout: "60s",
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
