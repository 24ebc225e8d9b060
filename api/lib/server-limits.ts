/**
 * Bounds on connections and slow clients, from the environment: how long an
 * idle keep-alive connection stays open (`KEEP_ALIVE_TIMEOUT_MS`), how long a
 * client has for a request's headers (`HEADERS_TIMEOUT_MS`) and for the whole
 * request (`REQUEST_TIMEOUT_MS`, Node's `requestTimeout`, which also bounds
 * connections that send nothing), how long the app waits for a request body
 * once it starts reading it (`BODY_TIMEOUT_MS`, answered 408 by the app), and
 * how many connections the server holds at once (`MAX_CONNECTIONS`, Node
 * drops the ones past it).
 */
import type { Server, ServerOptions } from "node:http";
import type { z } from "zod";
import { envInteger } from "./env-fields.js";

/**
 * Idle keep-alive connections are closed after this long. It must outlast
 * every idle timeout in front of the server (load balancers, Envoy's
 * connection pool; 60 s is common), or a proxy reuses a connection the
 * server is closing and the request fails (Node's own default is 5 s).
 */
export const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * Time a client has to send a request's headers, counted from the request's
 * first byte (also on a reused keep-alive connection: the idle time before
 * it does not count, measured on Node 20 in test/api-keepalive.test.ts).
 */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** The variables, for `EnvSchema` in `env.ts`. */
export const SERVER_LIMITS_ENV = {
  KEEP_ALIVE_TIMEOUT_MS: envInteger(
    1000,
    3_600_000,
    "number of milliseconds ",
    DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
  ),
  HEADERS_TIMEOUT_MS: envInteger(
    1000,
    3_600_000,
    "number of milliseconds ",
    DEFAULT_HEADERS_TIMEOUT_MS,
  ),
  REQUEST_TIMEOUT_MS: envInteger(
    1000,
    3_600_000,
    "number of milliseconds ",
    DEFAULT_REQUEST_TIMEOUT_MS,
  ),
  BODY_TIMEOUT_MS: envInteger(100, 3_600_000, "number of milliseconds ", DEFAULT_BODY_TIMEOUT_MS),
  MAX_CONNECTIONS: envInteger(1, 1_000_000, "", DEFAULT_MAX_CONNECTIONS),
};

type LimitsEnv = {
  readonly KEEP_ALIVE_TIMEOUT_MS: number;
  readonly HEADERS_TIMEOUT_MS: number;
  readonly REQUEST_TIMEOUT_MS: number;
  readonly BODY_TIMEOUT_MS: number;
  readonly MAX_CONNECTIONS: number;
};

/** Cross-variable rules, for the env schema's `superRefine`. */
export function checkServerLimits(env: LimitsEnv, ctx: z.RefinementCtx): void {
  // On a reused connection Node's keep-alive timer keeps running until a new
  // request's headers are complete: a header timeout at or above it would
  // never answer 408 there, the connection would just close.
  if (env.HEADERS_TIMEOUT_MS >= env.KEEP_ALIVE_TIMEOUT_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["HEADERS_TIMEOUT_MS"],
      message: `must be less than KEEP_ALIVE_TIMEOUT_MS (${env.KEEP_ALIVE_TIMEOUT_MS})`,
    });
  }
  // Node refuses to start with a header timeout above the request timeout.
  if (env.HEADERS_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["HEADERS_TIMEOUT_MS"],
      message: `must not exceed REQUEST_TIMEOUT_MS (${env.REQUEST_TIMEOUT_MS}): Node refuses to start otherwise`,
    });
  }
  if (env.BODY_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["BODY_TIMEOUT_MS"],
      message: `must not exceed REQUEST_TIMEOUT_MS (${env.REQUEST_TIMEOUT_MS}): the whole request would time out first`,
    });
  }
}

export interface ServerLimits {
  readonly keepAliveTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxConnections: number;
  /** How often Node checks its request and header timers: a timeout fires up to this late. */
  readonly checkIntervalMs: number;
}

export function serverLimitsFrom(env: LimitsEnv): ServerLimits {
  const shortest = Math.min(env.HEADERS_TIMEOUT_MS, env.REQUEST_TIMEOUT_MS);
  return {
    keepAliveTimeoutMs: env.KEEP_ALIVE_TIMEOUT_MS,
    headersTimeoutMs: env.HEADERS_TIMEOUT_MS,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    bodyTimeoutMs: env.BODY_TIMEOUT_MS,
    maxConnections: env.MAX_CONNECTIONS,
    // Node's default is 30 s, which would let a 1 s timeout run 31 s.
    checkIntervalMs: Math.max(100, Math.min(1000, Math.floor(shortest / 4))),
  };
}

/** The `createServer` options for the limits. */
export function serverOptions(limits: ServerLimits): ServerOptions {
  return {
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/** What can only be set on the created server. */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.maxConnections = limits.maxConnections;
}
