import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLocalJWKSet, jwtVerify } from "jose";
import { afterAll, describe, expect, it } from "vitest";
import { checkPublicJwks } from "../../api/auth/public-jwks.js";
import { REPO_ROOT } from "../../test/support/api-process.js";
import { loadOrCreateDevKey, signToken } from "./dev-key.js";
import { OptionsError, parseTokenOptions, parseTtl } from "./options.js";

const dir = mkdtempSync(join(tmpdir(), "userapi-token-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("development key", () => {
  it("is created once, private half 0600, and its JWKS is one public ES256 signing key", async () => {
    const keyDir = join(dir, "created");
    const first = await loadOrCreateDevKey(keyDir);
    const again = await loadOrCreateDevKey(keyDir);
    expect(again.kid).toBe(first.kid);
    expect(statSync(join(keyDir, "private.jwk.json")).mode & 0o777).toBe(0o600);
    const jwks = JSON.parse(readFileSync(first.jwksPath, "utf8"));
    expect(checkPublicJwks(jwks).ok).toBe(true);
    expect(jwks.keys).toEqual([
      expect.objectContaining({ kid: first.kid, alg: "ES256", use: "sig" }),
    ]);
  });

  it("signs tokens its JWKS verifies, with the given claims", async () => {
    const key = await loadOrCreateDevKey(join(dir, "signing"));
    const token = await signToken(key, {
      sub: "alice",
      scopes: ["users:read", "users:write"],
      ttlSeconds: 60,
    });
    const { payload, protectedHeader } = await jwtVerify(token, createLocalJWKSet(key.jwks), {
      issuer: "userapi-dev",
      audience: "userapi",
    });
    expect(protectedHeader).toMatchObject({ alg: "ES256", kid: key.kid });
    expect(payload).toMatchObject({ sub: "alice", scope: "users:read users:write" });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(60);
  });
});

describe("npm run token options", () => {
  it("reads repeated and space-separated scopes, a ttl and the key dir", () => {
    expect(
      parseTokenOptions(
        [
          "--sub",
          "bob",
          "--scope",
          "users:read users:write",
          "--scope",
          "users:read",
          "--ttl",
          "15m",
        ],
        {},
        "/d",
      ),
    ).toMatchObject({
      sub: "bob",
      scopes: ["users:read", "users:write"],
      ttlSeconds: 900,
      keyDir: "/d",
    });
    expect(parseTokenOptions([], { AUTH_KEY_DIR: "/env" }, "/d").keyDir).toBe("/env");
    expect(parseTokenOptions(["--key-dir", "/opt"], { AUTH_KEY_DIR: "/env" }, "/d").keyDir).toBe(
      "/opt",
    );
  });

  it.each([
    [["--ttl", "0"]],
    [["--ttl", "31d"]],
    [["--ttl", "1w"]],
    [["--sub", "a b"]],
    [["--scope", 'a"b']],
    [["--bogus"]],
    [["positional"]],
  ])("refuses %j", (argv) => {
    expect(() => parseTokenOptions(argv, {}, "/d")).toThrow(OptionsError);
  });

  it("parses ttl units", () => {
    expect([parseTtl("90"), parseTtl("90s"), parseTtl("2h"), parseTtl("1d")]).toEqual([
      90, 90, 7200, 86_400,
    ]);
  });

  it("prints only the token on stdout, and exits 2 with one line on a bad option", () => {
    const keyDir = join(dir, "cli");
    const token = execFileSync(
      process.execPath,
      ["--import", "tsx", "scripts/token/main.ts", "--key-dir", keyDir, "--scope", "users:read"],
      {
        cwd: REPO_ROOT,
        encoding: "utf8",
      },
    );
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    const bad = spawnSync(
      process.execPath,
      ["--import", "tsx", "scripts/token/main.ts", "--ttl", "x"],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe("");
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
  });
});
