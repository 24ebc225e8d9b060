/**
 * The JWKS the chart trusts: validated and reduced to public members before
 * it reaches a ConfigMap or Istio's RequestAuthentication. Pure: the caller
 * reads the file (charts/main.ts) and passes its parsed JSON in.
 *
 * A JWKS in a manifest is public by nature, so anything that is not a public
 * asymmetric key is refused rather than dropped: a private member (`d`, the
 * RSA CRT values, `oth`, a symmetric `k`) means the wrong file was given, and
 * a symmetric key would make the token's verifier a token minter.
 */
import { createPublicKey } from "node:crypto";

/** Members that only a private or symmetric key has (RFC 7518 section 6). */
export const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;

/** Asymmetric signing algorithms a key may declare (RFC 7518, RFC 8037). */
export const ASYMMETRIC_ALGORITHMS = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;

const CURVES: Readonly<Record<string, readonly string[]>> = {
  EC: ["P-256", "P-384", "P-521"],
  OKP: ["Ed25519"],
};
const REQUIRED: Readonly<Record<string, readonly string[]>> = {
  RSA: ["n", "e"],
  EC: ["crv", "x", "y"],
  OKP: ["crv", "x"],
};
/** The members kept, in this order, so the output is byte-for-byte stable. */
const PUBLIC_MEMBERS = ["kty", "kid", "use", "alg", "crv", "x", "y", "n", "e"] as const;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const MIN_RSA_BITS = 2048;

/** One public verification key, as kept. */
export type PublicJwk = Readonly<Partial<Record<(typeof PUBLIC_MEMBERS)[number], string>>> & {
  readonly kty: "RSA" | "EC" | "OKP";
  readonly kid: string;
};

/** A JSON Web Key Set of public verification keys (RFC 7517 section 5). */
export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

/** Outcome of `checkPublicJwks`: the kept keys, or every problem found. */
export type JwksCheck =
  | { readonly ok: true; readonly jwks: PublicJwks }
  | { readonly ok: false; readonly problems: readonly string[] };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

function keyProblems(key: unknown, at: string): string[] {
  if (!isObject(key)) return [`${at} must be a JSON object (a JWK)`];
  const held = PRIVATE_MEMBERS.filter((member) => member in key);
  if (key.kty === "oct") {
    return [
      `${at} is a symmetric key (kty "oct"): a shared secret verifies and signs alike and must never be published; give asymmetric public keys (RSA, EC, OKP)`,
    ];
  }
  if (held.length > 0) {
    return [
      `${at} holds the private member${held.length > 1 ? "s" : ""} ${held.map((m) => `"${m}"`).join(", ")}: give the public JWKS (e.g. jwks.json), never a private key`,
    ];
  }
  const kty = key.kty;
  if (typeof kty !== "string" || !(kty in REQUIRED)) {
    return [`${at} has kty ${JSON.stringify(kty)}: must be RSA, EC or OKP`];
  }
  const problems: string[] = [];
  if (typeof key.kid !== "string" || key.kid.trim() === "" || key.kid.length > 256) {
    problems.push(`${at} needs a kid (1-256 characters): tokens name their key by kid`);
  }
  if (key.use !== undefined && key.use !== "sig") {
    problems.push(`${at} has use ${JSON.stringify(key.use)}: must be "sig"`);
  }
  if (key.alg !== undefined && !(ASYMMETRIC_ALGORITHMS as readonly unknown[]).includes(key.alg)) {
    problems.push(
      `${at} has alg ${JSON.stringify(key.alg)}: must be an asymmetric signing algorithm (${ASYMMETRIC_ALGORITHMS.join(", ")})`,
    );
  }
  for (const member of REQUIRED[kty] ?? []) {
    const value = key[member];
    if (typeof value !== "string" || (member !== "crv" && !BASE64URL.test(value))) {
      problems.push(`${at} (kty ${kty}) needs "${member}" as a base64url string`);
    }
  }
  const curves = CURVES[kty];
  if (curves && typeof key.crv === "string" && !curves.includes(key.crv)) {
    problems.push(`${at} has crv ${JSON.stringify(key.crv)}: must be one of ${curves.join(", ")}`);
  }
  if (problems.length > 0) return problems;
  let bits: number | undefined;
  try {
    const imported = createPublicKey({ key: publicMembers(key) as never, format: "jwk" });
    bits = imported.asymmetricKeyDetails?.modulusLength;
  } catch (error) {
    return [`${at} is not a valid ${kty} public key (${(error as Error).message})`];
  }
  if (kty === "RSA" && (bits ?? 0) < MIN_RSA_BITS) {
    problems.push(`${at} is a ${bits}-bit RSA key: at least ${MIN_RSA_BITS} bits`);
  }
  return problems;
}

function publicMembers(key: Record<string, unknown>): PublicJwk {
  const kept: Record<string, string> = {};
  for (const member of PUBLIC_MEMBERS) {
    const value = key[member];
    if (typeof value === "string") kept[member] = value;
  }
  return kept as PublicJwk;
}

/**
 * Checks a parsed JWKS: at least one key, every key a public RSA (2048+
 * bits), EC (P-256/384/521) or OKP (Ed25519) signing key with a unique kid.
 * Keeps only the public members, in a fixed order.
 */
export function checkPublicJwks(value: unknown): JwksCheck {
  if (!isObject(value) || !Array.isArray(value.keys)) {
    // A bare JWK (a private.jwk.json given by mistake) lands here too: say what it holds.
    if (isObject(value) && typeof value.kty === "string") {
      const single = keyProblems(value, "the file");
      return {
        ok: false,
        problems: [
          `must be a JWKS ({"keys": [...]}), not a single JWK${single.length > 0 ? `; ${single.join("; ")}` : ""}`,
        ],
      };
    }
    return { ok: false, problems: ['must be a JWKS: a JSON object with a "keys" array'] };
  }
  if (value.keys.length === 0) {
    return { ok: false, problems: ['"keys" is empty: a JWKS needs at least one public key'] };
  }
  const problems = value.keys.flatMap((key, i) => keyProblems(key, `keys[${i}]`));
  const kids = value.keys.map((key) => (isObject(key) ? key.kid : undefined));
  const repeated = kids.filter((kid, i) => typeof kid === "string" && kids.indexOf(kid) !== i);
  for (const kid of new Set(repeated)) problems.push(`kid ${JSON.stringify(kid)} is repeated`);
  if (problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    jwks: { keys: value.keys.map((key) => publicMembers(key as Record<string, unknown>)) },
  };
}

/** The JWKS as one line of JSON (ConfigMap data and RequestAuthentication `jwks`). */
export function jwksJson(jwks: PublicJwks): string {
  return JSON.stringify({ keys: jwks.keys });
}
