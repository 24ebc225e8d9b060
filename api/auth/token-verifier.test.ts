import { createLocalJWKSet, exportJWK, generateKeyPair, type JWTVerifyGetKey, SignJWT } from "jose";
import { beforeAll, describe, expect, it } from "vitest";
import { KeySetUnavailableError } from "./key-set.js";
import { createTokenVerifier } from "./token-verifier.js";

const NOW = 1_800_000_000;
const at = (seconds: number) => () => new Date(seconds * 1000);

describe("createTokenVerifier", () => {
  let privateKey: CryptoKey;
  let getKey: JWTVerifyGetKey;
  const sign = (exp: number, extra: Record<string, unknown> = {}) =>
    new SignJWT({ scope: "users:read", ...extra })
      .setProtectedHeader({ alg: "ES256", kid: "k1" })
      .setIssuer("iss")
      .setAudience("aud")
      .setSubject("alice")
      .setExpirationTime(exp)
      .sign(privateKey);
  const verifier = (now: number, keys: JWTVerifyGetKey = getKey) =>
    createTokenVerifier({
      getKey: keys,
      issuer: "iss",
      audience: "aud",
      clockToleranceSeconds: 30,
      now: at(now),
    });

  beforeAll(async () => {
    const pair = await generateKeyPair("ES256");
    privateKey = pair.privateKey;
    getKey = createLocalJWKSet({
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: "k1", alg: "ES256" }],
    });
  });

  it("returns the subject and scopes of a valid token", async () => {
    expect(await verifier(NOW)(await sign(NOW + 60))).toEqual({
      ok: true,
      principal: { subject: "alice", scopes: new Set(["users:read"]) },
    });
  });

  it("accepts a token expired for less than the tolerance, refuses it at the tolerance", async () => {
    const token = await sign(NOW);
    expect((await verifier(NOW + 29)(token)).ok).toBe(true);
    expect(await verifier(NOW + 30)(token)).toEqual({
      ok: false,
      kind: "invalid",
      description: "the token has expired",
    });
  });

  it("refuses a scope claim that is not a string", async () => {
    expect(await verifier(NOW)(await sign(NOW + 60, { scope: ["users:read"] }))).toMatchObject({
      ok: false,
      description: expect.stringMatching(/scope claim/),
    });
  });

  it("refuses HS256 and none before asking for a key", async () => {
    let asked = 0;
    const counting: JWTVerifyGetKey = (header, token) => {
      asked++;
      return getKey(header, token);
    };
    const hs = await new SignJWT({})
      .setProtectedHeader({ alg: "HS256", kid: "k1" })
      .setExpirationTime(NOW + 60)
      .sign(new Uint8Array(32));
    expect(await verifier(NOW, counting)(hs)).toMatchObject({
      ok: false,
      description: expect.stringMatching(/algorithm/),
    });
    expect(asked).toBe(0);
  });

  it("reports unavailable keys as such, not as a bad token", async () => {
    const down: JWTVerifyGetKey = () => {
      throw new KeySetUnavailableError("down");
    };
    expect(await verifier(NOW, down)(await sign(NOW + 60))).toEqual({
      ok: false,
      kind: "unavailable",
      retryAfterSeconds: 1,
    });
  });
});
