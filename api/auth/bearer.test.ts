import { describe, expect, it } from "vitest";
import { accessRuleOf, isAllowed, requires, scopesOf, USERS_READ, USERS_WRITE } from "./access.js";
import { readBearer } from "./bearer.js";
import { bearerChallenge } from "./challenge.js";

const one = (authorization: string | undefined) =>
  readBearer({
    authorization,
    authorizationCount: authorization === undefined ? 0 : 1,
    tokenInUri: false,
  });

describe("readBearer", () => {
  it.each([
    ["Bearer abc.def-_~+/.x==", "abc.def-_~+/.x=="],
    ["bearer abc", "abc"],
    ["BEARER   abc", "abc"],
  ])("reads the token of %j", (header, token) => {
    expect(one(header)).toEqual({ kind: "token", token });
  });

  it.each([undefined, "Basic YWxpY2U6c2VjcmV0", "Bearerabc", "Digest x", ""])(
    "sees no bearer attempt in %j",
    (header) => {
      expect(one(header)).toEqual({ kind: "none" });
    },
  );

  it.each([
    "Bearer",
    "Bearer    ",
    "Bearer a b",
    "Bearer a,b",
    'Bearer "abc"',
    "Bearer a=b",
    "Bearer\tabc",
  ])("calls %j malformed", (header) => {
    expect(one(header).kind).toBe(header === "Bearer\tabc" ? "none" : "malformed");
  });

  it("refuses several Authorization headers and a token in the URI", () => {
    expect(
      readBearer({ authorization: "Bearer a", authorizationCount: 2, tokenInUri: false }),
    ).toMatchObject({
      kind: "malformed",
      detail: "send exactly one Authorization header",
    });
    expect(
      readBearer({ authorization: undefined, authorizationCount: 0, tokenInUri: true }),
    ).toMatchObject({
      kind: "malformed",
    });
  });
});

describe("bearerChallenge", () => {
  it("has no error code without a token, and the scope on insufficient_scope", () => {
    expect(bearerChallenge({})).toBe('Bearer realm="userapi"');
    expect(
      bearerChallenge({
        error: "insufficient_scope",
        description: "needs users:write",
        scope: USERS_WRITE,
      }),
    ).toBe(
      'Bearer realm="userapi", error="insufficient_scope", error_description="needs users:write", scope="users:write"',
    );
  });

  it("never puts a quote or a backslash into a quoted string", () => {
    expect(() => bearerChallenge({ error: "invalid_token", description: 'a "b"' })).toThrow(
      /error_description/,
    );
    expect(() => bearerChallenge({ error: "invalid_token", description: "a\\b" })).toThrow();
  });
});

describe("access rules", () => {
  const principal = (subject: string | undefined, scope?: string) => ({
    subject,
    scopes: scopesOf(scope),
  });

  it("reads back the rule a route declares", () => {
    expect(accessRuleOf(requires(USERS_READ))).toEqual({ scope: USERS_READ });
    expect(accessRuleOf(requires(USERS_WRITE, { selfParameter: "username" }))).toEqual({
      scope: USERS_WRITE,
      selfParameter: "username",
    });
    expect(accessRuleOf({})).toBeUndefined();
    expect(() => accessRuleOf({ security: [{ bearerAuth: ["users:admin"] }] })).toThrow(
      /cannot enforce/,
    );
    expect(() => accessRuleOf({ security: [{ bearerAuth: [USERS_READ, USERS_WRITE] }] })).toThrow();
  });

  it("parses the space-separated scope claim", () => {
    expect([...scopesOf("users:read  users:write ")]).toEqual([USERS_READ, USERS_WRITE]);
    expect(scopesOf(undefined).size).toBe(0);
  });

  it("allows by scope, or by sub on a self-service rule only", () => {
    const self = { scope: USERS_WRITE, selfParameter: "username" } as const;
    expect(isAllowed(principal("x", "users:write"), self, "alice")).toBe(true);
    expect(isAllowed(principal("alice"), self, "alice")).toBe(true);
    expect(isAllowed(principal("alice"), self, "bob")).toBe(false);
    expect(isAllowed(principal("alice"), { scope: USERS_WRITE }, "alice")).toBe(false);
    expect(isAllowed(principal(undefined), self, undefined)).toBe(false);
    expect(isAllowed(principal("x", "users:write"), { scope: USERS_READ }, undefined)).toBe(false);
    expect(isAllowed(principal("x", "users:read:all"), { scope: USERS_READ }, undefined)).toBe(
      false,
    );
  });
});
