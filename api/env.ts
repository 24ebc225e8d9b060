/**
 * Environment contract of the API process. `parseEnv` is pure: it receives
 * the variables, returns a frozen typed object, or throws an `EnvError` whose
 * message names every offending variable.
 */
import { z } from "zod";

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "0.0.0.0";
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
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
/** Node's request timeout (requestTimeout), which headersTimeout may not exceed. */
export const NODE_REQUEST_TIMEOUT_MS = 300_000;

/** Header-safe version string: it is sent as `x-app-version` on every response. */
export const APP_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const emptyAsUnset = (value: unknown) => (value === "" ? undefined : value);

/** An integer number of milliseconds in [min, max], from a decimal string. */
const milliseconds = (min: number, max: number, fallback: number) => {
  const message = `must be an integer number of milliseconds from ${min} to ${max}`;
  return z.preprocess(
    emptyAsUnset,
    z
      .string()
      .regex(/^\d{1,9}$/, message)
      .transform(Number)
      .refine((ms) => ms >= min && ms <= max, message)
      .default(fallback),
  );
};

const EnvSchema = z
  .object({
    PORT: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^\d{1,5}$/, "must be an integer from 1 to 65535")
        .transform(Number)
        .refine((port) => port >= 1 && port <= 65_535, "must be an integer from 1 to 65535")
        .default(DEFAULT_PORT),
    ),
    HOST: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[A-Za-z0-9.:[\]-]{1,253}$/, "must be a hostname or an IP address")
        .default(DEFAULT_HOST),
    ),
    REDIS_URL: z.preprocess(
      emptyAsUnset,
      z
        .url({
          protocol: /^rediss?$/,
          error: "must be a redis:// or rediss:// URL, e.g. redis://localhost:6379",
        })
        .optional(),
    ),
    APP_VERSION: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(
          APP_VERSION_PATTERN,
          "must be 1-64 characters of letters, digits, '.', '_', '+' or '-', starting with a letter or digit",
        )
        .optional(),
    ),
    LOG_LEVEL: z.preprocess(
      emptyAsUnset,
      z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }).default("info"),
    ),
    NODE_ENV: z.preprocess(
      emptyAsUnset,
      z
        .enum(["development", "production", "test"], {
          error: "must be one of development, production, test",
        })
        .default("development"),
    ),
    SHUTDOWN_TIMEOUT_MS: milliseconds(0, 600_000, DEFAULT_SHUTDOWN_TIMEOUT_MS),
    KEEP_ALIVE_TIMEOUT_MS: milliseconds(1_000, 3_600_000, DEFAULT_KEEP_ALIVE_TIMEOUT_MS),
    HEADERS_TIMEOUT_MS: milliseconds(1_000, NODE_REQUEST_TIMEOUT_MS, DEFAULT_HEADERS_TIMEOUT_MS),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && env.REDIS_URL === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["REDIS_URL"],
        message:
          "is required when NODE_ENV=production (the in-memory store would lose every user on restart)",
      });
    }
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
  });

export type Env = Readonly<z.output<typeof EnvSchema>>;

/** Thrown by `parseEnv`; `message` has one line per invalid variable. */
export class EnvError extends Error {
  override readonly name = "EnvError";
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`invalid environment: ${problems.map((p) => `${p.variable} ${p.message}`).join("; ")}`);
  }
}

/** Parses the process environment (passed in, so tests need no process). */
export function parseEnv(source: Readonly<Record<string, string | undefined>>): Env {
  const result = EnvSchema.safeParse(source);
  if (!result.success) {
    throw new EnvError(
      result.error.issues.map((issue) => ({
        variable: String(issue.path[0] ?? "environment"),
        message: issue.message,
      })),
    );
  }
  return Object.freeze(result.data);
}
