import { createPublicKey, generateKeyPairSync, type JsonWebKey } from "node:crypto";
import { describe, expect, it } from "vitest";
import { checkPublicJwks, jwksJson, PRIVATE_MEMBERS } from "./jwks.js";
import { derivePlaceholderJwks, PLACEHOLDER_KID, placeholderPoint } from "./placeholder-jwks.js";
import placeholder from "./placeholder-jwks.json" with { type: "json" };

/** A fresh key pair's JWKs (private and public), made in the test. */
function keyPair(type: "ec" | "rsa" | "ed25519", bits = 2048) {
  const pair =
    type === "ec"
      ? generateKeyPairSync("ec", { namedCurve: "P-256" })
      : type === "rsa"
        ? generateKeyPairSync("rsa", { modulusLength: bits })
        : generateKeyPairSync("ed25519");
  return {
    privateJwk: pair.privateKey.export({ format: "jwk" }) as JsonWebKey,
    publicJwk: pair.publicKey.export({ format: "jwk" }) as JsonWebKey,
  };
}

const problemsOf = (value: unknown): readonly string[] => {
  const checked = checkPublicJwks(value);
  return checked.ok ? [] : checked.problems;
};

describe("checkPublicJwks", () => {
  it("keeps public EC, RSA and Ed25519 keys, only their public members, in a fixed order", () => {
    const ec = keyPair("ec").publicJwk;
    const rsa = keyPair("rsa").publicJwk;
    const ed = keyPair("ed25519").publicJwk;
    const checked = checkPublicJwks({
      keys: [
        { x5c: ["MIIB..."], ...ec, kid: "ec-1", alg: "ES256", use: "sig" },
        { ...rsa, kid: "rsa-1", alg: "RS256" },
        { ...ed, kid: "ed-1", alg: "EdDSA" },
      ],
    });
    expect(checked.ok).toBe(true);
    if (!checked.ok) return;
    expect(Object.keys(checked.jwks.keys[0] ?? {})).toEqual([
      "kty",
      "kid",
      "use",
      "alg",
      "crv",
      "x",
      "y",
    ]);
    expect(checked.jwks.keys[1]).toEqual({ kty: "RSA", kid: "rsa-1", alg: "RS256", ...rsa });
    expect(checked.jwks.keys[2]?.crv).toBe("Ed25519");
    expect(JSON.parse(jwksJson(checked.jwks))).toEqual(checked.jwks);
  });

  it("refuses a JWKS holding a private key, naming the key and the member", () => {
    const { privateJwk } = keyPair("ec");
    expect(problemsOf({ keys: [{ ...privateJwk, kid: "k1" }] })).toEqual([
      'keys[0] holds the private member "d": give the public JWKS (e.g. jwks.json), never a private key',
    ]);
    const rsa = keyPair("rsa").privateJwk;
    expect(problemsOf({ keys: [keyPair("ec").publicJwk, { ...rsa, kid: "r" }] })).toEqual([
      expect.stringMatching(/^keys\[0\] needs a kid/),
      expect.stringMatching(
        /^keys\[1\] holds the private members "d", "p", "q", "dp", "dq", "qi": /,
      ),
    ]);
    // Every private member alone is enough.
    for (const member of PRIVATE_MEMBERS) {
      const key = { ...keyPair("ec").publicJwk, kid: "k", [member]: "AAAA" };
      expect(problemsOf({ keys: [key] }).join(), member).toContain(`"${member}"`);
    }
  });

  it("refuses a single private JWK given instead of a JWKS (private.jwk.json by mistake)", () => {
    const { privateJwk } = keyPair("ec");
    expect(problemsOf({ ...privateJwk, kid: "k" })).toEqual([
      expect.stringMatching(
        /^must be a JWKS \(\{"keys": \[\.\.\.\]\}\), not a single JWK; the file holds the private member "d"/,
      ),
    ]);
  });

  it("refuses symmetric keys and symmetric or missing algorithms", () => {
    expect(problemsOf({ keys: [{ kty: "oct", kid: "h", k: "c2VjcmV0" }] })).toEqual([
      expect.stringMatching(/^keys\[0\] is a symmetric key \(kty "oct"\)/),
    ]);
    const ec = { ...keyPair("ec").publicJwk, kid: "k" };
    for (const alg of ["HS256", "none", "RSA-OAEP"]) {
      expect(problemsOf({ keys: [{ ...ec, alg }] }), alg).toEqual([
        expect.stringMatching(new RegExp(`^keys\\[0\\] has alg "${alg}": must be an asymmetric`)),
      ]);
    }
    expect(problemsOf({ keys: [{ ...ec, use: "enc" }] })).toEqual([
      'keys[0] has use "enc": must be "sig"',
    ]);
  });

  it("refuses what is not a usable public key", () => {
    const ec = { ...keyPair("ec").publicJwk, kid: "k" };
    const cases: [unknown, RegExp][] = [
      [[], /^must be a JWKS: a JSON object with a "keys" array$/],
      [{ keys: [] }, /"keys" is empty/],
      [{ keys: ["x"] }, /^keys\[0\] must be a JSON object/],
      [{ keys: [{ kty: "DSA", kid: "d" }] }, /^keys\[0\] has kty "DSA": must be RSA, EC or OKP$/],
      [{ keys: [{ ...ec, crv: "secp256k1" }] }, /crv "secp256k1": must be one of P-256/],
      [{ keys: [{ ...ec, y: undefined }] }, /needs "y" as a base64url string/],
      [{ keys: [{ ...ec, x: ec.y }] }, /^keys\[0\] is not a valid EC public key/],
      [
        { keys: [{ ...keyPair("rsa", 1024).publicJwk, kid: "r" }] },
        /1024-bit RSA key: at least 2048/,
      ],
      [{ keys: [ec, { ...keyPair("ec").publicJwk, kid: "k" }] }, /^kid "k" is repeated$/],
    ];
    for (const [value, message] of cases) {
      expect(problemsOf(value), JSON.stringify(value).slice(0, 80)).toEqual([
        expect.stringMatching(message),
      ]);
    }
  });
});

describe("placeholder JWKS", () => {
  it("is the committed file, recomputed from its seed (a point whose private key nobody knows)", () => {
    expect(placeholder).toEqual(derivePlaceholderJwks());
    expect(placeholderPoint().counter).toBe(0);
    expect(placeholder.keys[0]?.kid).toBe(PLACEHOLDER_KID);
  });

  it("is a valid public P-256 key with nothing private, kept as is by the check", () => {
    const key = createPublicKey({ key: placeholder.keys[0] as JsonWebKey, format: "jwk" });
    expect(key.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    const checked = checkPublicJwks(placeholder);
    expect(checked.ok && checked.jwks).toEqual(placeholder);
  });
});
