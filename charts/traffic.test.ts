// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { findManifest } from "./lib/checks.js";
import { Traffic } from "./traffic.js";

function synth(weights = { v1: 25, v2: 75 }, hosts?: string[]) {
  const chart = Testing.chart();
  new Traffic(chart, "traffic", { weights, ...(hosts ? { hosts } : {}) });
  return Testing.synth(chart);
}

describe("Traffic", () => {
  const docs = synth();
  const gateway = findManifest<any>(docs, "Gateway", "userapi-gateway");
  const ingress = findManifest<any>(docs, "VirtualService", "userapi-ingress");
  const rule = findManifest<any>(docs, "DestinationRule", "userapi");

  it("uses the Istio v1 APIs", () => {
    for (const doc of docs) {
      expect(doc.apiVersion).toBe("networking.istio.io/v1");
    }
  });

  it("binds a Gateway to the ingress gateway on HTTP port 80", () => {
    expect(gateway.spec.selector).toEqual({ istio: "ingressgateway" });
    expect(gateway.spec.servers).toEqual([
      { port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] },
    ]);
  });

  it("routes the gateway's hosts through the Gateway, and has no VirtualService for the mesh", () => {
    expect(ingress.spec.gateways).toEqual(["userapi-gateway"]);
    expect(ingress.spec.hosts).toEqual(gateway.spec.servers[0].hosts);
    // No in-mesh caller is admitted by the AuthorizationPolicies (see traffic.ts).
    expect(docs.filter((d) => d.kind === "VirtualService")).toHaveLength(1);
    expect(JSON.stringify(docs)).not.toContain('"mesh"');
  });

  it("pins x-version first, then splits 25/75", () => {
    const http = ingress.spec.http;
    expect(http[0].match[0].headers["x-version"]).toEqual({ exact: "v1" });
    expect(http[0].route[0].destination.subset).toBe("v1");
    expect(http[1].match[0].headers["x-version"]).toEqual({ exact: "v2" });
    expect(http[1].route[0].destination.subset).toBe("v2");
    expect(http[2].match.every((m: any) => m.headers === undefined)).toBe(true);
    expect(http[2].route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ["v1", 25],
      ["v2", 75],
    ]);
  });

  it("follows configured weights and hosts", () => {
    const other = synth({ v1: 60, v2: 40 }, ["api.example.com"]);
    const vs = findManifest<any>(other, "VirtualService", "userapi-ingress");
    expect(vs.spec.hosts).toEqual(["api.example.com"]);
    expect(vs.spec.http[2].route.map((r: any) => r.weight)).toEqual([60, 40]);
    expect(findManifest<any>(other, "Gateway", "userapi-gateway").spec.servers[0].hosts).toEqual([
      "api.example.com",
    ]);
  });

  it("defines both subsets by version, with mTLS, a connection pool and outlier detection", () => {
    expect(rule.spec.host).toBe("userapi.userapi.svc.cluster.local");
    expect(rule.spec.subsets).toEqual([
      { name: "v1", labels: { version: "v1" } },
      { name: "v2", labels: { version: "v2" } },
    ]);
    expect(rule.spec.trafficPolicy.tls).toEqual({ mode: "ISTIO_MUTUAL" });
    expect(rule.spec.trafficPolicy.connectionPool.tcp.maxConnections).toBeGreaterThan(0);
    expect(rule.spec.trafficPolicy.connectionPool.http.http1MaxPendingRequests).toBeGreaterThan(0);
    // Envoy closes idle pooled connections before the app does (lib/lifecycle.ts).
    expect(rule.spec.trafficPolicy.connectionPool.http.idleTimeout).toBe("30s");
    expect(rule.spec.trafficPolicy.outlierDetection).toMatchObject({
      consecutive5xxErrors: 0,
      consecutiveLocalOriginFailures: 5,
      splitExternalLocalOriginErrors: true,
      maxEjectionPercent: 50,
    });
  });
});
