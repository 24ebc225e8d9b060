// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { generateKeyPairSync } from "node:crypto";
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { ApiAuthentication } from "./api-authentication.js";
import { findManifest } from "./lib/checks.js";
import type { PublicJwks } from "./lib/jwks.js";

describe("ApiAuthentication", () => {
  const key = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({
    format: "jwk",
  });
  const jwks = { keys: [{ ...key, kid: "k1", alg: "ES256" }] } as PublicJwks;
  const chart = Testing.chart();
  const auth = new ApiAuthentication(chart, "auth", {
    issuer: "https://issuer.example",
    audience: "userapi",
    jwks,
  });
  const docs = Testing.synth(chart);

  it("puts the JWKS, one line of JSON, in ConfigMap userapi-jwks as jwks.json", () => {
    const configMap = findManifest<any>(docs, "ConfigMap", "userapi-jwks");
    expect(Object.keys(configMap.data)).toEqual(["jwks.json"]);
    expect(JSON.parse(configMap.data["jwks.json"])).toEqual(jwks);
    expect(configMap.data["jwks.json"]).not.toContain("\n");
  });

  it("verifies tokens at the API pods' sidecars with the same issuer, audience and keys, inline", () => {
    const ra = findManifest<any>(docs, "RequestAuthentication", "userapi");
    expect(ra.apiVersion).toBe("security.istio.io/v1");
    expect(ra.spec).toEqual({
      selector: { matchLabels: { app: "userapi" } },
      jwtRules: [
        {
          issuer: "https://issuer.example",
          audiences: ["userapi"],
          jwks: JSON.stringify(jwks),
          forwardOriginalToken: true,
        },
      ],
    });
  });

  it("names the request principal of any verified token of that issuer", () => {
    expect(auth.requestPrincipal).toBe("https://issuer.example/*");
  });

  it("creates nothing else", () => {
    expect(docs.map((d) => d.kind)).toEqual(["ConfigMap", "RequestAuthentication"]);
  });
});
