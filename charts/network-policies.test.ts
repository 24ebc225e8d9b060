// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { findManifest } from "./lib/checks.js";
import { NetworkPolicies } from "./network-policies.js";

const tcp = (port: number) => ({ port, protocol: "TCP" });

describe("NetworkPolicies", () => {
  const chart = Testing.chart();
  new NetworkPolicies(chart, "np");
  const docs = Testing.synth(chart);
  const policy = (name: string) => findManifest<any>(docs, "NetworkPolicy", name).spec;

  it("denies all ingress and egress by default", () => {
    expect(policy("default-deny")).toEqual({ podSelector: {}, policyTypes: ["Ingress", "Egress"] });
  });

  it("allows DNS (UDP and TCP 53) and istiod (15012) egress for every pod", () => {
    const spec = policy("allow-dns-and-istiod-egress");
    expect(spec.podSelector).toEqual({});
    expect(spec.egress[0].ports).toEqual([
      { port: 53, protocol: "UDP" },
      { port: 53, protocol: "TCP" },
    ]);
    expect(spec.egress[0].to[0].namespaceSelector.matchLabels).toEqual({
      "kubernetes.io/metadata.name": "kube-system",
    });
    expect(spec.egress[1]).toEqual({
      ports: [tcp(15012)],
      to: [
        {
          namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } },
          podSelector: { matchLabels: { app: "istiod" } },
        },
      ],
    });
  });

  it("allows the ingress gateway to reach the API port", () => {
    expect(policy("userapi-from-ingress-gateway")).toEqual({
      podSelector: { matchLabels: { app: "userapi" } },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "istio-system" } },
              podSelector: { matchLabels: { istio: "ingressgateway" } },
            },
          ],
          ports: [tcp(8080)],
        },
      ],
    });
  });

  it("lets Prometheus in monitoring reach the API pods on Istio's agent port 15020 only", () => {
    const prometheus = {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
      podSelector: { matchLabels: { app: "prometheus" } },
    };
    expect(policy("userapi-from-prometheus")).toEqual({
      podSelector: { matchLabels: { app: "userapi" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [prometheus], ports: [tcp(15020)] }],
    });
  });

  it("allows the API to reach Redis on 6379, both ways round", () => {
    expect(policy("userapi-to-redis")).toEqual({
      podSelector: { matchLabels: { app: "userapi" } },
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: { matchLabels: { app: "redis" } } }], ports: [tcp(6379)] }],
    });
    expect(policy("redis-from-userapi")).toEqual({
      podSelector: { matchLabels: { app: "redis" } },
      policyTypes: ["Ingress"],
      ingress: [
        { from: [{ podSelector: { matchLabels: { app: "userapi" } } }], ports: [tcp(6379)] },
      ],
    });
  });

  it("creates exactly these policies", () => {
    expect(docs.map((d) => d.metadata.name)).toEqual([
      "default-deny",
      "allow-dns-and-istiod-egress",
      "userapi-from-ingress-gateway",
      "userapi-from-prometheus",
      "userapi-to-redis",
      "redis-from-userapi",
    ]);
  });
});
