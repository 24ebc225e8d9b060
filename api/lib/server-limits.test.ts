import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { applyServerLimits, serverLimitsFrom, serverOptions } from "./server-limits.js";

describe("server limits", () => {
  const env = {
    KEEP_ALIVE_TIMEOUT_MS: 65_000,
    HEADERS_TIMEOUT_MS: 10_000,
    REQUEST_TIMEOUT_MS: 30_000,
    BODY_TIMEOUT_MS: 10_000,
    MAX_CONNECTIONS: 1024,
  };

  it("checks Node's timers often enough for the shortest of the header and request timeouts", () => {
    expect(serverLimitsFrom(env).checkIntervalMs).toBe(1000);
    expect(
      serverLimitsFrom({ ...env, HEADERS_TIMEOUT_MS: 2000, REQUEST_TIMEOUT_MS: 2000 })
        .checkIntervalMs,
    ).toBe(500);
    expect(
      serverLimitsFrom({ ...env, HEADERS_TIMEOUT_MS: 1000, REQUEST_TIMEOUT_MS: 4000 })
        .checkIntervalMs,
    ).toBe(250);
  });

  it("configures a Node server: keep-alive, header and request timeouts, timer interval, connection cap", () => {
    const limits = serverLimitsFrom({
      ...env,
      KEEP_ALIVE_TIMEOUT_MS: 9000,
      HEADERS_TIMEOUT_MS: 3000,
      REQUEST_TIMEOUT_MS: 4000,
      MAX_CONNECTIONS: 7,
    });
    const server = createServer(serverOptions(limits));
    applyServerLimits(server, limits);
    expect(server.keepAliveTimeout).toBe(9000);
    expect(server.headersTimeout).toBe(3000);
    expect(server.requestTimeout).toBe(4000);
    expect(server.maxConnections).toBe(7);
  });
});
