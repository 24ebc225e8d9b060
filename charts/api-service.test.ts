// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { ApiService } from "./api-service.js";
import { findManifest } from "./lib/checks.js";

describe("ApiService", () => {
  const chart = Testing.chart();
  new ApiService(chart, "api");
  const docs = Testing.synth(chart);

  it("creates the userapi Service and ServiceAccount with stable names", () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`).sort()).toEqual([
      "Service/userapi",
      "ServiceAccount/userapi",
    ]);
  });

  it("selects app only, so both tracks receive traffic", () => {
    const service = findManifest<any>(docs, "Service", "userapi");
    expect(service.spec.selector).toEqual({ app: "userapi" });
  });

  it("exposes port 80 named http (Istio protocol) targeting the container port 8080", () => {
    const service = findManifest<any>(docs, "Service", "userapi");
    expect(service.spec.ports).toEqual([
      { name: "http", port: 80, protocol: "TCP", targetPort: 8080 },
    ]);
  });

  it("does not mount an API token (the API never calls Kubernetes)", () => {
    const account = findManifest<any>(docs, "ServiceAccount", "userapi");
    expect(account.automountServiceAccountToken).toBe(false);
  });
});
