// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON; each rule checks the shape it reads
/**
 * Cross-object consistency of dist/, offline: the checks `istioctl analyze`
 * and kube-score would make (charts/lib/consistency.ts, unit-tested rule by
 * rule), plus the SPEC's manifest rules. Every rule runs on every document,
 * the monitoring charts included.
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DOCS_PATH } from "../api/routes/docs/docs.index.js";
import { MemoryUserStore } from "../api/store/memory-user-store.js";
import { containersOf, idOf, podTemplateOf, readManifests } from "../charts/lib/checks.js";
import {
  istioViolations,
  networkPolicyViolations,
  orderViolations,
  podViolations,
  scalingViolations,
  serviceViolations,
} from "../charts/lib/consistency.js";
import { allowPoliciesAdmit, routeFor } from "../charts/lib/istio-routing.js";
import {
  API_PORT,
  apiSelector,
  INGRESS_GATEWAY_PRINCIPAL,
  ISTIO_AGENT_METRICS_PORT,
  NAMESPACE,
} from "../charts/lib/labels.js";
import { TRACK_HEADER } from "../charts/lib/routes.js";
import { testApp } from "./support/app.js";

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
      "RequestAuthentication/userapi",
      "ConfigMap/userapi-jwks",
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
  it("routes through the ingress Gateway only: no mesh VirtualService no caller could use", () => {
    const gateways = ofKind("VirtualService").flatMap((vs) => vs.spec.gateways ?? []);
    expect(gateways).toEqual(["userapi-gateway"]);
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

  it("let Prometheus from the monitoring namespace reach the API pods on 15020 only", () => {
    const fromMonitoring = policies.filter((p) =>
      (p.spec.ingress ?? []).some((rule: any) =>
        (rule.from ?? []).some(
          (peer: any) =>
            peer.namespaceSelector?.matchLabels?.["kubernetes.io/metadata.name"] === "monitoring",
        ),
      ),
    );
    expect(fromMonitoring).toHaveLength(1);
    expect(fromMonitoring[0].spec.podSelector).toEqual({ matchLabels: apiSelector() });
    const ports = fromMonitoring[0].spec.ingress.flatMap((r: any) =>
      r.ports.map((p: any) => p.port),
    );
    expect(ports).toEqual([ISTIO_AGENT_METRICS_PORT]);
  });

  it("open no port nothing listens on or calls", () => {
    // Ports an ingress rule may name: the selected pods' container ports, plus
    // Istio's agent port on meshed pods (the scrape). Egress to pods here: the
    // peer's container ports; to other namespaces: DNS and istiod only.
    const podsOf = (selector: any) =>
      docs
        .filter((d) => d.metadata.namespace === NAMESPACE)
        .map((d) => podTemplateOf(d))
        .filter(
          (t): t is NonNullable<typeof t> =>
            t !== undefined &&
            Object.entries(selector?.matchLabels ?? {}).every(
              ([k, v]) => (t.metadata.labels as any)?.[k] === v,
            ),
        );
    const containerPorts = (selector: any) =>
      new Set(
        podsOf(selector).flatMap((t) =>
          (t.spec.containers as any[]).flatMap((c) =>
            (c.ports ?? []).map((p: any) => p.containerPort),
          ),
        ),
      );
    const problems: string[] = [];
    for (const policy of policies) {
      const own = containerPorts(policy.spec.podSelector);
      for (const rule of policy.spec.ingress ?? []) {
        for (const { port } of rule.ports ?? []) {
          if (!own.has(port) && port !== ISTIO_AGENT_METRICS_PORT) {
            problems.push(`${policy.metadata.name}: ingress port ${port}`);
          }
        }
      }
      for (const rule of policy.spec.egress ?? []) {
        for (const { port } of rule.ports ?? []) {
          const local = (rule.to ?? []).filter((peer: any) => peer.namespaceSelector === undefined);
          const open =
            local.length > 0
              ? local.some((peer: any) => containerPorts(peer.podSelector).has(port))
              : [53, 15012].includes(port);
          if (!open) problems.push(`${policy.metadata.name}: egress port ${port}`);
        }
      }
    }
    expect(problems).toEqual([]);
    // The API's own port is open to the ingress gateway and nothing else.
    const toApiPort = policies.filter((p) =>
      (p.spec.ingress ?? []).some((r: any) => r.ports.some((port: any) => port.port === API_PORT)),
    );
    expect(toApiPort.map((p) => p.metadata.name)).toEqual(["userapi-from-ingress-gateway"]);
  });
});

describe("dist/ public paths (the ingress gateway's VirtualService and the API's AuthorizationPolicy)", () => {
  const ingress = ofKind("VirtualService").find((vs) =>
    vs.spec.gateways?.includes("userapi-gateway"),
  );
  const apiPolicies = ofKind("AuthorizationPolicy")
    .filter((p) => p.metadata.namespace === NAMESPACE && (p.spec.action ?? "ALLOW") === "ALLOW")
    .filter(
      (p) =>
        p.spec.selector === undefined ||
        Object.entries(p.spec.selector.matchLabels).every(
          ([k, v]) => (apiSelector() as Record<string, string>)[k] === v,
        ),
    )
    .map((p) => p.spec);
  const routed = (path: string, headers: Record<string, string> = {}) =>
    routeFor(ingress.spec.http, { path, headers });
  // A token RequestAuthentication verified gives the request principal `<iss>/<sub>`.
  const issuer = ofKind("RequestAuthentication")[0]?.spec.jwtRules[0].issuer;
  const withToken = { requestPrincipal: `${issuer}/alice` };
  const admitted = (path: string, token: { requestPrincipal?: string } = withToken) =>
    allowPoliciesAdmit(apiPolicies, { path, principal: INGRESS_GATEWAY_PRINCIPAL, ...token });

  const published = ["/", "/health", "/user", "/user/alice", "/openapi.json", "/docs"];
  const internal = ["/ready", "/serving", "/metrics", "/metrics/", "/users", "/healthz", "/docsx"];

  it.each(published)("routes and admits %s", (path) => {
    expect(routed(path)).toBeDefined();
    expect(admitted(path)).toBe(true);
  });

  it.each(internal)("neither routes nor admits %s (the gateway answers 404)", (path) => {
    expect(routed(path)).toBeUndefined();
    expect(admitted(path)).toBe(false);
  });

  it("routes and admits every file the /docs page loads", async () => {
    const html = await (await testApp(new MemoryUserStore()).request(DOCS_PATH)).text();
    const assets = [...html.matchAll(/(?:(?:href|src)=|url:\s*)["']([^"']+)["']/g)].map(
      (m) => m[1] as string,
    );
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      const path = new URL(asset, "http://gateway").pathname;
      expect(routed(path), path).toBeDefined();
      expect(admitted(path), path).toBe(true);
    }
  });

  it("sends x-version pinned requests to that track on every public path", () => {
    for (const path of published) {
      for (const track of ["v1", "v2"]) {
        const route = routed(path, { [TRACK_HEADER]: track });
        expect(route?.route, `${path} ${track}`).toEqual([
          expect.objectContaining({ destination: expect.objectContaining({ subset: track }) }),
        ]);
      }
      expect(routed(path)?.name).toBe("split");
    }
  });

  it("admits the gateway to /user only with a token of the RequestAuthentication's issuer (else Envoy's 403)", () => {
    expect(issuer).toBe("userapi-dev");
    for (const path of ["/user", "/user/alice", "/user/alice/"]) {
      expect(admitted(path), path).toBe(true);
      expect(admitted(path, {}), `${path} without a token`).toBe(false);
      expect(admitted(path, { requestPrincipal: "other-issuer/alice" }), path).toBe(false);
    }
    // The other public paths stay open without a token.
    for (const path of ["/", "/health", "/openapi.json", "/docs", "/docs/x.css"]) {
      expect(admitted(path, {}), path).toBe(true);
    }
  });

  it("admits no other caller to the API", () => {
    expect(
      allowPoliciesAdmit(apiPolicies, {
        path: "/user",
        principal: "cluster.local/ns/userapi/sa/redis",
      }),
    ).toBe(false);
    expect(allowPoliciesAdmit(apiPolicies, { path: "/user" })).toBe(false);
    expect(
      allowPoliciesAdmit(apiPolicies, {
        path: "/user",
        principal: "cluster.local/ns/userapi/sa/redis",
        ...withToken,
      }),
    ).toBe(false);
  });
});

describe("dist/ authentication: the app and the mesh trust the same tokens", () => {
  const [auth, ...more] = ofKind("RequestAuthentication");
  const rule = auth.spec.jwtRules[0];
  const configMap = ofKind("ConfigMap").find((c) => c.metadata.name === "userapi-jwks");
  const apiDeployments = ofKind("Deployment").filter(
    (d) => d.spec.template.metadata.labels.app === apiSelector().app,
  );

  it("has one RequestAuthentication on the API pods, forwarding the token to the app", () => {
    expect(more).toEqual([]);
    expect(auth.metadata.namespace).toBe(NAMESPACE);
    expect(auth.spec.selector.matchLabels).toEqual(apiSelector());
    expect(auth.spec.jwtRules).toHaveLength(1);
    // Without it Envoy strips Authorization and the app answers 401 to every request.
    expect(rule.forwardOriginalToken).toBe(true);
    expect(rule).not.toHaveProperty("jwksUri");
  });

  it("gives the app the same issuer, audience and keys (ConfigMap mounted as a directory)", () => {
    expect(apiDeployments).toHaveLength(2);
    expect(configMap.data["jwks.json"]).toBe(rule.jwks);
    for (const deployment of apiDeployments) {
      const spec = deployment.spec.template.spec;
      const container = spec.containers[0];
      const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
      expect(env.AUTH_ISSUER).toBe(rule.issuer);
      expect(rule.audiences).toEqual([env.AUTH_AUDIENCE]);
      expect(env.NODE_ENV).toBe("production");
      const volume = spec.volumes.find((v: any) => v.configMap?.name === configMap.metadata.name);
      const mount = container.volumeMounts.find((m: any) => m.name === volume.name);
      expect(mount.subPath).toBeUndefined();
      expect(env.AUTH_JWKS_FILE).toBe(`${mount.mountPath}/jwks.json`);
    }
  });

  it("requires a request principal of that issuer on the /user paths", () => {
    const policy = ofKind("AuthorizationPolicy").find(
      (p) => p.metadata.name === "userapi-from-ingress-gateway",
    );
    const principals = policy.spec.rules.flatMap((r: any) =>
      r.from.flatMap((f: any) => f.source.requestPrincipals ?? []),
    );
    expect(principals).toEqual([`${rule.issuer}/*`]);
  });
});
