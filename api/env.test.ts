import { describe, expect, it } from "vitest";
import { authConfigFrom } from "./auth/auth-env.js";
import { DEFAULT_HOST, DEFAULT_PORT, EnvError, parseEnv } from "./env.js";
import { DEFAULT_HEADERS_TIMEOUT_MS, DEFAULT_KEEP_ALIVE_TIMEOUT_MS } from "./lib/server-limits.js";

const AUTH_CLAIMS = { AUTH_ISSUER: "userapi-dev", AUTH_AUDIENCE: "userapi" } as const;

describe("parseEnv", () => {
  it("applies defaults to an empty environment", () => {
    expect(parseEnv({})).toEqual({
      PORT: DEFAULT_PORT,
      HOST: DEFAULT_HOST,
      LOG_LEVEL: "info",
      NODE_ENV: "development",
      SHUTDOWN_TIMEOUT_MS: 10_000,
      KEEP_ALIVE_TIMEOUT_MS: DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
      HEADERS_TIMEOUT_MS: DEFAULT_HEADERS_TIMEOUT_MS,
      REQUEST_TIMEOUT_MS: 30_000,
      BODY_TIMEOUT_MS: 10_000,
      MAX_CONNECTIONS: 1024,
      AUTH_DISABLED: false,
      AUTH_CLOCK_TOLERANCE_S: 30,
      AUTH_JWKS_TIMEOUT_MS: 2000,
      AUTH_JWKS_COOLDOWN_MS: 30_000,
    });
  });

  it("keeps idle connections longer than the usual 60 s proxy idle timeout by default", () => {
    expect(DEFAULT_KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThan(60_000);
    expect(DEFAULT_HEADERS_TIMEOUT_MS).toBeLessThan(DEFAULT_KEEP_ALIVE_TIMEOUT_MS);
  });

  it("parses every variable", () => {
    const env = parseEnv({
      PORT: "9090",
      HOST: "127.0.0.1",
      REDIS_URL: "rediss://user:pw@redis.example:6380/2",
      APP_VERSION: "v2",
      LOG_LEVEL: "debug",
      NODE_ENV: "production",
      SHUTDOWN_TIMEOUT_MS: "2500",
      KEEP_ALIVE_TIMEOUT_MS: "90000",
      HEADERS_TIMEOUT_MS: "5000",
      AUTH_JWKS_URL: "https://idp.example/.well-known/jwks.json",
      AUTH_ISSUER: "https://idp.example/",
      AUTH_AUDIENCE: "userapi",
      AUTH_CLOCK_TOLERANCE_S: "10",
      AUTH_JWKS_TIMEOUT_MS: "1500",
      AUTH_JWKS_COOLDOWN_MS: "60000",
    });
    expect(env).toMatchObject({
      PORT: 9090,
      APP_VERSION: "v2",
      SHUTDOWN_TIMEOUT_MS: 2500,
      KEEP_ALIVE_TIMEOUT_MS: 90_000,
      HEADERS_TIMEOUT_MS: 5000,
    });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it("treats empty strings as unset", () => {
    expect(parseEnv({ PORT: "", REDIS_URL: "" })).toMatchObject({ PORT: DEFAULT_PORT });
  });

  it.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "0" }, "PORT"],
    [{ PORT: "65536" }, "PORT"],
    [{ PORT: "80.5" }, "PORT"],
    [{ HOST: "exa mple" }, "HOST"],
    [{ REDIS_URL: "http://localhost:6379" }, "REDIS_URL"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL"],
    [{ APP_VERSION: "v 2" }, "APP_VERSION"],
    [{ APP_VERSION: "v2\r\nx-evil: 1" }, "APP_VERSION"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ SHUTDOWN_TIMEOUT_MS: "-1" }, "SHUTDOWN_TIMEOUT_MS"],
    [{ SHUTDOWN_TIMEOUT_MS: "600001" }, "SHUTDOWN_TIMEOUT_MS"],
    [{ KEEP_ALIVE_TIMEOUT_MS: "5s" }, "KEEP_ALIVE_TIMEOUT_MS"],
    [{ KEEP_ALIVE_TIMEOUT_MS: "999" }, "KEEP_ALIVE_TIMEOUT_MS"],
    [{ KEEP_ALIVE_TIMEOUT_MS: "3600001" }, "KEEP_ALIVE_TIMEOUT_MS"],
    [{ HEADERS_TIMEOUT_MS: "1.5" }, "HEADERS_TIMEOUT_MS"],
    [{ HEADERS_TIMEOUT_MS: "300001", KEEP_ALIVE_TIMEOUT_MS: "3600000" }, "HEADERS_TIMEOUT_MS"],
    [{ NODE_ENV: "production" }, "REDIS_URL"],
    [{ NODE_ENV: "production", REDIS_URL: "redis://r:6379" }, "AUTH_JWKS_URL"],
    [{ AUTH_JWKS_URL: "http://idp.example/jwks", ...AUTH_CLAIMS }, "AUTH_JWKS_URL"],
    [{ AUTH_JWKS_URL: "ftp://127.0.0.1/jwks", ...AUTH_CLAIMS }, "AUTH_JWKS_URL"],
    [{ AUTH_JWKS_URL: "https://u:p@idp.example/jwks", ...AUTH_CLAIMS }, "AUTH_JWKS_URL"],
    [{ AUTH_JWKS_URL: "jwks.json", ...AUTH_CLAIMS }, "AUTH_JWKS_URL"],
    [{ AUTH_JWKS_FILE: "/jwks.json", AUTH_AUDIENCE: "userapi" }, "AUTH_ISSUER"],
    [{ AUTH_JWKS_FILE: "/jwks.json", AUTH_ISSUER: "userapi-dev" }, "AUTH_AUDIENCE"],
    [{ AUTH_ISSUER: "userapi-dev", AUTH_AUDIENCE: "userapi" }, "AUTH_JWKS_URL"],
    [{ AUTH_AUDIENCE: "userapi" }, "AUTH_JWKS_URL"],
    [
      { AUTH_JWKS_FILE: "/a", AUTH_JWKS_URL: "https://idp.example/jwks", ...AUTH_CLAIMS },
      "AUTH_JWKS_FILE",
    ],
    [{ AUTH_DISABLED: "true", AUTH_JWKS_FILE: "/a", ...AUTH_CLAIMS }, "AUTH_JWKS_FILE"],
    [{ AUTH_DISABLED: "yes" }, "AUTH_DISABLED"],
    [{ AUTH_ISSUER: "user api", AUTH_AUDIENCE: "userapi", AUTH_JWKS_FILE: "/a" }, "AUTH_ISSUER"],
    [{ AUTH_CLOCK_TOLERANCE_S: "301" }, "AUTH_CLOCK_TOLERANCE_S"],
    [{ AUTH_CLOCK_TOLERANCE_S: "30s" }, "AUTH_CLOCK_TOLERANCE_S"],
    [{ AUTH_JWKS_TIMEOUT_MS: "50" }, "AUTH_JWKS_TIMEOUT_MS"],
    [{ AUTH_JWKS_COOLDOWN_MS: "10" }, "AUTH_JWKS_COOLDOWN_MS"],
    [{ REQUEST_TIMEOUT_MS: "999" }, "REQUEST_TIMEOUT_MS"],
    [{ REQUEST_TIMEOUT_MS: "30s" }, "REQUEST_TIMEOUT_MS"],
    [{ BODY_TIMEOUT_MS: "50" }, "BODY_TIMEOUT_MS"],
    [{ BODY_TIMEOUT_MS: "40000" }, "BODY_TIMEOUT_MS"],
    [{ MAX_CONNECTIONS: "0" }, "MAX_CONNECTIONS"],
    [{ MAX_CONNECTIONS: "-5" }, "MAX_CONNECTIONS"],
  ])("rejects %j naming %s", (source, variable) => {
    expect(() => parseEnv(source)).toThrow(EnvError);
    expect(() => parseEnv(source)).toThrow(new RegExp(`\\b${variable}\\b`));
  });

  it("lists every invalid variable at once", () => {
    try {
      parseEnv({ PORT: "x", LOG_LEVEL: "y" });
      expect.unreachable();
    } catch (error) {
      expect((error as EnvError).problems.map((p) => p.variable)).toEqual(["PORT", "LOG_LEVEL"]);
    }
  });

  it("refuses a header timeout the keep-alive timer would always cut short", () => {
    expect(() => parseEnv({ KEEP_ALIVE_TIMEOUT_MS: "10000", HEADERS_TIMEOUT_MS: "10000" })).toThrow(
      /HEADERS_TIMEOUT_MS must be less than KEEP_ALIVE_TIMEOUT_MS \(10000\)/,
    );
    expect(parseEnv({ KEEP_ALIVE_TIMEOUT_MS: "10001", HEADERS_TIMEOUT_MS: "10000" })).toMatchObject(
      {
        HEADERS_TIMEOUT_MS: 10_000,
      },
    );
  });

  it("keeps the body timeout within the request timeout", () => {
    const timeouts = { REQUEST_TIMEOUT_MS: "5000", HEADERS_TIMEOUT_MS: "5000" };
    expect(parseEnv({ ...timeouts, BODY_TIMEOUT_MS: "5000" })).toMatchObject({
      REQUEST_TIMEOUT_MS: 5000,
      BODY_TIMEOUT_MS: 5000,
    });
    expect(() => parseEnv({ ...timeouts, BODY_TIMEOUT_MS: "6000" })).toThrow(
      /BODY_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS/,
    );
  });

  it("keeps the header timeout within the request timeout (Node refuses to start otherwise)", () => {
    const timeouts = { REQUEST_TIMEOUT_MS: "5000", BODY_TIMEOUT_MS: "5000" };
    expect(parseEnv({ ...timeouts, HEADERS_TIMEOUT_MS: "5000" })).toMatchObject({
      HEADERS_TIMEOUT_MS: 5000,
    });
    expect(() => parseEnv({ ...timeouts, HEADERS_TIMEOUT_MS: "5001" })).toThrow(
      /HEADERS_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS \(5000\)/,
    );
  });

  it("explains why production needs REDIS_URL", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/REDIS_URL is required/);
  });

  it("explains what production needs for authentication, and the explicit way out", () => {
    const production = { NODE_ENV: "production", REDIS_URL: "redis://r:6379" };
    expect(() => parseEnv(production)).toThrow(
      /AUTH_JWKS_URL or AUTH_JWKS_FILE \(with AUTH_ISSUER and AUTH_AUDIENCE\) is required when NODE_ENV=production; set AUTH_DISABLED=true/,
    );
    expect(authConfigFrom(parseEnv({ ...production, AUTH_DISABLED: "true" }))).toEqual({
      mode: "off",
      reason: "disabled",
    });
  });

  it("turns authentication off without AUTH_* outside production", () => {
    expect(authConfigFrom(parseEnv({}))).toEqual({ mode: "off", reason: "unconfigured" });
  });

  it("selects the key source, issuer and audience", () => {
    expect(
      authConfigFrom(parseEnv({ AUTH_JWKS_FILE: "/etc/jwks/jwks.json", ...AUTH_CLAIMS })),
    ).toEqual({
      mode: "jwt",
      keySource: { kind: "file", path: "/etc/jwks/jwks.json" },
      issuer: "userapi-dev",
      audience: "userapi",
      clockToleranceSeconds: 30,
      jwksTimeoutMs: 2000,
      jwksCooldownMs: 30_000,
    });
    for (const url of [
      "http://127.0.0.1:9/jwks",
      "http://[::1]:9/jwks",
      "http://localhost:9/jwks",
    ]) {
      const config = authConfigFrom(parseEnv({ AUTH_JWKS_URL: url, ...AUTH_CLAIMS }));
      expect(config.mode === "jwt" && config.keySource).toEqual({ kind: "url", url: new URL(url) });
    }
  });

  it("names both variables when the key source is ambiguous", () => {
    expect(() =>
      parseEnv({ AUTH_JWKS_FILE: "/a", AUTH_JWKS_URL: "https://idp.example/jwks", ...AUTH_CLAIMS }),
    ).toThrow(/AUTH_JWKS_FILE cannot be set together with AUTH_JWKS_URL/);
  });
});
