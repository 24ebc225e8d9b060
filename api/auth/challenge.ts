/**
 * The `WWW-Authenticate` challenge of RFC 6750 §3. Descriptions are fixed
 * strings chosen by the server (never token contents or key material), and
 * are checked against the quoted-string characters RFC 6750 allows.
 */

export const REALM = "userapi";

export type BearerErrorCode = "invalid_request" | "invalid_token" | "insufficient_scope";

export interface Challenge {
  /** Absent when the request carried no bearer token (RFC 6750 §3.1). */
  readonly error?: BearerErrorCode;
  readonly description?: string;
  /** The scope the request needs, on `insufficient_scope`. */
  readonly scope?: string;
}

/** `error_description` and `scope` characters (RFC 6750 §3): visible ASCII but `"` and `\`. */
const QUOTABLE = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/;

export function bearerChallenge({ error, description, scope }: Challenge): string {
  const params = [`realm="${REALM}"`];
  if (error !== undefined) params.push(`error="${error}"`);
  for (const [name, value] of [
    ["error_description", description],
    ["scope", scope],
  ] as const) {
    if (value === undefined) continue;
    if (!QUOTABLE.test(value)) throw new Error(`${name} has characters a challenge cannot carry`);
    params.push(`${name}="${value}"`);
  }
  return `Bearer ${params.join(", ")}`;
}
