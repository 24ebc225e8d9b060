import { describe, expect, it } from "vitest";
import { checkPublicJwks } from "./public-jwks.js";

const EC_PUBLIC = { kty: "EC", crv: "P-256", x: "x", y: "y", kid: "a" };

describe("checkPublicJwks", () => {
  it("accepts asymmetric public keys", () => {
    const jwks = {
      keys: [EC_PUBLIC, { kty: "RSA", n: "n", e: "AQAB" }, { kty: "OKP", crv: "Ed25519", x: "x" }],
    };
    expect(checkPublicJwks(jwks)).toEqual({ ok: true, jwks });
  });

  it.each([
    ["not an object", "[]", /must be a JSON Web Key Set/],
    ["no keys array", { keys: {} }, /must be a JSON Web Key Set/],
    ["an empty set", { keys: [] }, /holds no key/],
    ["a key that is not an object", { keys: [EC_PUBLIC, 3] }, /keys\[1\] is not a JSON object/],
    ["a symmetric key", { keys: [{ kty: "oct", k: "c2VjcmV0" }] }, /keys\[0\] has kty "oct"/],
    ["a key without kty", { keys: [{ x: "x" }] }, /keys\[0\] has kty undefined/],
    ["an EC private key", { keys: [{ ...EC_PUBLIC, d: "d" }] }, /private member "d"/],
    [
      "an RSA private part",
      { keys: [{ kty: "RSA", n: "n", e: "AQAB", qi: "q" }] },
      /private member "qi"/,
    ],
  ])("refuses %s", (_name, value, problem) => {
    const result = checkPublicJwks(value);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toMatch(problem);
  });
});
