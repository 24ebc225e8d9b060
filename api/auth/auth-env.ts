/**
 * Authentication settings from the environment (SPEC "Authentication"):
 * where the JWKS comes from (`AUTH_JWKS_URL` or `AUTH_JWKS_FILE`), the
 * required issuer and audience, and the explicit opt-out `AUTH_DISABLED`.
 * `checkAuthEnv` holds the cross-variable rules for `EnvSchema`'s
 * superRefine; `authConfigFrom` turns the parsed variables into one
 * discriminated value, so nothing downstream re-decides the mode.
 */
import { isIP } from "node:net";
import { z } from "zod";
import { emptyAsUnset, envInteger } from "../lib/env-fields.js";

/** Accepted `exp`/`nbf` skew between the identity provider's clock and ours. */
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
/** Longest wait for the identity provider's JWKS; the request then gets 503. */
export const DEFAULT_JWKS_TIMEOUT_MS = 2000;
/** Least time between two key set refreshes caused by tokens with an unknown `kid`. */
export const DEFAULT_JWKS_COOLDOWN_MS = 30_000;

/** Loopback hosts, where plain http cannot be intercepted off the machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  if (host === "localhost" || host.endsWith(".localhost")) return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  return host === "::1";
}

const jwksUrl = z.preprocess(
  emptyAsUnset,
  z
    .url({ protocol: /^https?$/, error: "must be an https:// URL of a JWKS" })
    .refine((value) => {
      const url = URL.parse(value);
      return url === null || url.protocol === "https:" || isLoopbackHost(url.hostname);
    }, "must be an https:// URL (plain http only on loopback: 127.0.0.1, ::1, localhost)")
    .refine((value) => {
      const url = URL.parse(value);
      return url === null || (url.username === "" && url.password === "");
    }, "must not carry credentials")
    .optional(),
);

const claimValue = (what: string) =>
  z.preprocess(
    emptyAsUnset,
    z
      .string()
      .max(1024, `must be at most 1024 characters (the ${what} tokens must carry)`)
      .regex(/^\S+$/, `must be the exact ${what} tokens carry, without whitespace`)
      .optional(),
  );

/** The variables, for `EnvSchema` in `env.ts`. */
export const AUTH_ENV = {
  AUTH_JWKS_URL: jwksUrl,
  AUTH_JWKS_FILE: z.preprocess(
    emptyAsUnset,
    z.string().max(4096, "must be a file path of at most 4096 characters").optional(),
  ),
  AUTH_ISSUER: claimValue("`iss`"),
  AUTH_AUDIENCE: claimValue("`aud`"),
  AUTH_DISABLED: z.preprocess(
    emptyAsUnset,
    z
      .enum(["true", "false"], { error: "must be true or false" })
      .transform((value) => value === "true")
      .default(false),
  ),
  AUTH_CLOCK_TOLERANCE_S: envInteger(0, 300, "number of seconds ", DEFAULT_CLOCK_TOLERANCE_SECONDS),
  AUTH_JWKS_TIMEOUT_MS: envInteger(100, 30_000, "number of milliseconds ", DEFAULT_JWKS_TIMEOUT_MS),
  AUTH_JWKS_COOLDOWN_MS: envInteger(
    1000,
    3_600_000,
    "number of milliseconds ",
    DEFAULT_JWKS_COOLDOWN_MS,
  ),
};

type AuthVariables = z.output<z.ZodObject<typeof AUTH_ENV>> & { readonly NODE_ENV: string };

/** Cross-variable rules: a complete configuration, one key source, and no silent opt-out in production. */
export function checkAuthEnv(env: AuthVariables, ctx: z.RefinementCtx): void {
  const issue = (variable: string, message: string) =>
    ctx.addIssue({ code: "custom", path: [variable], message });
  const source = env.AUTH_JWKS_URL ?? env.AUTH_JWKS_FILE;
  if (env.AUTH_JWKS_URL !== undefined && env.AUTH_JWKS_FILE !== undefined) {
    issue("AUTH_JWKS_FILE", "cannot be set together with AUTH_JWKS_URL: choose one key source");
  }
  if (env.AUTH_DISABLED) {
    for (const name of [
      "AUTH_JWKS_URL",
      "AUTH_JWKS_FILE",
      "AUTH_ISSUER",
      "AUTH_AUDIENCE",
    ] as const) {
      if (env[name] !== undefined) {
        issue(name, "cannot be set together with AUTH_DISABLED=true: unset one of them");
      }
    }
    return;
  }
  if (source !== undefined) {
    for (const name of ["AUTH_ISSUER", "AUTH_AUDIENCE"] as const) {
      if (env[name] === undefined) {
        issue(name, "is required when AUTH_JWKS_URL or AUTH_JWKS_FILE is set");
      }
    }
    return;
  }
  if (env.AUTH_ISSUER !== undefined || env.AUTH_AUDIENCE !== undefined) {
    issue(
      "AUTH_JWKS_URL",
      "or AUTH_JWKS_FILE is required when AUTH_ISSUER or AUTH_AUDIENCE is set (the keys that sign the tokens)",
    );
    return;
  }
  if (env.NODE_ENV === "production") {
    issue(
      "AUTH_JWKS_URL",
      "or AUTH_JWKS_FILE (with AUTH_ISSUER and AUTH_AUDIENCE) is required when NODE_ENV=production; set AUTH_DISABLED=true to run without authentication, only behind a mesh that enforces it",
    );
  }
}

export type KeySource =
  | { readonly kind: "url"; readonly url: URL }
  | { readonly kind: "file"; readonly path: string };

export type AuthConfig =
  | {
      readonly mode: "jwt";
      readonly keySource: KeySource;
      readonly issuer: string;
      readonly audience: string;
      readonly clockToleranceSeconds: number;
      readonly jwksTimeoutMs: number;
      readonly jwksCooldownMs: number;
    }
  /** `unconfigured`: no AUTH_* outside production; `disabled`: AUTH_DISABLED=true. */
  | { readonly mode: "off"; readonly reason: "unconfigured" | "disabled" };

/** The mode the variables select; call only on variables `checkAuthEnv` accepted. */
export function authConfigFrom(env: Omit<AuthVariables, "NODE_ENV">): AuthConfig {
  if (env.AUTH_DISABLED) return { mode: "off", reason: "disabled" };
  const keySource: KeySource | undefined =
    env.AUTH_JWKS_URL !== undefined
      ? { kind: "url", url: new URL(env.AUTH_JWKS_URL) }
      : env.AUTH_JWKS_FILE !== undefined
        ? { kind: "file", path: env.AUTH_JWKS_FILE }
        : undefined;
  if (keySource === undefined || env.AUTH_ISSUER === undefined || env.AUTH_AUDIENCE === undefined) {
    return { mode: "off", reason: "unconfigured" };
  }
  return {
    mode: "jwt",
    keySource,
    issuer: env.AUTH_ISSUER,
    audience: env.AUTH_AUDIENCE,
    clockToleranceSeconds: env.AUTH_CLOCK_TOLERANCE_S,
    jwksTimeoutMs: env.AUTH_JWKS_TIMEOUT_MS,
    jwksCooldownMs: env.AUTH_JWKS_COOLDOWN_MS,
  };
}
