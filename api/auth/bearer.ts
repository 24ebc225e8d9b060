/**
 * Reads the bearer token of a request (RFC 6750 §2.1), without judging the
 * token itself. Three outcomes: no bearer credentials (a missing header or
 * another scheme: the client did not try a bearer token, so the challenge
 * carries no error code, §3.1), a malformed attempt (400
 * `invalid_request`), or the token.
 */

export type BearerCredentials =
  | { readonly kind: "none" }
  | { readonly kind: "malformed"; readonly detail: string }
  | { readonly kind: "token"; readonly token: string };

/** `b64token` of RFC 6750 §2.1. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/;
/** The scheme is case-insensitive (RFC 9110 §11.1); one or more spaces follow it. */
const BEARER = /^bearer(?: +(.*))?$/is;

export interface BearerInput {
  /** The Authorization header (Node keeps the first of several). */
  readonly authorization: string | undefined;
  /** How many Authorization header lines the request carried. */
  readonly authorizationCount: number;
  /** Whether the URI carries an `access_token` query parameter (RFC 6750 §2.3). */
  readonly tokenInUri: boolean;
}

export function readBearer({
  authorization,
  authorizationCount,
  tokenInUri,
}: BearerInput): BearerCredentials {
  // Tokens in URIs end up in logs, proxies and browser history; this server takes none.
  if (tokenInUri) {
    return {
      kind: "malformed",
      detail: "send the access token in the Authorization header, not in the URI",
    };
  }
  if (authorizationCount > 1) {
    return { kind: "malformed", detail: "send exactly one Authorization header" };
  }
  if (authorization === undefined) return { kind: "none" };
  const match = BEARER.exec(authorization.trim());
  if (match === null) return { kind: "none" };
  const token = match[1] ?? "";
  if (token === "") {
    return { kind: "malformed", detail: "the Authorization header has no token after 'Bearer'" };
  }
  if (!B64TOKEN.test(token)) {
    return {
      kind: "malformed",
      detail: "the bearer token has characters a token cannot have (RFC 6750 b64token)",
    };
  }
  return { kind: "token", token };
}
