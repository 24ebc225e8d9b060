// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON; each rule checks the shape it reads
/**
 * Cross-object consistency of dist/, offline: the checks `istioctl analyze`
 * and kube-score would make, plus the SPEC's manifest rules. Every rule runs
 * on every document (the monitoring charts included, once they exist).
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import {
  containersOf,
  idOf,
  imagesOf,
  isPinnedImage,
  type Manifest,
  matchesLabels,
  podTemplateOf,
  readManifests,
  restrictedViolations,
} from "../charts/lib/checks.js";
import { NAMESPACE } from "../charts/lib/labels.js";

const root = resolve(import.meta.dirname, "..");
const entries = readManifests(join(root, "dist"));
const docs: any[] = entries.map((e) => e.doc);
const ofKind = (kind: string): any[] => docs.filter((d) => d.kind === kind);
const ns = (doc: Manifest) => doc.metadata.namespace ?? "default";

const workloads = docs
  .map((doc) => ({ doc, template: podTemplateOf(doc) }))
  .filter(
    (w): w is { doc: any; template: { metadata: any; spec: any } } => w.template !== undefined,
  );

/** Pod templates in `namespace` whose labels match `selector`. */
function podsSelectedBy(selector: Record<string, string>, namespace: string) {
  return workloads.filter(
    (w) => ns(w.doc) === namespace && matchesLabels(selector, w.template.metadata.labels ?? {}),
  );
}

/** The Service behind an Istio host: short name (same namespace) or `name.ns.svc.cluster.local`. */
function serviceForHost(host: string, fromNamespace: string): any {
  const [name, namespace] = host.includes(".")
    ? (/^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(host)?.slice(1) ?? [])
    : [host, fromNamespace];
  return ofKind("Service").find((s) => s.metadata.name === name && ns(s) === namespace);
}

describe("dist/ objects", () => {
  it("include the SPEC's objects", () => {
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
      "PodDisruptionBudget/userapi-v1",
      "Gateway/userapi-gateway",
      "DestinationRule/userapi",
      "PeerAuthentication/default",
      "NetworkPolicy/default-deny",
    ]) {
      expect(names.has(expected), expected).toBe(true);
    }
  });

  it("create each namespace before anything inside it", () => {
    const position = new Map(docs.map((doc, index) => [doc, index]));
    for (const doc of docs) {
      if (doc.kind === "Namespace" || doc.metadata.namespace === undefined) continue;
      const namespace = ofKind("Namespace").find((n) => n.metadata.name === doc.metadata.namespace);
      expect(namespace, `${idOf(doc)}: namespace missing`).toBeDefined();
      expect((position.get(namespace) ?? 0) < (position.get(doc) ?? 0), idOf(doc)).toBe(true);
    }
    const userapi = ofKind("Namespace").find((n) => n.metadata.name === NAMESPACE);
    expect(userapi.metadata.labels["istio-injection"]).toBe("enabled");
  });

  it("have unique kind/namespace/name", () => {
    const ids = docs.map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("include no Secret with literal data", () => {
    for (const secret of ofKind("Secret")) {
      expect(secret.data ?? secret.stringData, idOf(secret)).toBeUndefined();
    }
  });
});

describe("pods", () => {
  it("exist", () => {
    expect(workloads.length).toBeGreaterThanOrEqual(3);
  });

  it.each(workloads.map((w) => [idOf(w.doc), w] as const))(
    "%s passes Pod Security restricted",
    (_, w) => {
      expect(restrictedViolations(w.template.spec)).toEqual([]);
    },
  );

  it.each(workloads.map((w) => [idOf(w.doc), w] as const))(
    "%s pins every image by version",
    (_, w) => {
      for (const image of imagesOf(w.template.spec)) expect(isPinnedImage(image), image).toBe(true);
    },
  );

  it.each(workloads.map((w) => [idOf(w.doc), w] as const))(
    "%s sets cpu/memory requests and limits",
    (_, w) => {
      for (const container of containersOf(w.template.spec) as any[]) {
        for (const kind of ["requests", "limits"]) {
          for (const resource of ["cpu", "memory"]) {
            expect(
              container.resources?.[kind]?.[resource],
              `${container.name} ${kind}.${resource}`,
            ).toBeDefined();
          }
        }
      }
    },
  );

  it.each(workloads.map((w) => [idOf(w.doc), w] as const))(
    "%s has distinct liveness and readiness probes",
    (_, w) => {
      for (const container of w.template.spec.containers) {
        expect(container.livenessProbe, `${container.name} liveness`).toBeDefined();
        expect(container.readinessProbe, `${container.name} readiness`).toBeDefined();
        expect(container.readinessProbe).not.toEqual(container.livenessProbe);
      }
    },
  );

  it.each(workloads.map((w) => [idOf(w.doc), w] as const))(
    "%s names ports within 15 characters",
    (_, w) => {
      for (const container of containersOf(w.template.spec) as any[]) {
        for (const port of container.ports ?? []) {
          if (port.name !== undefined) expect(port.name.length, port.name).toBeLessThanOrEqual(15);
        }
      }
    },
  );

  it("in the userapi namespace run as uid and gid above 10000 (clear of host users, kube-score)", () => {
    for (const { doc, template } of workloads.filter((w) => ns(w.doc) === NAMESPACE)) {
      for (const container of containersOf(template.spec) as any[]) {
        const context = { ...template.spec.securityContext, ...container.securityContext };
        expect(context.runAsUser, `${idOf(doc)} ${container.name}`).toBeGreaterThan(10000);
        expect(context.runAsGroup, `${idOf(doc)} ${container.name}`).toBeGreaterThan(10000);
      }
    }
  });

  it("selected by their workload's selector", () => {
    for (const { doc, template } of workloads) {
      if (doc.kind === "Pod") continue;
      expect(
        matchesLabels(doc.spec.selector.matchLabels, template.metadata.labels ?? {}),
        idOf(doc),
      ).toBe(true);
    }
  });
});

describe("scaling and disruption", () => {
  const autoscaled = new Set(
    ofKind("HorizontalPodAutoscaler").map((h) => `${ns(h)}/${h.spec.scaleTargetRef.name}`),
  );
  const replicated = workloads.filter(
    (w) => autoscaled.has(`${ns(w.doc)}/${w.doc.metadata.name}`) || (w.doc.spec.replicas ?? 1) >= 2,
  );

  it("every HorizontalPodAutoscaler targets a workload that leaves replicas to it", () => {
    expect(autoscaled.size).toBeGreaterThanOrEqual(2);
    for (const hpa of ofKind("HorizontalPodAutoscaler")) {
      expect(hpa.apiVersion).toBe("autoscaling/v2");
      const target = docs.find(
        (d) =>
          d.kind === hpa.spec.scaleTargetRef.kind &&
          d.metadata.name === hpa.spec.scaleTargetRef.name &&
          ns(d) === ns(hpa),
      );
      expect(target, idOf(hpa)).toBeDefined();
      expect(target.spec.replicas, `${idOf(target)} sets spec.replicas`).toBeUndefined();
      expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    }
  });

  it("every replicated workload has a PodDisruptionBudget and spreads across nodes", () => {
    expect(replicated.length).toBeGreaterThanOrEqual(2);
    for (const { doc, template } of replicated) {
      const labels = template.metadata.labels ?? {};
      const pdb = ofKind("PodDisruptionBudget").find(
        (p) => ns(p) === ns(doc) && matchesLabels(p.spec.selector.matchLabels, labels),
      );
      expect(pdb, `${idOf(doc)} PDB`).toBeDefined();
      const spread = template.spec.topologySpreadConstraints ?? [];
      const antiAffinity = template.spec.affinity?.podAntiAffinity;
      expect(spread.length > 0 || antiAffinity !== undefined, `${idOf(doc)} spread`).toBe(true);
    }
  });

  it("every PodDisruptionBudget selects pods", () => {
    for (const pdb of ofKind("PodDisruptionBudget")) {
      expect(
        podsSelectedBy(pdb.spec.selector.matchLabels, ns(pdb)).length,
        idOf(pdb),
      ).toBeGreaterThan(0);
    }
  });
});

describe("Services", () => {
  it.each(ofKind("Service").map((s) => [idOf(s), s] as const))(
    "%s selects pods and targets their ports",
    (_, service) => {
      const pods = podsSelectedBy(service.spec.selector ?? {}, ns(service));
      expect(pods.length, "selector matches no pod template").toBeGreaterThan(0);
      for (const port of service.spec.ports) {
        // Istio picks the protocol from the port name prefix.
        expect(port.name, "port name").toMatch(
          /^(http|http2|https|grpc|grpc-web|tcp|tls|mongo|mysql|redis)(-|$)/,
        );
        const target = port.targetPort ?? port.port;
        for (const { doc, template } of pods) {
          const ports = template.spec.containers.flatMap((c: any) => c.ports ?? []);
          const match = ports.find((p: any) =>
            typeof target === "number" ? p.containerPort === target : p.name === target,
          );
          expect(match, `${idOf(doc)} has no container port ${target}`).toBeDefined();
        }
      }
    },
  );
});

describe("Istio", () => {
  const virtualServices = ofKind("VirtualService");
  const gateways = ofKind("Gateway");
  const rules = ofKind("DestinationRule");

  it("has VirtualServices for the gateway and for the mesh", () => {
    const bound = virtualServices.flatMap((vs) => vs.spec.gateways ?? []);
    expect(bound).toContain("mesh");
    expect(bound.some((g: string) => g !== "mesh")).toBe(true);
  });

  it.each(virtualServices.map((vs) => [idOf(vs), vs] as const))(
    "%s: gateways exist and hosts overlap theirs",
    (_, vs) => {
      for (const ref of vs.spec.gateways ?? []) {
        if (ref === "mesh") {
          expect(vs.spec.hosts, "mesh hosts").not.toContain("*");
          continue;
        }
        const [gwNamespace, gwName] = ref.includes("/") ? ref.split("/") : [ns(vs), ref];
        const gateway = gateways.find((g) => g.metadata.name === gwName && ns(g) === gwNamespace);
        expect(gateway, `gateway ${ref}`).toBeDefined();
        const gatewayHosts = gateway.spec.servers.flatMap((s: any) => s.hosts);
        const overlaps = vs.spec.hosts.some(
          (h: string) => gatewayHosts.includes("*") || gatewayHosts.includes(h),
        );
        expect(overlaps, `${ref} hosts`).toBe(true);
      }
    },
  );

  it.each(virtualServices.map((vs) => [idOf(vs), vs] as const))(
    "%s: header routes first, weights sum to 100",
    (_, vs) => {
      const routes = vs.spec.http;
      const catchAll = routes.findIndex((r: any) => r.match === undefined);
      expect(catchAll === -1 || catchAll === routes.length - 1, "catch-all route is last").toBe(
        true,
      );
      for (const route of routes) {
        const total = route.route.reduce((sum: number, r: any) => sum + (r.weight ?? 0), 0);
        expect(
          route.route.length === 1 && route.route[0].weight === undefined ? 100 : total,
          route.name,
        ).toBe(100);
        for (const header of Object.keys(route.match?.[0]?.headers ?? {}))
          expect(header).toBe(header.toLowerCase());
      }
    },
  );

  it.each(virtualServices.map((vs) => [idOf(vs), vs] as const))(
    "%s: every subset exists in a DestinationRule and matches pods of the host's Service",
    (_, vs) => {
      for (const route of vs.spec.http) {
        for (const { destination } of route.route) {
          const service = serviceForHost(destination.host, ns(vs));
          expect(service, `service for ${destination.host}`).toBeDefined();
          expect(service.spec.ports.map((p: any) => p.port)).toContain(
            destination.port?.number ?? service.spec.ports[0].port,
          );
          if (destination.subset === undefined) continue;
          const rule = rules.find((r) => serviceForHost(r.spec.host, ns(r)) === service);
          const subset = rule?.spec.subsets?.find((s: any) => s.name === destination.subset);
          expect(subset, `subset ${destination.subset}`).toBeDefined();
          const pods = podsSelectedBy({ ...service.spec.selector, ...subset.labels }, ns(service));
          expect(pods.length, `pods of subset ${destination.subset}`).toBeGreaterThan(0);
        }
      }
    },
  );

  it("names Istio hosts with a dot by their full name", () => {
    for (const doc of [...rules, ...virtualServices]) {
      const hosts = [
        doc.spec.host,
        ...(doc.kind === "VirtualService" && doc.spec.gateways.includes("mesh")
          ? doc.spec.hosts
          : []),
      ];
      const destinations =
        doc.kind === "VirtualService"
          ? doc.spec.http.flatMap((r: any) => r.route.map((d: any) => d.destination.host))
          : [];
      for (const host of [...hosts, ...destinations].filter(
        (h) => typeof h === "string" && h.includes("."),
      )) {
        expect(host, idOf(doc)).toMatch(/\.svc\.cluster\.local$/);
      }
    }
  });

  it("sets STRICT mTLS for the namespace", () => {
    const strict = ofKind("PeerAuthentication").find(
      (p) => ns(p) === NAMESPACE && p.spec.selector === undefined,
    );
    expect(strict?.spec.mtls.mode).toBe("STRICT");
  });

  it("AuthorizationPolicies select pods, name existing ServiceAccounts, and use no HTTP fields on TCP workloads", () => {
    const policies = ofKind("AuthorizationPolicy");
    expect(policies.length).toBeGreaterThanOrEqual(3);
    for (const policy of policies) {
      const selector = policy.spec.selector?.matchLabels;
      if (selector === undefined) continue;
      const pods = podsSelectedBy(selector, ns(policy));
      expect(pods.length, idOf(policy)).toBeGreaterThan(0);
      for (const rule of policy.spec.rules ?? []) {
        for (const from of rule.from ?? []) {
          for (const principal of from.source.principals ?? []) {
            const match = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
            expect(match, principal).not.toBeNull();
            const [, saNamespace, saName] = match ?? [];
            if (saNamespace === "istio-system") continue;
            expect(
              workloads.some(
                (w) => ns(w.doc) === saNamespace && w.template.spec.serviceAccountName === saName,
              ),
              `${principal} runs no pod`,
            ).toBe(true);
          }
        }
        const services = ofKind("Service").filter(
          (s) =>
            ns(s) === ns(policy) &&
            pods.some((p) =>
              matchesLabels(s.spec.selector ?? {}, p.template.metadata.labels ?? {}),
            ),
        );
        const tcpOnly =
          services.length > 0 &&
          services.every((s) => s.spec.ports.every((p: any) => p.name.startsWith("tcp")));
        if (tcpOnly) {
          for (const to of rule.to ?? []) {
            expect(
              Object.keys(to.operation ?? {}).filter((k) => k !== "ports"),
              idOf(policy),
            ).toEqual([]);
          }
          expect(rule.when, idOf(policy)).toBeUndefined();
        }
      }
    }
  });
});

describe("NetworkPolicies", () => {
  const policies = ofKind("NetworkPolicy");

  it("deny all ingress and egress by default in the namespace", () => {
    const deny = policies.find(
      (p) =>
        ns(p) === NAMESPACE &&
        Object.keys(p.spec.podSelector).length === 0 &&
        !p.spec.ingress &&
        !p.spec.egress,
    );
    expect(deny?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  });

  it("select existing pods", () => {
    for (const policy of policies) {
      const selector = policy.spec.podSelector.matchLabels;
      if (selector === undefined) continue;
      expect(podsSelectedBy(selector, ns(policy)).length, idOf(policy)).toBeGreaterThan(0);
    }
  });

  it("allow DNS egress when egress is restricted", () => {
    const dns = policies.some((p) =>
      (p.spec.egress ?? []).some((rule: any) =>
        (rule.ports ?? []).some((port: any) => port.port === 53 && port.protocol === "UDP"),
      ),
    );
    expect(dns).toBe(true);
  });
});
