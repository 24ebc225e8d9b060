import { describe, expect, it } from "vitest";
import {
  allowPoliciesAdmit,
  matchApplies,
  routeFor,
  routeShadows,
  ruleAllows,
  stringMatches,
} from "./istio-routing.js";

describe("stringMatches", () => {
  it("matches exact, prefix and anchored regex like Envoy", () => {
    expect(stringMatches({ exact: "/user" }, "/user")).toBe(true);
    expect(stringMatches({ exact: "/user" }, "/users")).toBe(false);
    expect(stringMatches({ prefix: "/user/" }, "/user/alice")).toBe(true);
    expect(stringMatches({ prefix: "/user/" }, "/user")).toBe(false);
    expect(stringMatches({ regex: "/v[12]" }, "/v1")).toBe(true);
    expect(stringMatches({ regex: "/v[12]" }, "/v12")).toBe(false);
    expect(stringMatches({ exact: "v1" }, undefined)).toBe(false);
  });
});

describe("routeFor", () => {
  const http = [
    { name: "pin", match: [{ uri: { prefix: "/a" }, headers: { "x-v": { exact: "1" } } }] },
    { name: "paths", match: [{ uri: { exact: "/a" } }, { uri: { prefix: "/b/" } }] },
  ];

  it("takes the first route with a matching match (conditions ANDed, matches ORed)", () => {
    expect(routeFor(http, { path: "/a", headers: { "x-v": "1" } })?.name).toBe("pin");
    expect(routeFor(http, { path: "/a", headers: { "x-v": "2" } })?.name).toBe("paths");
    expect(routeFor(http, { path: "/b/c" })?.name).toBe("paths");
  });

  it("finds no route for anything else (the proxy answers 404)", () => {
    expect(routeFor(http, { path: "/c" })).toBeUndefined();
    expect(routeFor(http, { path: "/b" })).toBeUndefined();
  });

  it("refuses match fields it does not model", () => {
    expect(() => matchApplies({ method: { exact: "GET" } }, { path: "/" })).toThrow(/method/);
  });
});

describe("routeShadows", () => {
  it("sees that a route without the header covers a later header route", () => {
    const split = { match: [{ uri: { exact: "/a" } }, { uri: { prefix: "/b/" } }] };
    const pin = {
      match: [
        { uri: { exact: "/a" }, headers: { "x-v": { exact: "1" } } },
        { uri: { prefix: "/b/c" }, headers: { "x-v": { exact: "1" } } },
      ],
    };
    expect(routeShadows(split, pin)).toBe(true);
    expect(routeShadows(pin, split)).toBe(false);
    expect(routeShadows({}, split)).toBe(true);
    expect(routeShadows(split, { match: [{ uri: { prefix: "/" } }] })).toBe(false);
  });
});

describe("authorization", () => {
  const gateway = "cluster.local/ns/istio-system/sa/gw";
  const rule = {
    from: [{ source: { principals: [gateway] } }],
    to: [{ operation: { paths: ["/user", "/user/*"] } }],
  };

  it("admits the principal on its paths only", () => {
    expect(ruleAllows(rule, { path: "/user/alice", principal: gateway })).toBe(true);
    expect(ruleAllows(rule, { path: "/user", principal: gateway })).toBe(true);
    expect(ruleAllows(rule, { path: "/metrics", principal: gateway })).toBe(false);
    expect(ruleAllows(rule, { path: "/user", principal: "cluster.local/ns/x/sa/y" })).toBe(false);
    expect(ruleAllows(rule, { path: "/user" })).toBe(false);
  });

  it("ANDs principals and requestPrincipals of one source, with prefix patterns", () => {
    const withToken = {
      from: [{ source: { principals: [gateway], requestPrincipals: ["userapi-dev/*"] } }],
      to: [{ operation: { paths: ["/user"] } }],
    };
    const request = { path: "/user", principal: gateway };
    expect(ruleAllows(withToken, { ...request, requestPrincipal: "userapi-dev/alice" })).toBe(true);
    expect(ruleAllows(withToken, request)).toBe(false);
    expect(ruleAllows(withToken, { ...request, requestPrincipal: "other/alice" })).toBe(false);
    expect(ruleAllows(withToken, { path: "/user", requestPrincipal: "userapi-dev/alice" })).toBe(
      false,
    );
    expect(ruleAllows({ from: [{ source: {} }] }, { path: "/" })).toBe(true);
    expect(() =>
      ruleAllows({ from: [{ source: { namespaces: ["x"] } as never }] }, request),
    ).toThrow(/namespaces/);
  });

  it("treats an ALLOW policy without rules as allow-nothing", () => {
    expect(allowPoliciesAdmit([{}], { path: "/", principal: gateway })).toBe(false);
    expect(allowPoliciesAdmit([], { path: "/" })).toBe(true);
    expect(allowPoliciesAdmit([{}, { rules: [rule] }], { path: "/user", principal: gateway })).toBe(
      true,
    );
  });
});
