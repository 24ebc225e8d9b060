/**
 * The placeholder JWKS that the committed dist/ trusts when synth runs
 * without AUTH_JWKS_FILE: a P-256 public key whose private half nobody
 * knows, so the committed manifests accept no token at all until they are
 * synthesized with a real JWKS.
 *
 * "Nobody knows" is checkable rather than a promise: the key was not made
 * by generating a key pair and throwing the private half away. Its x
 * coordinate is the SHA-256 of a fixed sentence (with a counter bumped until
 * the value is a point of the curve), and y follows from x. Finding the
 * private key for such a point means solving a discrete logarithm on P-256.
 * `derivePlaceholderJwks()` recomputes it; a test checks that
 * placeholder-jwks.json is exactly its output. To rewrite the file:
 *
 *   npx tsx -e 'import("./charts/lib/placeholder-jwks.ts").then((m) => console.log(JSON.stringify(m.derivePlaceholderJwks(), null, 2)))' > charts/lib/placeholder-jwks.json
 */
import { createHash } from "node:crypto";
import type { PublicJwks } from "./jwks.js";

/** The sentence hashed into the x coordinate (with ` #<counter>` appended). */
export const PLACEHOLDER_SEED =
  "userapi placeholder JWKS: a P-256 point derived from this sentence, whose private key nobody knows";
/** The kid of the placeholder key: tokens naming it cannot exist. */
export const PLACEHOLDER_KID = "userapi-placeholder-no-private-key";

// NIST P-256 (SEC 2 secp256r1): y^2 = x^3 - 3x + b over GF(p).
const P = 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn;
const B = 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn;

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function power(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exponent;
  while (e > 0n) {
    if (e & 1n) result = mod(result * b);
    b = mod(b * b);
    e >>= 1n;
  }
  return result;
}

function base64url(value: bigint): string {
  return Buffer.from(value.toString(16).padStart(64, "0"), "hex").toString("base64url");
}

/** The first point (x from the seed's hash, even y) on P-256, and the counter that gave it. */
export function placeholderPoint(): { x: bigint; y: bigint; counter: number } {
  for (let counter = 0; ; counter++) {
    const digest = createHash("sha256").update(`${PLACEHOLDER_SEED} #${counter}`).digest("hex");
    const x = mod(BigInt(`0x${digest}`));
    const rhs = mod(x * x * x - 3n * x + B);
    // p = 3 (mod 4): a square root of rhs, if one exists, is rhs^((p+1)/4).
    const root = power(rhs, (P + 1n) / 4n);
    if (mod(root * root) !== rhs) continue;
    return { x, y: root % 2n === 0n ? root : P - root, counter };
  }
}

/** The placeholder JWKS, recomputed from PLACEHOLDER_SEED. */
export function derivePlaceholderJwks(): PublicJwks {
  const { x, y } = placeholderPoint();
  return {
    keys: [
      {
        kty: "EC",
        kid: PLACEHOLDER_KID,
        use: "sig",
        alg: "ES256",
        crv: "P-256",
        x: base64url(x),
        y: base64url(y),
      },
    ],
  };
}
