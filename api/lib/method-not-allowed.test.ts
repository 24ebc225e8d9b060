import { describe, expect, it } from "vitest";
import { allowedMethodsFor } from "./method-not-allowed.js";

const routes = [
  { method: "ALL", path: "/*", basePath: "/", handler: () => undefined },
  { method: "GET", path: "/user", basePath: "/", handler: () => undefined },
  { method: "POST", path: "/user", basePath: "/", handler: () => undefined },
  { method: "GET", path: "/user/:username", basePath: "/", handler: () => undefined },
  { method: "DELETE", path: "/user/:username", basePath: "/", handler: () => undefined },
  { method: "GET", path: "/openapi.json", basePath: "/", handler: () => undefined },
];

describe("allowedMethodsFor", () => {
  const allowed = allowedMethodsFor(routes);

  it("lists the methods of a literal path, with HEAD for GET", () => {
    expect(allowed("/user")).toEqual(["GET", "HEAD", "POST"]);
  });

  it("matches a parameter segment", () => {
    expect(allowed("/user/alice")).toEqual(["DELETE", "GET", "HEAD"]);
  });

  it("returns nothing for an unknown path, a deeper path, or a trailing slash", () => {
    expect(allowed("/nope")).toEqual([]);
    expect(allowed("/user/alice/extra")).toEqual([]);
    expect(allowed("/user/")).toEqual([]);
  });

  it("treats dots in route paths literally", () => {
    expect(allowed("/openapi.json")).toEqual(["GET", "HEAD"]);
    expect(allowed("/openapiXjson")).toEqual([]);
  });
});
