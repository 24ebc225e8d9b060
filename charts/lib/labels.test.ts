import { describe, expect, it } from "vitest";
import { apiSelector, labelsFor, principalOf, serviceFqdn, TRACKS } from "./labels.js";

describe("labelsFor", () => {
  it("labels pods with app and version", () => {
    expect(labelsFor("v1")).toEqual({ app: "userapi", version: "v1" });
    expect(labelsFor("v2")).toEqual({ app: "userapi", version: "v2" });
  });

  it("gives each track labels the Service selector matches", () => {
    for (const track of TRACKS) expect(labelsFor(track)).toMatchObject(apiSelector());
  });

  it("returns frozen objects so no caller can change the contract", () => {
    expect(Object.isFrozen(labelsFor("v1"))).toBe(true);
  });
});

describe("names", () => {
  it("builds the FQDN Istio needs for a host with dots", () => {
    expect(serviceFqdn("userapi")).toBe("userapi.userapi.svc.cluster.local");
  });

  it("builds the SPIFFE-style principal of a ServiceAccount", () => {
    expect(principalOf("userapi")).toBe("cluster.local/ns/userapi/sa/userapi");
    expect(principalOf("prom", "monitoring")).toBe("cluster.local/ns/monitoring/sa/prom");
  });
});
