import { describe, expect, it } from "vitest";
import { parseSmokeArgs, UsageError } from "./options.js";
import { TokenSetupError, tamperedSignature, tokensFromEnv, unsignedCopy } from "./tokens.js";

const token = [
  Buffer.from('{"alg":"ES256","kid":"k","typ":"JWT"}').toString("base64url"),
  Buffer.from('{"iss":"userapi-dev","aud":"userapi","scope":"users:read"}').toString("base64url"),
  "AbCdEf-_",
].join(".");

describe("forged tokens", () => {
  it("changes only the signature of a tampered token", () => {
    const tampered = tamperedSignature(token);
    expect(tampered).not.toBe(token);
    expect(tampered.split(".").slice(0, 2)).toEqual(token.split(".").slice(0, 2));
    expect(tampered.split(".")[2]).toBe("BbCdEf-_");
    expect(tamperedSignature("a.b.Bxyz").split(".")[2]).toBe("Axyz");
  });

  it("keeps the claims in an unsigned copy with alg none and no signature", () => {
    const [header, payload, signature] = unsignedCopy(token).split(".");
    expect(JSON.parse(Buffer.from(header ?? "", "base64url").toString())).toEqual({
      alg: "none",
      typ: "JWT",
    });
    expect(payload).toBe(token.split(".")[1]);
    expect(signature).toBe("");
  });
});

describe("tokensFromEnv", () => {
  it("is undefined without either variable (authentication not tested)", () => {
    expect(tokensFromEnv({})).toBeUndefined();
    expect(tokensFromEnv({ SMOKE_WRITE_TOKEN: " ", SMOKE_READ_TOKEN: "" })).toBeUndefined();
  });

  it("takes both tokens", () => {
    expect(tokensFromEnv({ SMOKE_WRITE_TOKEN: token, SMOKE_READ_TOKEN: `${token}x` })).toEqual({
      write: token,
      read: `${token}x`,
      source: "SMOKE_WRITE_TOKEN and SMOKE_READ_TOKEN",
    });
  });

  it("refuses one without the other, or a value that is no JWT, naming the variable", () => {
    expect(() => tokensFromEnv({ SMOKE_READ_TOKEN: token })).toThrow(
      new TokenSetupError(
        "SMOKE_WRITE_TOKEN is not set: give both SMOKE_WRITE_TOKEN (users:read users:write) and SMOKE_READ_TOKEN (users:read only)",
      ),
    );
    expect(() => tokensFromEnv({ SMOKE_WRITE_TOKEN: token, SMOKE_READ_TOKEN: "Bearer x" })).toThrow(
      /^SMOKE_READ_TOKEN is not a JWT/,
    );
  });
});

describe("parseSmokeArgs token flags", () => {
  it("reads --key-dir with --issuer and --audience", () => {
    expect(
      parseSmokeArgs([
        "--base-url",
        "http://x",
        "--key-dir",
        ".auth",
        "--issuer",
        "i",
        "--audience",
        "a",
      ]),
    ).toMatchObject({ keyDir: ".auth", issuer: "i", audience: "a" });
  });

  it("refuses --issuer or --audience without --key-dir", () => {
    expect(() => parseSmokeArgs(["--base-url", "http://x", "--issuer", "i"])).toThrow(
      new UsageError("--issuer: applies only to tokens minted with --key-dir"),
    );
    expect(() => parseSmokeArgs(["--base-url", "http://x", "--audience", "a"])).toThrow(UsageError);
  });
});
