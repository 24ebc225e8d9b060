/**
 * What a trusted key set may hold: asymmetric public signing keys only.
 * A symmetric key (`oct`) or any private member would turn a public file
 * into a secret, and an `oct` key is exactly what an HMAC confusion attack
 * needs; both are refused with the member named.
 */
import type { JSONWebKeySet } from "jose";

const ASYMMETRIC_KEY_TYPES = new Set(["RSA", "EC", "OKP"]);
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"] as const;

export type JwksCheck =
  | { readonly ok: true; readonly jwks: JSONWebKeySet }
  | { readonly ok: false; readonly problem: string };

export function checkPublicJwks(value: unknown): JwksCheck {
  if (
    typeof value !== "object" ||
    value === null ||
    !Array.isArray((value as { keys?: unknown }).keys)
  ) {
    return { ok: false, problem: 'must be a JSON Web Key Set: an object with a "keys" array' };
  }
  const keys = (value as { keys: unknown[] }).keys;
  if (keys.length === 0) return { ok: false, problem: "holds no key" };
  for (const [index, key] of keys.entries()) {
    if (typeof key !== "object" || key === null) {
      return { ok: false, problem: `keys[${index}] is not a JSON object` };
    }
    const { kty } = key as { kty?: unknown };
    if (typeof kty !== "string" || !ASYMMETRIC_KEY_TYPES.has(kty)) {
      return {
        ok: false,
        problem: `keys[${index}] has kty ${JSON.stringify(kty)}: only RSA, EC and OKP public keys are trusted`,
      };
    }
    const secret = PRIVATE_MEMBERS.find((member) => member in key);
    if (secret !== undefined) {
      return {
        ok: false,
        problem: `keys[${index}] has the private member "${secret}": publish public keys only`,
      };
    }
  }
  return { ok: true, jwks: value as JSONWebKeySet };
}
