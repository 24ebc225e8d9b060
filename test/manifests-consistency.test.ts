// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON; each rule checks the shape it reads
/**
 * Cross-object consistency of dist/, offline: the checks `istioctl analyze`
 * and kube-score would make (charts/lib/consistency.ts, unit-tested rule by
 * rule), plus the SPEC's manifest rules. Every rule runs on every document,
 * the monitoring charts included.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { containersOf, idOf, podTemplateOf, readManifests } from "../charts/lib/checks.js";
import {
  istioViolations,
  networkPolicyViolations,
  orderViolations,
  podViolations,
  scalingViolations,
  serviceViolations,
} from "../charts/lib/consistency.js";
import { NAMESPACE } from "../charts/lib/labels.js";

const root = resolve(import.meta.dirname, "..");
const docs: any[] = readManifests(join(root, "dist")).map((e) => e.doc);
const ofKind = (kind: string): any[] => docs.filter((d) => d.kind === kind);
const inNamespace = docs.filter((d) => d.metadata.namespace === NAMESPACE);

describe("dist/", () => {
  it("holds the SPEC's objects", () => {
    const names = new Set(docs.map((d) => `${d.kind}/${d.metadata.name}`));
    for (const expected of [
      "Namespace/userapi",
      "StatefulSet/redis",
      "Service/redis",
      "Service/userapi",
      "ServiceAccount/userapi",
      "Deployment/userapi-v1",
      "Deployment/userapi-v2",
      "HorizontalPodAutoscaler/userapi-v1",
      "HorizontalPodAutoscaler/userapi-v2",
      "PodDisruptionBudget/userapi-v1",
      "PodDisruptionBudget/userapi-v2",
      "Gateway/userapi-gateway",
      "DestinationRule/userapi",
      "PeerAuthentication/default",
      "NetworkPolicy/default-deny",
    ]) {
      expect(names.has(expected), expected).toBe(true);
    }
    const namespace = ofKind("Namespace").find((n) => n.metadata.name === NAMESPACE);
    expect(namespace.metadata.labels["istio-injection"]).toBe("enabled");
  });

  it("creates namespaces first, repeats nothing, and has no Secret with literal data", () => {
    expect(orderViolations(docs)).toEqual([]);
  });

  it("has pods that pass restricted, pin images, set resources and distinct probes", () => {
    expect(docs.some((d) => podTemplateOf(d) !== undefined)).toBe(true);
    expect(podViolations(docs)).toEqual([]);
  });

  it("leaves replicas to the autoscalers and gives replicated workloads a PDB and spread", () => {
    expect(ofKind("HorizontalPodAutoscaler").every((h) => h.apiVersion === "autoscaling/v2")).toBe(
      true,
    );
    expect(scalingViolations(docs)).toEqual([]);
  });

  it("has Services that select pods and target their ports, named for Istio", () => {
    expect(serviceViolations(docs)).toEqual([]);
  });

  it("has consistent Istio routing and policies (subsets, weights, gateways, principals)", () => {
    expect(istioViolations(docs)).toEqual([]);
  });

  it("has NetworkPolicies that select existing pods", () => {
    expect(networkPolicyViolations(docs)).toEqual([]);
  });

  it("runs pods in the userapi namespace as uid and gid above 10000 (kube-score)", () => {
    for (const doc of inNamespace) {
      const template = podTemplateOf(doc);
      if (template === undefined) continue;
      for (const container of containersOf(template.spec) as any[]) {
        const context = {
          ...(template.spec.securityContext as object),
          ...container.securityContext,
        };
        expect(context.runAsUser, `${idOf(doc)} ${container.name}`).toBeGreaterThan(10000);
        expect(context.runAsGroup, `${idOf(doc)} ${container.name}`).toBeGreaterThan(10000);
      }
    }
  });
});

describe("dist/ Istio", () => {
  it("routes through the ingress Gateway and inside the mesh", () => {
    const gateways = ofKind("VirtualService").flatMap((vs) => vs.spec.gateways ?? []);
    expect(gateways).toContain("mesh");
    expect(gateways).toContain("userapi-gateway");
  });

  it("requires STRICT mTLS for the namespace and denies by default", () => {
    const strict = ofKind("PeerAuthentication").find(
      (p) => p.metadata.namespace === NAMESPACE && p.spec.selector === undefined,
    );
    expect(strict?.spec.mtls.mode).toBe("STRICT");
    const allowNothing = ofKind("AuthorizationPolicy").find(
      (p) =>
        p.metadata.namespace === NAMESPACE &&
        p.spec.selector === undefined &&
        p.spec.rules === undefined,
    );
    expect(allowNothing?.spec.action).toBe("ALLOW");
  });
});

describe("dist/ NetworkPolicies", () => {
  const policies = ofKind("NetworkPolicy").filter((p) => p.metadata.namespace === NAMESPACE);

  it("deny all ingress and egress by default", () => {
    const deny = policies.find(
      (p) => Object.keys(p.spec.podSelector).length === 0 && !p.spec.ingress && !p.spec.egress,
    );
    expect(deny?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("allow DNS over UDP and TCP for every pod", () => {
    const dns = policies.filter((p) =>
      (p.spec.egress ?? []).some((rule: any) =>
        (rule.ports ?? []).some((port: any) => port.port === 53),
      ),
    );
    expect(dns.length).toBeGreaterThan(0);
    expect(dns[0].spec.podSelector).toEqual({});
    const protocols = dns[0].spec.egress.flatMap((r: any) =>
      r.ports.filter((p: any) => p.port === 53).map((p: any) => p.protocol),
    );
    expect(protocols.sort()).toEqual(["TCP", "UDP"]);
  });

  it("let Prometheus from the monitoring namespace reach Istio's merged metrics port", () => {
    const scrape = policies.filter((p) =>
      (p.spec.ingress ?? []).some(
        (rule: any) =>
          rule.from.some(
            (peer: any) =>
              peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring",
          ) && rule.ports.some((port: any) => port.port === 15020),
      ),
    );
    expect(scrape.length).toBeGreaterThan(0);
  });
});
