import { describe, expect, it } from "vitest";
import { routeFor } from "./istio-routing.js";
import { authorizationPaths, httpRoutes, PUBLIC_PATHS, TRACK_HEADER } from "./routes.js";

describe("httpRoutes", () => {
  const routes = httpRoutes({ v1: 25, v2: 75 });

  it("puts the header routes before the weighted split", () => {
    expect(routes.map((r) => r.name)).toEqual(["pin-v1", "pin-v2", "split"]);
  });

  it("publishes only the public API: /, /health, /user, /openapi.json, /docs", () => {
    expect(PUBLIC_PATHS).toEqual([
      { exact: "/" },
      { exact: "/health" },
      { exact: "/user" },
      { prefix: "/user/" },
      { exact: "/openapi.json" },
      { exact: "/docs" },
      { prefix: "/docs/" },
    ]);
    for (const route of routes) {
      expect(route.match?.map((m) => m.uri)).toEqual(PUBLIC_PATHS);
    }
    const routed = (path: string) => routeFor(routes as never, { path }) !== undefined;
    for (const path of ["/", "/health", "/user", "/user/alice", "/openapi.json", "/docs"]) {
      expect(routed(path), path).toBe(true);
    }
    for (const path of ["/ready", "/serving", "/metrics", "/users", "/healthz", "/docsx"]) {
      expect(routed(path), path).toBe(false);
    }
  });

  it("allows from the gateway, in AuthorizationPolicy syntax, exactly the routed paths", () => {
    expect(authorizationPaths()).toEqual([
      "/",
      "/health",
      "/user",
      "/user/*",
      "/openapi.json",
      "/docs",
      "/docs/*",
    ]);
  });

  it("pins x-version: v1 and v2 to their subsets", () => {
    expect(TRACK_HEADER).toBe("x-version");
    for (const [index, track] of ["v1", "v2"].entries()) {
      const route = routes[index];
      for (const match of route?.match ?? []) {
        expect(match.headers).toEqual({ "x-version": { exact: track } });
      }
      expect(route?.route).toEqual([
        {
          destination: {
            host: "userapi.userapi.svc.cluster.local",
            subset: track,
            port: { number: 80 },
          },
          weight: 100,
        },
      ]);
    }
  });

  it("splits the rest by the given weights", () => {
    const split = routes[2]?.route ?? [];
    expect(split.map((r) => [r.destination.subset, r.weight])).toEqual([
      ["v1", 25],
      ["v2", 75],
    ]);
  });

  it("leaves a zero-weight track out of the split but reachable by header", () => {
    const all = httpRoutes({ v1: 0, v2: 100 });
    expect(all[2]?.route?.map((r) => [r.destination.subset, r.weight])).toEqual([["v2", 100]]);
    expect(all[0]?.route?.[0]?.destination.subset).toBe("v1");
  });

  it("sets a timeout and retries only what never reached the app on every route", () => {
    for (const route of routes) {
      expect(route.timeout).toBe("10s");
      expect(route.retries).toEqual({
        attempts: 2,
        perTryTimeout: "4s",
        retryOn: "connect-failure,refused-stream,reset-before-request",
      });
    }
  });

  it("refuses weights that do not sum to 100", () => {
    expect(() => httpRoutes({ v1: 50, v2: 60 })).toThrow(/sum to 100, got 110/);
  });
});
