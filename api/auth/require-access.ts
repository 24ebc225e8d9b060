/**
 * The guard in front of every user operation. It runs before anything
 * else of the operation (the query and path checks, the body, the store),
 * in this order:
 *
 * 1. no bearer token: 401 with a bare `Bearer` challenge;
 * 2. a malformed attempt: 400 `invalid_request` (RFC 6750 §3.1);
 * 3. a token that does not verify: 401 `invalid_token`;
 *    keys unavailable: 503 with Retry-After (fail closed);
 * 4. a valid token without the right: 403 `insufficient_scope`.
 *
 * So a caller without the right learns nothing about the users: not
 * whether one exists (no 404), nor whether its request would be valid.
 */
import type { HttpBindings } from "@hono/node-server";
import type { Context, MiddlewareHandler } from "hono";
import { problemResponse } from "../lib/problem.js";
import type { AppBindings } from "../lib/types.js";
import { type AccessRule, isAllowed } from "./access.js";
import { readBearer } from "./bearer.js";
import { bearerChallenge } from "./challenge.js";
import type { TokenVerifier } from "./token-verifier.js";

/** Authorization header lines as sent: Node's `headers` keeps only the first. */
function authorizationCount(c: Context): number {
  const raw = (c.env as Partial<HttpBindings> | undefined)?.incoming?.rawHeaders;
  if (raw === undefined) return c.req.header("authorization") === undefined ? 0 : 1;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 13 && name.toLowerCase() === "authorization") count++;
  }
  return count;
}

function tokenInUri(url: string): boolean {
  const start = url.indexOf("?");
  return (
    start !== -1 &&
    url.includes("access_token", start) &&
    new URLSearchParams(url.slice(start + 1)).has("access_token")
  );
}

export function requireAccess(
  verify: TokenVerifier,
  rule: AccessRule,
): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    const credentials = readBearer({
      authorization: c.req.header("authorization"),
      authorizationCount: authorizationCount(c),
      tokenInUri: tokenInUri(c.req.url),
    });
    if (credentials.kind === "none") {
      return problemResponse(
        c,
        401,
        "this operation needs a bearer token (Authorization: Bearer <JWT>)",
        {
          headers: { "www-authenticate": bearerChallenge({}) },
        },
      );
    }
    if (credentials.kind === "malformed") {
      return problemResponse(c, 400, credentials.detail, {
        headers: {
          "www-authenticate": bearerChallenge({
            error: "invalid_request",
            description: credentials.detail,
          }),
        },
      });
    }
    const verification = await verify(credentials.token);
    if (!verification.ok) {
      if (verification.kind === "unavailable") {
        return problemResponse(
          c,
          503,
          "the token cannot be verified now: the signing keys are unavailable; retry later",
          { headers: { "retry-after": String(verification.retryAfterSeconds) } },
        );
      }
      return problemResponse(c, 401, verification.description, {
        headers: {
          "www-authenticate": bearerChallenge({
            error: "invalid_token",
            description: verification.description,
          }),
        },
      });
    }
    const parameter =
      rule.selfParameter === undefined ? undefined : c.req.param(rule.selfParameter);
    if (!isAllowed(verification.principal, rule, parameter)) {
      const description =
        rule.selfParameter === undefined
          ? `this operation needs the scope ${rule.scope}`
          : `this operation needs the scope ${rule.scope}, or a token whose sub is this ${rule.selfParameter}`;
      return problemResponse(c, 403, description, {
        headers: {
          "www-authenticate": bearerChallenge({
            error: "insufficient_scope",
            description,
            scope: rule.scope,
          }),
        },
      });
    }
    await next();
  };
}
