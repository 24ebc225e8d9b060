import { createServer } from "node:http";
import { describe, expect, it } from "vitest";
import { applyServerLimits, serverLimitsFrom, serverOptions } from "./server-limits.js";

describe("server limits", () => {
  const env = { REQUEST_TIMEOUT_MS: 30_000, BODY_TIMEOUT_MS: 10_000, MAX_CONNECTIONS: 1024 };

  it("checks Node's timers often enough for the request timeout to hold", () => {
    expect(serverLimitsFrom(env).checkIntervalMs).toBe(1000);
    expect(serverLimitsFrom({ ...env, REQUEST_TIMEOUT_MS: 2000 }).checkIntervalMs).toBe(500);
    expect(serverLimitsFrom({ ...env, REQUEST_TIMEOUT_MS: 1000 }).checkIntervalMs).toBe(250);
  });

  it("configures a Node server: request timeout, timer interval and connection cap", () => {
    const limits = serverLimitsFrom({ ...env, REQUEST_TIMEOUT_MS: 4000, MAX_CONNECTIONS: 7 });
    const server = createServer(serverOptions(limits));
    applyServerLimits(server, limits);
    expect(server.requestTimeout).toBe(4000);
    // Without its own setting, Node's header timeout follows: min(60 s, request timeout).
    expect(server.headersTimeout).toBe(4000);
    expect(server.maxConnections).toBe(7);
  });
});
