/**
 * Tokens of the smoke test: where they come from (environment variables, or
 * minted from a development key folder), and the forged ones it sends to
 * prove the API and the mesh refuse them. The forgeries are pure string
 * operations on a real token, so they need no key.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { loadOrCreateDevKey, PRIVATE_KEY_FILE, signToken } from "../token/dev-key.js";

/** A token with users:read and users:write, and one with users:read only. */
export interface SmokeTokens {
  readonly write: string;
  readonly read: string;
  /** Where they came from, for the report. */
  readonly source: string;
}

/** Environment variables holding ready-made tokens (from any identity provider). */
export const WRITE_TOKEN_VARIABLE = "SMOKE_WRITE_TOKEN";
export const READ_TOKEN_VARIABLE = "SMOKE_READ_TOKEN";

/** Raised when the token settings are incomplete; the message names what is missing. */
export class TokenSetupError extends Error {
  override readonly name = "TokenSetupError";
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * The tokens from SMOKE_WRITE_TOKEN and SMOKE_READ_TOKEN (both or neither),
 * or undefined when neither is set (authentication not tested).
 */
export function tokensFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): SmokeTokens | undefined {
  const write = env[WRITE_TOKEN_VARIABLE]?.trim() || undefined;
  const read = env[READ_TOKEN_VARIABLE]?.trim() || undefined;
  if (write === undefined && read === undefined) return undefined;
  const missing = write === undefined ? WRITE_TOKEN_VARIABLE : READ_TOKEN_VARIABLE;
  if (write === undefined || read === undefined) {
    throw new TokenSetupError(
      `${missing} is not set: give both ${WRITE_TOKEN_VARIABLE} (users:read users:write) and ${READ_TOKEN_VARIABLE} (users:read only)`,
    );
  }
  for (const [name, token] of [
    [WRITE_TOKEN_VARIABLE, write],
    [READ_TOKEN_VARIABLE, read],
  ] as const) {
    if (!JWT.test(token))
      throw new TokenSetupError(`${name} is not a JWT (header.payload.signature)`);
  }
  return { write, read, source: `${WRITE_TOKEN_VARIABLE} and ${READ_TOKEN_VARIABLE}` };
}

/** Tokens minted with the development key in `dir` (never creates a key: the API would not know it). */
export async function mintTokens(
  dir: string,
  claims: { readonly issuer?: string | undefined; readonly audience?: string | undefined },
): Promise<SmokeTokens> {
  if (!existsSync(join(dir, PRIVATE_KEY_FILE))) {
    throw new TokenSetupError(
      `--key-dir: no ${PRIVATE_KEY_FILE} in ${dir}: create the key with npm run token -- --key-dir ${dir} and give the API its jwks.json`,
    );
  }
  const key = await loadOrCreateDevKey(dir);
  const common = {
    sub: "smoke",
    ttlSeconds: 900,
    issuer: claims.issuer,
    audience: claims.audience,
  };
  return {
    write: await signToken(key, { ...common, scopes: ["users:read", "users:write"] }),
    read: await signToken(key, { ...common, scopes: ["users:read"] }),
    source: `minted with the key in ${dir}`,
  };
}

/** The same token with its signature altered (its first character changed). */
export function tamperedSignature(token: string): string {
  const [header, payload, signature = ""] = token.split(".");
  const first = signature.charAt(0) === "A" ? "B" : "A";
  return `${header}.${payload}.${first}${signature.slice(1)}`;
}

/** The same claims in an unsigned token (`alg: none`, empty signature). */
export function unsignedCopy(token: string): string {
  const payload = token.split(".")[1] ?? "";
  const header = Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url");
  return `${header}.${payload}.`;
}
