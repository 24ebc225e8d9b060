/**
 * Real keys and tokens for authentication tests: key pairs generated in the
 * test (ES256, RS256, EdDSA), their JWKS written to a temporary file or
 * served by a loopback JWKS server the test controls, and tokens signed
 * with them (or forged: `alg: none`, HS256 with the public key).
 */
import { createHmac, randomUUID } from "node:crypto";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  SignJWT,
} from "jose";

export const TEST_ISSUER = "https://idp.test/";
export const TEST_AUDIENCE = "userapi";

export type TestAlgorithm = "ES256" | "RS256" | "EdDSA";

export interface TestKey {
  readonly alg: TestAlgorithm;
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** The public key in PEM (SPKI), what a confused verifier would use as an HMAC secret. */
  readonly publicPem: string;
}

export async function createTestKey(
  alg: TestAlgorithm,
  kid = `${alg}-${randomUUID()}`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return {
    alg,
    kid,
    privateKey,
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" },
    publicPem: await exportSPKI(publicKey),
  };
}

export const jwksOf = (...keys: readonly TestKey[]): JSONWebKeySet => ({
  keys: keys.map((key) => key.publicJwk),
});

export interface Claims {
  readonly sub?: string;
  readonly scope?: string;
  /** Seconds from now; undefined omits `exp`. @default 300 */
  readonly expiresIn?: number | null;
  /** Seconds from now. */
  readonly notBefore?: number;
  readonly iss?: string;
  readonly aud?: string;
  /** Overrides the header's `kid`. */
  readonly kid?: string;
  readonly extra?: JWTPayload;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** A token signed with `key`; defaults make it valid for the test issuer and audience. */
export async function mint(key: TestKey, claims: Claims = {}): Promise<string> {
  const now = nowSeconds();
  const jwt = new SignJWT({
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
    ...claims.extra,
  })
    .setProtectedHeader({ alg: key.alg, kid: claims.kid ?? key.kid, typ: "JWT" })
    .setIssuer(claims.iss ?? TEST_ISSUER)
    .setAudience(claims.aud ?? TEST_AUDIENCE)
    .setIssuedAt(now);
  const expiresIn = claims.expiresIn === undefined ? 300 : claims.expiresIn;
  if (expiresIn !== null) jwt.setExpirationTime(now + expiresIn);
  if (claims.notBefore !== undefined) jwt.setNotBefore(now + claims.notBefore);
  if (claims.sub !== undefined) jwt.setSubject(claims.sub);
  return jwt.sign(key.privateKey);
}

const base64url = (value: string | Buffer) => Buffer.from(value).toString("base64url");

function validPayload(claims: Claims): JWTPayload {
  const now = nowSeconds();
  return {
    iss: TEST_ISSUER,
    aud: TEST_AUDIENCE,
    iat: now,
    exp: now + 300,
    ...(claims.sub === undefined ? {} : { sub: claims.sub }),
    ...(claims.scope === undefined ? {} : { scope: claims.scope }),
  };
}

/** An unsecured JWT (`alg: none`, empty signature), otherwise valid. */
export function unsecuredToken(claims: Claims = {}): string {
  return `${base64url(JSON.stringify({ alg: "none", typ: "JWT" }))}.${base64url(JSON.stringify(validPayload(claims)))}.`;
}

/** The classic confusion attack: HS256 with the server's public key bytes as the HMAC secret. */
export function hmacWithPublicKey(key: TestKey, secret: string, claims: Claims = {}): string {
  const input = `${base64url(JSON.stringify({ alg: "HS256", typ: "JWT", kid: key.kid }))}.${base64url(JSON.stringify(validPayload(claims)))}`;
  return `${input}.${createHmac("sha256", secret).update(input).digest("base64url")}`;
}

/** A temporary folder with a JWKS file; `write` replaces it atomically, as a ConfigMap update does. */
export function jwksFile(initial: JSONWebKeySet) {
  const dir = mkdtempSync(join(tmpdir(), "userapi-jwks-"));
  const path = join(dir, "jwks.json");
  const write = (jwks: unknown) => {
    const temporary = `${path}.${randomUUID()}`;
    writeFileSync(temporary, typeof jwks === "string" ? jwks : JSON.stringify(jwks));
    renameSync(temporary, path);
  };
  write(initial);
  return { dir, path, write, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export type JwksServerMode =
  | { readonly kind: "ok"; readonly jwks: JSONWebKeySet }
  | { readonly kind: "down" }
  | { readonly kind: "slow"; readonly delayMs: number; readonly jwks: JSONWebKeySet }
  | { readonly kind: "garbage" }
  | { readonly kind: "status"; readonly status: number };

/** An identity provider's JWKS endpoint on loopback whose behaviour the test switches. */
export interface JwksServer {
  readonly url: string;
  /** Requests received so far. */
  hits(): number;
  set(mode: JwksServerMode): void;
  close(): Promise<void>;
}

export async function startJwksServer(mode: JwksServerMode): Promise<JwksServer> {
  let current = mode;
  let hits = 0;
  const server: Server = createServer((request, response) => {
    hits++;
    const answer = current;
    switch (answer.kind) {
      case "down":
        // As close to a dead provider as one listening socket gets: the connection is reset.
        request.socket.destroy();
        return;
      case "garbage":
        response.writeHead(200, { "content-type": "application/json" }).end("<html>not json");
        return;
      case "status":
        response.writeHead(answer.status).end();
        return;
      case "slow": {
        const timer = setTimeout(() => {
          if (!response.destroyed) {
            response
              .writeHead(200, { "content-type": "application/json" })
              .end(JSON.stringify(answer.jwks));
          }
        }, answer.delayMs);
        response.on("close", () => clearTimeout(timer));
        return;
      }
      case "ok":
        response
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify(answer.jwks));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    hits: () => hits,
    set: (next) => {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The environment that turns authentication on with a JWKS file. */
export const fileAuthEnv = (path: string, extra: Record<string, string> = {}) => ({
  AUTH_JWKS_FILE: path,
  AUTH_ISSUER: TEST_ISSUER,
  AUTH_AUDIENCE: TEST_AUDIENCE,
  ...extra,
});
