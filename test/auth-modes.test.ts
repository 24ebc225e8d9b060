/**
 * How the server process starts with each authentication configuration
 * (SPEC "Authentication"): off with a warning outside production, refused
 * in production unless configured or explicitly disabled, refused with a
 * message naming the variable for a partial or contradictory configuration
 * and for a JWKS file that is unreadable or holds a private key.
 */
import { describe, expect, it } from "vitest";
import { startApi } from "./support/api-process.js";
import { createTestKey, fileAuthEnv, jwksFile } from "./support/auth.js";

/** Log lines leave the server buffered (every 200 ms): wait for the one expected. */
async function waitForWarning(lines: readonly string[], pattern: RegExp): Promise<void> {
  const deadline = performance.now() + 3000;
  while (performance.now() < deadline) {
    if (warnings(lines).some((l) => pattern.test(l.msg))) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const warnings = (lines: readonly string[]) =>
  lines
    .map((line) => JSON.parse(line) as { level: number; msg: string })
    .filter((l) => l.level === 40);

async function refusal(env: Record<string, string>): Promise<string> {
  const api = await startApi({ env, waitFor: null });
  const { code } = await api.exited;
  expect(code).toBe(1);
  return api.stderr();
}

describe("authentication modes at start", () => {
  it("runs without AUTH_* outside production, open, with one warning at start", async () => {
    const api = await startApi();
    try {
      await waitForWarning(api.lines, /authentication off/);
      const auth = warnings(api.lines).filter((l) => /authentication/.test(l.msg));
      expect(auth).toHaveLength(1);
      expect(auth[0]?.msg).toMatch(/authentication off: no AUTH_\* variable is set/);
      expect((await fetch(`${api.baseUrl}/user`)).status).toBe(200);
    } finally {
      await api.stop();
    }
  });

  it("runs in production with AUTH_DISABLED=true, with a warning", async () => {
    const api = await startApi({
      env: { NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:1", AUTH_DISABLED: "true" },
    });
    try {
      await waitForWarning(api.lines, /authentication disabled/);
      expect(warnings(api.lines).map((l) => l.msg)).toContainEqual(
        expect.stringMatching(/authentication disabled \(AUTH_DISABLED=true\)/),
      );
    } finally {
      await api.stop();
    }
  });

  it("refuses to start in production without authentication, naming the variables", async () => {
    const stderr = await refusal({ NODE_ENV: "production", REDIS_URL: "redis://127.0.0.1:1" });
    expect(stderr).toMatch(
      /AUTH_JWKS_URL or AUTH_JWKS_FILE \(with AUTH_ISSUER and AUTH_AUDIENCE\) is required when NODE_ENV=production; set AUTH_DISABLED=true/,
    );
  });

  // Every rule is tested in api/env.test.ts; this proves the process applies them.
  it("refuses a partial configuration with the zod message naming the variable", async () => {
    expect(
      await refusal({
        AUTH_JWKS_URL: "http://idp.example/jwks",
        AUTH_ISSUER: "i",
        AUTH_AUDIENCE: "a",
      }),
    ).toMatch(/AUTH_JWKS_URL must be an https:\/\/ URL \(plain http only on loopback/);
  });

  it("refuses a JWKS file that is missing or holds a private key", async () => {
    expect(await refusal(fileAuthEnv("/nonexistent/jwks.json"))).toMatch(
      /AUTH_JWKS_FILE cannot read \/nonexistent\/jwks.json: ENOENT/,
    );
    // The other refusals (not JSON, no key, symmetric key) are unit-tested in api/auth/public-jwks.test.ts.
    const key = await createTestKey("ES256");
    const bad = jwksFile({ keys: [{ ...key.publicJwk, d: "secret" }] });
    try {
      expect(await refusal(fileAuthEnv(bad.path))).toMatch(
        /AUTH_JWKS_FILE .*jwks.json keys\[0\] has the private member "d": publish public keys only/,
      );
    } finally {
      bad.remove();
    }
  });
});
