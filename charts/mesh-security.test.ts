// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { findManifest } from "./lib/checks.js";
import { MeshSecurity } from "./mesh-security.js";

describe("MeshSecurity", () => {
  const chart = Testing.chart();
  new MeshSecurity(chart, "security", { requestPrincipal: "https://issuer.example/*" });
  const docs = Testing.synth(chart);

  it("requires STRICT mTLS for the whole namespace", () => {
    const peer = findManifest<any>(docs, "PeerAuthentication", "default");
    expect(peer.apiVersion).toBe("security.istio.io/v1");
    expect(peer.spec).toEqual({ mtls: { mode: "STRICT" } });
  });

  it("denies by default with an ALLOW policy that has no rules", () => {
    const nothing = findManifest<any>(docs, "AuthorizationPolicy", "allow-nothing");
    expect(nothing.spec).toEqual({ action: "ALLOW" });
  });

  it("lets only the ingress gateway reach the API, on the paths the gateway publishes, /user only with a token", () => {
    const policy = findManifest<any>(docs, "AuthorizationPolicy", "userapi-from-ingress-gateway");
    const gateway = "cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account";
    expect(policy.spec).toEqual({
      action: "ALLOW",
      selector: { matchLabels: { app: "userapi" } },
      rules: [
        {
          from: [{ source: { principals: [gateway] } }],
          to: [{ operation: { paths: ["/", "/health", "/openapi.json", "/docs", "/docs/*"] } }],
        },
        {
          from: [
            {
              source: { principals: [gateway], requestPrincipals: ["https://issuer.example/*"] },
            },
          ],
          to: [{ operation: { paths: ["/user", "/user/*"] } }],
        },
      ],
    });
  });

  it("lets only the API's identity reach Redis, matching principals only (TCP)", () => {
    const policy = findManifest<any>(docs, "AuthorizationPolicy", "redis-from-userapi");
    expect(policy.spec).toEqual({
      action: "ALLOW",
      selector: { matchLabels: { app: "redis" } },
      rules: [{ from: [{ source: { principals: ["cluster.local/ns/userapi/sa/userapi"] } }] }],
    });
  });

  it("creates nothing else", () => {
    expect(docs).toHaveLength(4);
  });
});
