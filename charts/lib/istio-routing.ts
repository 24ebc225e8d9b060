/**
 * How Envoy and Istio decide a request, for the fields this project uses:
 * which VirtualService route an HTTP request takes, and whether an ALLOW
 * AuthorizationPolicy admits it. Pure functions over parsed manifests, so
 * tests can ask "does the gateway route /metrics?" of dist/ itself. A field
 * they do not model throws rather than guessing.
 */

/** The parts of a request routing and authorization look at. */
export interface RequestShape {
  /** URL path, without the query string (Envoy matches `uri` on the path only). */
  readonly path: string;
  /** Header names in lowercase. */
  readonly headers?: Readonly<Record<string, string>>;
  /** mTLS principal of the caller, e.g. `cluster.local/ns/istio-system/sa/...`. */
  readonly principal?: string;
  /** Request principal (`<iss>/<sub>`) of a token RequestAuthentication verified; absent without one. */
  readonly requestPrincipal?: string;
}

/** An Istio StringMatch (one of exact, prefix, regex). */
export interface StringMatch {
  readonly exact?: string;
  readonly prefix?: string;
  readonly regex?: string;
}

/** An HTTPMatchRequest: its conditions are ANDed. */
export interface HttpMatch {
  readonly name?: string;
  readonly uri?: StringMatch;
  readonly headers?: Readonly<Record<string, StringMatch>>;
  readonly [other: string]: unknown;
}

/** An HTTPRoute: its matches are ORed; none means "everything". */
export interface HttpRoute {
  readonly name?: string;
  readonly match?: readonly HttpMatch[];
  readonly [other: string]: unknown;
}

const MODELLED_MATCH_FIELDS = new Set(["name", "uri", "headers"]);

export function stringMatches(match: StringMatch, value: string | undefined): boolean {
  if (value === undefined) return false;
  if (match.exact !== undefined) return value === match.exact;
  if (match.prefix !== undefined) return value.startsWith(match.prefix);
  if (match.regex !== undefined) return new RegExp(`^(?:${match.regex})$`).test(value);
  throw new Error(`unsupported string match ${JSON.stringify(match)}`);
}

function checkModelled(match: HttpMatch): void {
  for (const field of Object.keys(match)) {
    if (!MODELLED_MATCH_FIELDS.has(field)) throw new Error(`match field ${field} is not modelled`);
  }
}

/** True when one HTTPMatchRequest applies to the request. */
export function matchApplies(match: HttpMatch, request: RequestShape): boolean {
  checkModelled(match);
  if (match.uri !== undefined && !stringMatches(match.uri, request.path)) return false;
  for (const [name, condition] of Object.entries(match.headers ?? {})) {
    if (!stringMatches(condition, request.headers?.[name])) return false;
  }
  return true;
}

/** The first route that takes the request (Envoy's order), or undefined: a 404 from the proxy. */
export function routeFor(http: readonly HttpRoute[], request: RequestShape): HttpRoute | undefined {
  return http.find(
    (route) =>
      route.match === undefined ||
      route.match.length === 0 ||
      route.match.some((match) => matchApplies(match, request)),
  );
}

function uriCovers(outer: StringMatch | undefined, inner: StringMatch | undefined): boolean {
  if (outer === undefined) return true;
  if (inner === undefined) return false;
  if (outer.exact !== undefined) return inner.exact === outer.exact;
  if (outer.prefix !== undefined) {
    const value = inner.exact ?? inner.prefix;
    return value?.startsWith(outer.prefix) === true;
  }
  return JSON.stringify(outer) === JSON.stringify(inner);
}

/** True when every request `inner` matches is also matched by `outer`. */
export function matchCovers(outer: HttpMatch, inner: HttpMatch): boolean {
  checkModelled(outer);
  checkModelled(inner);
  if (!uriCovers(outer.uri, inner.uri)) return false;
  return Object.entries(outer.headers ?? {}).every(
    ([name, condition]) => JSON.stringify(inner.headers?.[name]) === JSON.stringify(condition),
  );
}

/** True when `earlier` takes every request `later` would take, so `later` never runs. */
export function routeShadows(earlier: HttpRoute, later: HttpRoute): boolean {
  if (earlier.match === undefined || earlier.match.length === 0) return true;
  if (later.match === undefined || later.match.length === 0) return false;
  return later.match.every((inner) => earlier.match?.some((outer) => matchCovers(outer, inner)));
}

/** One rule of an AuthorizationPolicy (the fields this project uses). */
export interface AuthorizationRule {
  readonly from?: readonly {
    readonly source?: {
      readonly principals?: readonly string[];
      readonly requestPrincipals?: readonly string[];
    };
  }[];
  readonly to?: readonly { readonly operation?: { readonly paths?: readonly string[] } }[];
  readonly [other: string]: unknown;
}

/** Istio's string syntax (paths, principals): exact, `prefix*`, `*suffix`, or `*`. */
function pathAllowed(pattern: string, path: string): boolean {
  if (pattern === "*") return true;
  if (pattern.endsWith("*")) return path.startsWith(pattern.slice(0, -1));
  if (pattern.startsWith("*")) return path.endsWith(pattern.slice(1));
  return path === pattern;
}

/** One field of a source: absent matches anything; present, one pattern must match a value. */
function fieldMatches(patterns: readonly string[] | undefined, value: string | undefined): boolean {
  if (patterns === undefined) return true;
  return value !== undefined && patterns.some((pattern) => pathAllowed(pattern, value));
}

const MODELLED_SOURCE_FIELDS = new Set(["principals", "requestPrincipals"]);

/** True when one ALLOW rule admits the request. */
export function ruleAllows(rule: AuthorizationRule, request: RequestShape): boolean {
  for (const field of Object.keys(rule)) {
    if (field !== "from" && field !== "to") throw new Error(`rule field ${field} is not modelled`);
  }
  // The fields of one source are ANDed; the sources of `from` are ORed.
  const fromOk =
    rule.from === undefined ||
    rule.from.some(({ source = {} }) => {
      for (const field of Object.keys(source)) {
        if (!MODELLED_SOURCE_FIELDS.has(field))
          throw new Error(`source field ${field} is not modelled`);
      }
      return (
        fieldMatches(source.principals, request.principal) &&
        fieldMatches(source.requestPrincipals, request.requestPrincipal)
      );
    });
  const toOk =
    rule.to === undefined ||
    rule.to.some(({ operation }) =>
      (operation?.paths ?? ["*"]).some((pattern) => pathAllowed(pattern, request.path)),
    );
  return fromOk && toOk;
}

/**
 * True when ALLOW policies admit the request: with no ALLOW policy at all
 * everything is admitted; otherwise at least one rule of one policy must.
 * (An ALLOW policy without rules admits nothing, Istio's "allow-nothing".)
 */
export function allowPoliciesAdmit(
  policies: readonly { readonly rules?: readonly AuthorizationRule[] }[],
  request: RequestShape,
): boolean {
  if (policies.length === 0) return true;
  return policies.some((policy) => (policy.rules ?? []).some((rule) => ruleAllows(rule, request)));
}
