/** `npm run token` options (pure: parsed from argv and env, errors name the option). */
import { parseArgs } from "node:util";
import { z } from "zod";
import { DEV_AUDIENCE, DEV_ISSUER } from "./dev-key.js";

export const USAGE = `usage: npm run -s token -- [--sub <subject>] [--scope <scope>]... [--ttl <seconds|15m|1h|1d>]
                     [--key-dir <dir>] [--issuer <iss>] [--audience <aud>]
Prints a JWT signed by the development key (ES256), and nothing else, on stdout.
The key is created on first use in --key-dir (default $AUTH_KEY_DIR, else .auth/ at the repo root),
with its public JWKS next to it (jwks.json, for AUTH_JWKS_FILE).
  --scope   repeatable and/or space-separated, e.g. --scope 'users:read users:write'
  --ttl     lifetime, default 1h
  --issuer  default ${DEV_ISSUER}; --audience default ${DEV_AUDIENCE}`;

export class OptionsError extends Error {
  override readonly name = "OptionsError";
}

const TTL = /^(\d{1,7})([smhd]?)$/;
const UNIT_SECONDS: Record<string, number> = { "": 1, s: 1, m: 60, h: 3600, d: 86_400 };

/** `90`, `90s`, `15m`, `1h`, `1d` → seconds (1 s to 30 days). */
export function parseTtl(value: string): number {
  const match = TTL.exec(value);
  const seconds =
    match === null ? Number.NaN : Number(match[1]) * (UNIT_SECONDS[match[2] ?? ""] ?? 1);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 30 * 86_400) {
    throw new OptionsError(
      `--ttl must be seconds or a number with s, m, h or d, from 1s to 30d (got '${value}')`,
    );
  }
  return seconds;
}

const claimString = (option: string) =>
  z.string().regex(/^\S{1,1024}$/, `${option} must be 1-1024 characters without whitespace`);

export interface TokenOptions {
  readonly help: boolean;
  readonly sub: string | undefined;
  readonly scopes: readonly string[];
  readonly ttlSeconds: number;
  readonly keyDir: string;
  readonly issuer: string;
  readonly audience: string;
}

export function parseTokenOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  defaultKeyDir: string,
): TokenOptions {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        sub: { type: "string" },
        scope: { type: "string", multiple: true },
        ttl: { type: "string" },
        "key-dir": { type: "string" },
        issuer: { type: "string" },
        audience: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new OptionsError((error as Error).message.split("\n")[0] ?? "invalid options");
  }
  const check = (schema: z.ZodType<string>, value: string) => {
    const result = schema.safeParse(value);
    if (!result.success) throw new OptionsError(result.error.issues[0]?.message ?? "invalid");
    return result.data;
  };
  const scopes = ((values.scope as string[] | undefined) ?? [])
    .flatMap((s) => s.split(/\s+/))
    .filter((s) => s !== "");
  for (const scope of scopes) {
    check(
      z
        .string()
        .regex(
          /^[\x21\x23-\x5B\x5D-\x7E]+$/,
          `--scope '${scope}' is not a valid scope token (RFC 6749 §3.3)`,
        ),
      scope,
    );
  }
  const sub = values.sub as string | undefined;
  const keyDir =
    (values["key-dir"] as string | undefined) ?? (env.AUTH_KEY_DIR || undefined) ?? defaultKeyDir;
  if (keyDir === "") throw new OptionsError("--key-dir must not be empty");
  return {
    help: values.help === true,
    sub: sub === undefined ? undefined : check(claimString("--sub"), sub),
    scopes: [...new Set(scopes)],
    ttlSeconds: parseTtl((values.ttl as string | undefined) ?? "1h"),
    keyDir,
    issuer: check(claimString("--issuer"), (values.issuer as string | undefined) ?? DEV_ISSUER),
    audience: check(
      claimString("--audience"),
      (values.audience as string | undefined) ?? DEV_AUDIENCE,
    ),
  };
}
