/**
 * Bounds on slow and idle clients, from the environment: how long a whole
 * request may take to arrive (`REQUEST_TIMEOUT_MS`, Node's
 * `requestTimeout`, which also bounds connections that send nothing), how
 * long the app waits for a request body once it starts reading it
 * (`BODY_TIMEOUT_MS`, answered 408 by the app), and how many connections
 * the server holds at once (`MAX_CONNECTIONS`, Node drops the ones past it).
 * The header timeout and keep-alive idle timeout are configured beside
 * these (`HEADERS_TIMEOUT_MS`, `KEEP_ALIVE_TIMEOUT_MS`); Node requires the
 * header timeout not to exceed the request timeout.
 */
import type { Server, ServerOptions } from "node:http";
import { z } from "zod";

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_BODY_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CONNECTIONS = 1024;

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

const integer = (min: number, max: number, unit: string, fallback: number) => {
  const message = `must be an integer ${unit}from ${min} to ${max}`;
  return z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^\d{1,9}$/, message)
      .transform(Number)
      .refine((value) => value >= min && value <= max, message)
      .default(fallback),
  );
};

/** The variables, for `EnvSchema` in `env.ts`. */
export const SERVER_LIMITS_ENV = {
  REQUEST_TIMEOUT_MS: integer(
    1000,
    3_600_000,
    "number of milliseconds ",
    DEFAULT_REQUEST_TIMEOUT_MS,
  ),
  BODY_TIMEOUT_MS: integer(100, 3_600_000, "number of milliseconds ", DEFAULT_BODY_TIMEOUT_MS),
  MAX_CONNECTIONS: integer(1, 1_000_000, "", DEFAULT_MAX_CONNECTIONS),
};

type LimitsEnv = {
  readonly REQUEST_TIMEOUT_MS: number;
  readonly BODY_TIMEOUT_MS: number;
  readonly MAX_CONNECTIONS: number;
};

/** Cross-variable rule, for the env schema's `superRefine`. */
export function checkServerLimits(env: LimitsEnv, ctx: z.RefinementCtx): void {
  if (env.BODY_TIMEOUT_MS > env.REQUEST_TIMEOUT_MS) {
    ctx.addIssue({
      code: "custom",
      path: ["BODY_TIMEOUT_MS"],
      message: `must not exceed REQUEST_TIMEOUT_MS (${env.REQUEST_TIMEOUT_MS}): the whole request would time out first`,
    });
  }
}

export interface ServerLimits {
  readonly requestTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly maxConnections: number;
  /** How often Node checks its request and header timers: a timeout fires up to this late. */
  readonly checkIntervalMs: number;
}

export function serverLimitsFrom(env: LimitsEnv): ServerLimits {
  return {
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    bodyTimeoutMs: env.BODY_TIMEOUT_MS,
    maxConnections: env.MAX_CONNECTIONS,
    // Node's default is 30 s, which would let a 1 s timeout run 31 s.
    checkIntervalMs: Math.max(100, Math.min(1000, Math.floor(env.REQUEST_TIMEOUT_MS / 4))),
  };
}

/** The `createServer` options for the limits. */
export function serverOptions(limits: ServerLimits): ServerOptions {
  return {
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}

/** What can only be set on the created server. */
export function applyServerLimits(server: Server, limits: ServerLimits): void {
  server.maxConnections = limits.maxConnections;
}
