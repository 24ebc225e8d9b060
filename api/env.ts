/**
 * Environment contract of the API process. `parseEnv` is pure: it receives
 * the variables, returns a frozen typed object, or throws an `EnvError` whose
 * message names every offending variable.
 */
import { z } from "zod";
import { AUTH_ENV, checkAuthEnv } from "./auth/auth-env.js";
import { emptyAsUnset } from "./lib/env-fields.js";
import { checkServerLimits, SERVER_LIMITS_ENV } from "./lib/server-limits.js";

export const DEFAULT_PORT = 8080;
export const DEFAULT_HOST = "0.0.0.0";
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;

/** Header-safe version string: it is sent as `x-app-version` on every response. */
export const APP_VERSION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

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
    SHUTDOWN_TIMEOUT_MS: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^\d{1,6}$/, "must be an integer number of milliseconds from 0 to 600000")
        .transform(Number)
        .refine((ms) => ms <= 600_000, "must be an integer number of milliseconds from 0 to 600000")
        .default(DEFAULT_SHUTDOWN_TIMEOUT_MS),
    ),
    ...SERVER_LIMITS_ENV,
    ...AUTH_ENV,
  })
  .superRefine((env, ctx) => {
    checkServerLimits(env, ctx);
    checkAuthEnv(env, ctx);
    if (env.NODE_ENV === "production" && env.REDIS_URL === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["REDIS_URL"],
        message:
          "is required when NODE_ENV=production (the in-memory store would lose every user on restart)",
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
