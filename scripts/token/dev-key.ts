/**
 * The development signing key: an ES256 key pair in a git-ignored folder,
 * created on first use and reused after. `private.jwk.json` (mode 0600)
 * holds the private JWK; `jwks.json` next to it is the public JWKS to give
 * the API (`AUTH_JWKS_FILE`), the chart or Istio. Never use it in production:
 * anyone with the folder can mint any token.
 */
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JSONWebKeySet,
  type JWK,
  SignJWT,
} from "jose";

export const DEV_ALGORITHM = "ES256";
export const DEV_ISSUER = "userapi-dev";
export const DEV_AUDIENCE = "userapi";
export const PRIVATE_KEY_FILE = "private.jwk.json";
export const JWKS_FILE = "jwks.json";

export interface DevKey {
  readonly dir: string;
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly jwks: JSONWebKeySet;
  /** Path of the public JWKS, for AUTH_JWKS_FILE. */
  readonly jwksPath: string;
}

/** Writes through a temporary file and a rename, so a reader never sees half a file. */
function writeAtomically(path: string, content: string, mode: number): void {
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temporary, content, { mode });
  chmodSync(temporary, mode);
  renameSync(temporary, path);
}

const publicJwksOf = (privateJwk: JWK): JSONWebKeySet => {
  const { d: _d, ...publicJwk } = privateJwk;
  return { keys: [{ ...publicJwk, use: "sig", alg: DEV_ALGORITHM }] };
};

/** The key pair in `dir`, created (with the folder, mode 0700) when absent. */
export async function loadOrCreateDevKey(dir: string): Promise<DevKey> {
  const privatePath = join(dir, PRIVATE_KEY_FILE);
  const jwksPath = join(dir, JWKS_FILE);
  let privateJwk: JWK;
  if (existsSync(privatePath)) {
    privateJwk = JSON.parse(readFileSync(privatePath, "utf8")) as JWK;
    if (
      privateJwk.kty !== "EC" ||
      privateJwk.crv !== "P-256" ||
      privateJwk.d === undefined ||
      privateJwk.kid === undefined
    ) {
      throw new Error(
        `${privatePath} is not an ES256 private JWK with a kid; delete the folder to create a new key`,
      );
    }
  } else {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair(DEV_ALGORITHM, { extractable: true });
    const jwk = await exportJWK(privateKey);
    privateJwk = { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: DEV_ALGORITHM, use: "sig" };
    writeAtomically(privatePath, `${JSON.stringify(privateJwk, null, 2)}\n`, 0o600);
  }
  const jwks = publicJwksOf(privateJwk);
  const written = existsSync(jwksPath) ? readFileSync(jwksPath, "utf8") : "";
  const expected = `${JSON.stringify(jwks, null, 2)}\n`;
  if (written !== expected) writeAtomically(jwksPath, expected, 0o644);
  return { dir, kid: privateJwk.kid as string, privateJwk, jwks, jwksPath };
}

export interface TokenClaims {
  readonly sub?: string | undefined;
  /** Scopes, joined with spaces into the `scope` claim; none means no claim. */
  readonly scopes?: readonly string[];
  /** Lifetime in seconds. @default 3600 */
  readonly ttlSeconds?: number;
  /** @default "userapi-dev" */
  readonly issuer?: string;
  /** @default "userapi" */
  readonly audience?: string;
  /** Issue time in epoch seconds. @default now */
  readonly issuedAt?: number;
}

/** Signs a token with the development key. */
export async function signToken(
  key: Pick<DevKey, "privateJwk" | "kid">,
  claims: TokenClaims = {},
): Promise<string> {
  const now = claims.issuedAt ?? Math.floor(Date.now() / 1000);
  const scopes = claims.scopes ?? [];
  const jwt = new SignJWT(scopes.length === 0 ? {} : { scope: scopes.join(" ") })
    .setProtectedHeader({ alg: DEV_ALGORITHM, kid: key.kid, typ: "JWT" })
    .setIssuer(claims.issuer ?? DEV_ISSUER)
    .setAudience(claims.audience ?? DEV_AUDIENCE)
    .setIssuedAt(now)
    .setExpirationTime(now + (claims.ttlSeconds ?? 3600))
    .setJti(randomUUID());
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(await importJWK(key.privateJwk, DEV_ALGORITHM));
}
