/**
 * Who may call what (SPEC "Authentication"): each user operation requires
 * one scope, and an operation on `/user/{username}` may also be open to the
 * user it names (self-service). The rule is declared on the route, in the
 * OpenAPI document (`security` plus `x-self-service-parameter`), and
 * `accessRuleOf` reads it back, so the document and the enforcement cannot
 * drift apart.
 */

export const USERS_READ = "users:read";
export const USERS_WRITE = "users:write";
export type Scope = typeof USERS_READ | typeof USERS_WRITE;

/** The name of the bearer JWT security scheme in the OpenAPI document. */
export const BEARER_SCHEME = "bearerAuth";
/** Operation extension naming the path parameter a token's `sub` may match instead of the scope. */
export const SELF_SERVICE_EXTENSION = "x-self-service-parameter";

export interface AccessRule {
  readonly scope: Scope;
  /** Path parameter whose value, when equal to the token's `sub`, grants access without `scope`. */
  readonly selfParameter?: string;
}

/** A verified caller. */
export interface Principal {
  readonly subject: string | undefined;
  readonly scopes: ReadonlySet<string>;
}

/** The route fields that declare a rule: spread them into `createRoute`. */
export function requires(scope: Scope, options: { selfParameter?: string } = {}) {
  return {
    security: [{ [BEARER_SCHEME]: [scope] }],
    ...(options.selfParameter === undefined
      ? {}
      : { [SELF_SERVICE_EXTENSION]: options.selfParameter }),
  } as { security: Record<string, string[]>[]; [SELF_SERVICE_EXTENSION]?: string };
}

/** The rule a route declares, or undefined for an open route. Throws on a rule it cannot enforce. */
export function accessRuleOf(route: {
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly [SELF_SERVICE_EXTENSION]?: unknown;
}): AccessRule | undefined {
  const security = route.security;
  if (security === undefined || security.length === 0) return undefined;
  const scopes = security.length === 1 ? security[0]?.[BEARER_SCHEME] : undefined;
  const scope = scopes?.length === 1 ? scopes[0] : undefined;
  if (scope !== USERS_READ && scope !== USERS_WRITE) {
    throw new Error(`cannot enforce security ${JSON.stringify(security)}: expected one scope`);
  }
  const self = route[SELF_SERVICE_EXTENSION];
  return typeof self === "string" ? { scope, selfParameter: self } : { scope };
}

/** Space-separated scope claim (RFC 8693 §4.2) → set; absent means no scope. */
export function scopesOf(claim: string | undefined): ReadonlySet<string> {
  return new Set(claim === undefined ? [] : claim.split(" ").filter((s) => s !== ""));
}

/** Whether the caller may act; `parameterValue` is the decoded path parameter the rule names. */
export function isAllowed(
  principal: Principal,
  rule: AccessRule,
  parameterValue: string | undefined,
): boolean {
  if (principal.scopes.has(rule.scope)) return true;
  return (
    rule.selfParameter !== undefined &&
    principal.subject !== undefined &&
    parameterValue !== undefined &&
    principal.subject === parameterValue
  );
}
