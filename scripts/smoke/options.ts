/**
 * Command-line options of the smoke client, parsed with node:util and
 * validated with zod. Pure: takes argv, returns frozen options or throws.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

const count = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const SmokeOptionsSchema = z
  .object({
    baseUrl: z
      .url({ protocol: /^https?$/, error: "must be an http(s) URL, e.g. http://127.0.0.1:8080" })
      .transform((url) => url.replace(/\/+$/, "")),
    requests: count(1, 100_000).default(200),
    headerRequests: count(1, 10_000).default(20),
    v1Weight: count(0, 100).default(25),
    v2Weight: count(0, 100).default(75),
    waitSeconds: count(0, 3600).default(30),
    timeoutMs: count(100, 120_000).default(5000),
    host: z.string().min(1).optional(),
    mode: z
      .enum(["auto", "single", "split"], { error: "must be auto, single or split" })
      .default("auto"),
    keyDir: z.string().min(1).optional(),
    issuer: z.string().min(1).optional(),
    audience: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((options, ctx) => {
    if (options.v1Weight + options.v2Weight !== 100) {
      ctx.addIssue({
        code: "custom",
        path: ["v2Weight"],
        message: `--v1-weight and --v2-weight must add up to 100 (got ${options.v1Weight} + ${options.v2Weight})`,
      });
    }
  });

export type SmokeOptions = Readonly<z.output<typeof SmokeOptionsSchema>>;

/** Raised for bad command-line input; the message names the flag. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE = `Usage: npm run smoke -- --base-url URL [options]

  --base-url URL        API (or Istio ingress gateway) to test, e.g. http://127.0.0.1:8080
  --mode MODE           split: the v1/v2 canary (weights, x-version routing);
                        single: one server (npm start, Compose);
                        auto (default): split when a split flag below is given or the
                        API answers as v1 or v2 (x-app-version), single otherwise
  --requests N          requests without x-version (the split check; single: all 200)
  --v1-weight W         expected percentage answered by v1 (default 25)
  --v2-weight W         expected percentage answered by v2 (default 75)
  --header-requests N   requests with x-version: v1 and with v2, each (default 20)
  --wait-seconds S      keep retrying GET /health and GET /user?limit=1 this long (default 30)
  --timeout-ms MS       per-request timeout (default 5000)
  --host NAME           Host header to send (when the Gateway matches on host)
  --key-dir DIR         test authentication with tokens minted from the development key in
                        DIR (npm run token's folder, e.g. .auth); --issuer and --audience
                        set their iss and aud (default userapi-dev, userapi)
  --help                show this text

Authentication is tested when tokens are given: --key-dir, or the environment variables
SMOKE_WRITE_TOKEN (scopes users:read users:write) and SMOKE_READ_TOKEN (users:read only).
It then checks that /user refuses a request without a token (401 from the API; 403 from
the mesh in split mode), a tampered and an unsigned token (401), and a write with the
read-only token (403 insufficient_scope), and runs the CRUD round trip with the tokens.`;

const FLAG_TO_FIELD: Record<string, string> = {
  "base-url": "baseUrl",
  requests: "requests",
  "header-requests": "headerRequests",
  "v1-weight": "v1Weight",
  "v2-weight": "v2Weight",
  "wait-seconds": "waitSeconds",
  "timeout-ms": "timeoutMs",
  host: "host",
  mode: "mode",
  "key-dir": "keyDir",
  issuer: "issuer",
  audience: "audience",
};

/** Flags that only make sense for the v1/v2 split: giving one makes auto mean split. */
const SPLIT_FLAGS = ["v1-weight", "v2-weight", "header-requests"];
const FIELD_TO_FLAG = Object.fromEntries(
  Object.entries(FLAG_TO_FIELD).map(([flag, field]) => [field, `--${flag}`]),
);

/** `{ help: true }` for --help; otherwise the validated options. */
export function parseSmokeArgs(argv: readonly string[]): SmokeOptions | { help: true } {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        help: { type: "boolean" },
        ...Object.fromEntries(
          Object.keys(FLAG_TO_FIELD).map((flag) => [flag, { type: "string" as const }]),
        ),
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (parsed.values.help === true) return { help: true };

  const input: Record<string, unknown> = {};
  for (const [flag, field] of Object.entries(FLAG_TO_FIELD)) {
    const value = parsed.values[flag];
    if (value !== undefined) input[field] = value;
  }
  if (input.baseUrl === undefined) throw new UsageError("--base-url is required");
  const splitFlag = SPLIT_FLAGS.find((flag) => parsed.values[flag] !== undefined);
  if (splitFlag && input.mode === "single") {
    throw new UsageError(`--${splitFlag}: applies only to the v1/v2 split (--mode split)`);
  }
  if (splitFlag && input.mode === undefined) input.mode = "split";
  for (const flag of ["issuer", "audience"]) {
    if (parsed.values[flag] !== undefined && input.keyDir === undefined) {
      throw new UsageError(`--${flag}: applies only to tokens minted with --key-dir`);
    }
  }

  const result = SmokeOptionsSchema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = String(issue?.path[0] ?? "");
    throw new UsageError(`${FIELD_TO_FLAG[field] ?? field}: ${issue?.message ?? "invalid"}`);
  }
  return Object.freeze(result.data);
}
