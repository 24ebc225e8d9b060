import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import {
  API_PORT,
  apiSelector,
  INGRESS_GATEWAY_LABELS,
  INGRESS_GATEWAY_NAMESPACE,
  ISTIO_AGENT_METRICS_PORT,
  MONITORING_NAMESPACE,
  PROMETHEUS_LABELS,
  REDIS_PORT,
  redisLabels,
} from "./lib/labels.js";

type NetworkPolicyPeer = kplus.k8s.NetworkPolicyPeer;
type NetworkPolicyPort = kplus.k8s.NetworkPolicyPort;

/** Props of `NetworkPolicies`. */
export interface NetworkPoliciesProps {
  /**
   * Namespace whose `PROMETHEUS_LABELS` pods may scrape the API pods.
   * @default "monitoring"
   */
  readonly monitoringNamespace?: string;
}

const ISTIOD_PORT = 15012;
const DNS_PORT = 53;

function inNamespace(
  namespace: string,
  labels: Readonly<Record<string, string>>,
): NetworkPolicyPeer {
  return {
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": namespace } },
    podSelector: { matchLabels: { ...labels } },
  };
}

function tcp(...ports: readonly number[]): NetworkPolicyPort[] {
  return ports.map((port) => ({ protocol: "TCP", port: kplus.k8s.IntOrString.fromNumber(port) }));
}

/**
 * Kubernetes NetworkPolicies: deny all ingress and egress in the namespace,
 * then allow exactly the paths the system uses, on the ports it uses and no
 * others. They are L1 objects so each reads one-to-one as the rule it
 * enforces (namespace + pod selectors, ports). The node's kubelet probes are
 * not affected (node traffic is always allowed); Istio rewrites them to the
 * agent port, which calls the app from inside the pod.
 */
export class NetworkPolicies extends Construct {
  constructor(scope: Construct, id: string, props: NetworkPoliciesProps = {}) {
    super(scope, id);
    const monitoring = props.monitoringNamespace ?? MONITORING_NAMESPACE;
    const policy = (name: string, spec: kplus.k8s.NetworkPolicySpec): kplus.k8s.KubeNetworkPolicy =>
      new kplus.k8s.KubeNetworkPolicy(this, name, { metadata: { name }, spec });

    policy("default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });

    // Every pod resolves names and talks to istiod (xDS and certificates).
    policy("allow-dns-and-istiod-egress", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [inNamespace("kube-system", { "k8s-app": "kube-dns" })],
          ports: [
            { protocol: "UDP", port: kplus.k8s.IntOrString.fromNumber(DNS_PORT) },
            { protocol: "TCP", port: kplus.k8s.IntOrString.fromNumber(DNS_PORT) },
          ],
        },
        { to: [inNamespace("istio-system", { app: "istiod" })], ports: tcp(ISTIOD_PORT) },
      ],
    });

    policy("userapi-from-ingress-gateway", {
      podSelector: { matchLabels: { ...apiSelector() } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [inNamespace(INGRESS_GATEWAY_NAMESPACE, INGRESS_GATEWAY_LABELS)],
          ports: tcp(API_PORT),
        },
      ],
    });

    // Prometheus scrapes the API pods through Istio metrics merging: the agent
    // port only. It never connects to the app port or to Envoy's own 15090.
    policy("userapi-from-prometheus", {
      podSelector: { matchLabels: { ...apiSelector() } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [inNamespace(monitoring, PROMETHEUS_LABELS)],
          ports: tcp(ISTIO_AGENT_METRICS_PORT),
        },
      ],
    });

    policy("userapi-to-redis", {
      podSelector: { matchLabels: { ...apiSelector() } },
      policyTypes: ["Egress"],
      egress: [
        { to: [{ podSelector: { matchLabels: { ...redisLabels() } } }], ports: tcp(REDIS_PORT) },
      ],
    });

    policy("redis-from-userapi", {
      podSelector: { matchLabels: { ...redisLabels() } },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ podSelector: { matchLabels: { ...apiSelector() } } }], ports: tcp(REDIS_PORT) },
      ],
    });
  }
}
