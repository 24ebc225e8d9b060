import { describe, expect, it } from "vitest";
import { DEFAULT_HOST, DEFAULT_PORT, EnvError, parseEnv } from "./env.js";

describe("parseEnv", () => {
  it("applies defaults to an empty environment", () => {
    expect(parseEnv({})).toEqual({
      PORT: DEFAULT_PORT,
      HOST: DEFAULT_HOST,
      LOG_LEVEL: "info",
      NODE_ENV: "development",
      SHUTDOWN_TIMEOUT_MS: 10_000,
      REQUEST_TIMEOUT_MS: 30_000,
      BODY_TIMEOUT_MS: 10_000,
      MAX_CONNECTIONS: 1024,
    });
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
    });
    expect(env).toMatchObject({ PORT: 9090, APP_VERSION: "v2", SHUTDOWN_TIMEOUT_MS: 2500 });
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
    [{ NODE_ENV: "production" }, "REDIS_URL"],
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

  it("keeps the body timeout within the request timeout", () => {
    expect(parseEnv({ REQUEST_TIMEOUT_MS: "5000", BODY_TIMEOUT_MS: "5000" })).toMatchObject({
      REQUEST_TIMEOUT_MS: 5000,
      BODY_TIMEOUT_MS: 5000,
    });
    expect(() => parseEnv({ REQUEST_TIMEOUT_MS: "5000", BODY_TIMEOUT_MS: "6000" })).toThrow(
      /BODY_TIMEOUT_MS must not exceed REQUEST_TIMEOUT_MS/,
    );
  });

  it("explains why production needs REDIS_URL", () => {
    expect(() => parseEnv({ NODE_ENV: "production" })).toThrow(/REDIS_URL is required/);
  });
});
