/**
 * Chart configuration: one typed object with defaults, validated before any
 * construct sees it. `loadChartConfig(env)` is pure (the environment is passed
 * in): it returns a frozen `ChartConfig` or throws a `ChartConfigError` whose
 * message names each offending variable, e.g. `USERAPI_V2_WEIGHT: ...`.
 */
import { z } from "zod";
import pkg from "../package.json" with { type: "json" };
import { checkPublicJwks, type PublicJwks } from "./lib/jwks.js";
import placeholderJwks from "./lib/placeholder-jwks.json" with { type: "json" };
import { parseCpuMillis, parseMemoryBytes } from "./lib/quantities.js";

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
const PULL_POLICIES = ["IfNotPresent", "Always", "Never"] as const;

/** Image repository without tag or digest: `[registry[:port]/]path`. */
const REPOSITORY =
  /^(?:[a-z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/;
/** Docker tag grammar. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Full image reference pinned by a tag (optionally plus a digest). */
const PINNED_IMAGE =
  /^(?:[a-z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(?:@sha256:[a-f0-9]{64})?$/;
/** Gateway host: `*`, a DNS name, or a `*.`-prefixed DNS name. */
const HOST =
  /^(?:\*|(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*)$/;
const CPU = /^(?:[1-9]\d{0,5}m|(?:0|[1-9]\d{0,2})\.\d{1,3}|[1-9]\d{0,2})$/;
const MEMORY = /^[1-9]\d{0,5}(?:Mi|Gi)$/;
const STORAGE = /^[1-9]\d{0,5}(?:Mi|Gi|Ti)$/;
/** DNS-1123 subdomain (StorageClass names). */
const STORAGE_CLASS = /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/;

const cpuQuantity = (message: string) =>
  z
    .string()
    .regex(CPU, message)
    .refine((q) => !CPU.test(q) || parseCpuMillis(q) > 0, message);

const ResourcesSchema = z
  .object({
    cpuRequest: cpuQuantity("must be a CPU quantity such as 100m or 0.5"),
    cpuLimit: cpuQuantity("must be a CPU quantity such as 500m or 1"),
    memoryRequest: z.string().regex(MEMORY, "must be a memory quantity in Mi or Gi, e.g. 128Mi"),
    memoryLimit: z.string().regex(MEMORY, "must be a memory quantity in Mi or Gi, e.g. 256Mi"),
  })
  .superRefine((r, ctx) => {
    if (CPU.test(r.cpuRequest) && CPU.test(r.cpuLimit)) {
      if (parseCpuMillis(r.cpuRequest) > parseCpuMillis(r.cpuLimit)) {
        ctx.addIssue({
          code: "custom",
          path: ["cpuRequest"],
          message: "must not exceed the CPU limit",
        });
      }
    }
    if (MEMORY.test(r.memoryRequest) && MEMORY.test(r.memoryLimit)) {
      if (parseMemoryBytes(r.memoryRequest) > parseMemoryBytes(r.memoryLimit)) {
        ctx.addIssue({
          code: "custom",
          path: ["memoryRequest"],
          message: "must not exceed the memory limit",
        });
      }
    }
  });

/**
 * Issuer and audience: printable, no spaces, and no `*`, which would turn
 * the AuthorizationPolicy's request principal `<issuer>/*` into a wildcard.
 */
const AUTH_NAME = /^[\x21-\x29\x2b-\x7e]{1,256}$/;

/** The auth block: what the API and Istio both check a token against. */
const AuthSchema = z.object({
  issuer: z
    .string()
    .regex(AUTH_NAME, { error: "must be 1-256 printable characters without spaces or '*'" }),
  audience: z
    .string()
    .regex(AUTH_NAME, { error: "must be 1-256 printable characters without spaces or '*'" }),
  jwks: z.unknown().transform((value, ctx): PublicJwks => {
    const checked = checkPublicJwks(value);
    if (checked.ok) return checked.jwks;
    for (const message of checked.problems) ctx.addIssue({ code: "custom", message });
    return z.NEVER;
  }),
});

/** Image tag: Docker's grammar, and a version rather than `latest`. */
const imageTag = z
  .string()
  .regex(TAG, { error: "must be an image tag (letters, digits, '_', '.', '-')" })
  .refine((tag) => tag !== "latest", { error: "must be a version, not latest" });

const imageRepository = z.string().regex(REPOSITORY, {
  error: "must be an image repository without tag, e.g. userapi or ghcr.io/acme/userapi",
});

// --- Per-track images (canary releases): each track may run its own build. ---
/** One track's image; an unset field falls back to the shared `image`/`tag`. */
const TrackImageSchema = z.object({
  image: imageRepository.optional(),
  tag: imageTag.optional(),
});
// --- end per-track images ---

const weight = z
  .int({ error: "must be an integer from 0 to 100" })
  .min(0, { error: "must be an integer from 0 to 100" })
  .max(100, { error: "must be an integer from 0 to 100" });

/** Schema of the whole chart configuration (typed values, not env strings). */
export const ChartConfigSchema = z
  .object({
    image: imageRepository,
    tag: imageTag,
    imagePullPolicy: z.enum(PULL_POLICIES, { error: `must be one of ${PULL_POLICIES.join(", ")}` }),
    replicas: z
      .int({ error: "must be an integer from 1 to 50" })
      .min(1, { error: "must be an integer from 1 to 50" })
      .max(50, { error: "must be an integer from 1 to 50" }),
    maxReplicas: z
      .int({ error: "must be an integer from 1 to 100" })
      .min(1, { error: "must be an integer from 1 to 100" })
      .max(100, { error: "must be an integer from 1 to 100" }),
    weights: z.object({ v1: weight, v2: weight }),
    tracks: z.object({ v1: TrackImageSchema, v2: TrackImageSchema }),
    hosts: z
      .array(z.string().regex(HOST, { error: "must be *, a DNS name or *.domain" }))
      .min(1, { error: "must list at least one host" }),
    logLevel: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(", ")}` }),
    apiResources: ResourcesSchema,
    redis: z.object({
      image: z
        .string()
        .regex(PINNED_IMAGE, { error: "must be an image pinned by tag, e.g. redis:7.4.7-alpine" })
        .refine((image) => !/:latest(?:@|$)/.test(image), {
          error: "must be a version, not latest",
        }),
      storageSize: z.string().regex(STORAGE, { error: "must be a size in Mi, Gi or Ti, e.g. 1Gi" }),
      storageClass: z
        .string()
        .regex(STORAGE_CLASS, { error: "must be a StorageClass name" })
        .optional(),
      resources: ResourcesSchema,
    }),
    outdir: z.string().min(1, { error: "must not be empty" }),
    auth: AuthSchema,
  })
  .superRefine((config, ctx) => {
    const { v1, v2 } = config.weights;
    if (Number.isInteger(v1) && Number.isInteger(v2) && v1 + v2 !== 100) {
      // Istio accepts any non-zero total; a sum of 100 is our rule so weights read as percentages.
      ctx.addIssue({
        code: "custom",
        path: ["weights", "v2"],
        message: `must sum to 100 with USERAPI_V1_WEIGHT (got ${v1} + ${v2} = ${v1 + v2})`,
      });
    }
    if (config.maxReplicas < config.replicas) {
      ctx.addIssue({
        code: "custom",
        path: ["maxReplicas"],
        message: `must be at least USERAPI_REPLICAS (${config.replicas})`,
      });
    }
    if (new Set(config.hosts).size !== config.hosts.length) {
      ctx.addIssue({ code: "custom", path: ["hosts"], message: "must not repeat a host" });
    }
  });

/** Validated chart configuration. */
export type ChartConfig = z.output<typeof ChartConfigSchema>;

/**
 * Defaults of every field. The API image is `userapi:<package.json version>`,
 * the name the README's steps build (`docker build -t userapi:<version> .`)
 * and load into kind (`kind load docker-image`): `kubectl apply -f dist`
 * runs what the reader just built. With IfNotPresent the node uses the
 * loaded image and never tries a registry.
 */
export const DEFAULTS: ChartConfig = Object.freeze({
  image: "userapi",
  tag: pkg.version,
  imagePullPolicy: "IfNotPresent",
  replicas: 2,
  maxReplicas: 6,
  weights: { v1: 25, v2: 75 },
  // Both tracks run the shared image unless USERAPI_V1_*/USERAPI_V2_* say otherwise.
  tracks: { v1: { image: undefined, tag: undefined }, v2: { image: undefined, tag: undefined } },
  hosts: ["*"],
  logLevel: "info",
  apiResources: {
    cpuRequest: "100m",
    cpuLimit: "500m",
    memoryRequest: "128Mi",
    memoryLimit: "256Mi",
  },
  redis: {
    // 7.4.6 fixed CVE-2025-49844 (Lua use-after-free; the app runs EVAL) and
    // CVE-2025-46817/46818/46819; 7.4.7 is the newest 7.4.
    image: "redis:7.4.7-alpine",
    storageSize: "1Gi",
    storageClass: undefined,
    resources: {
      cpuRequest: "100m",
      cpuLimit: "500m",
      memoryRequest: "128Mi",
      memoryLimit: "256Mi",
    },
  },
  outdir: "dist",
  auth: {
    issuer: "userapi-dev",
    audience: "userapi",
    // Without AUTH_JWKS_FILE: a public key nobody holds the private half of
    // (charts/lib/placeholder-jwks.ts), so the manifests trust no token at all.
    jwks: placeholderJwks as PublicJwks,
  },
});

type Env = Readonly<Record<string, string | undefined>>;

interface EnvField {
  /** Dotted path of the config field the variable sets. */
  readonly path: string;
  readonly parse: (raw: string) => unknown;
}

const text = (raw: string): unknown => raw.trim();
/** Empty means "unset" for optional fields (the cluster's default StorageClass). */
const optionalText = (raw: string): unknown => (raw.trim() === "" ? undefined : raw.trim());
/** Integers become numbers; anything else stays a string so the schema names it. */
const integer = (raw: string): unknown => (/^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw);
const list = (raw: string): unknown =>
  raw
    .split(",")
    .map((host) => host.trim())
    .filter((host) => host !== "");

/** Every environment variable of the chart config, with the field it sets. */
export const CHART_ENV: Readonly<Record<string, EnvField>> = Object.freeze({
  USERAPI_IMAGE: { path: "image", parse: text },
  USERAPI_TAG: { path: "tag", parse: text },
  USERAPI_IMAGE_PULL_POLICY: { path: "imagePullPolicy", parse: text },
  USERAPI_REPLICAS: { path: "replicas", parse: integer },
  USERAPI_MAX_REPLICAS: { path: "maxReplicas", parse: integer },
  USERAPI_V1_WEIGHT: { path: "weights.v1", parse: integer },
  USERAPI_V2_WEIGHT: { path: "weights.v2", parse: integer },
  USERAPI_V1_IMAGE: { path: "tracks.v1.image", parse: text },
  USERAPI_V1_TAG: { path: "tracks.v1.tag", parse: text },
  USERAPI_V2_IMAGE: { path: "tracks.v2.image", parse: text },
  USERAPI_V2_TAG: { path: "tracks.v2.tag", parse: text },
  USERAPI_HOSTS: { path: "hosts", parse: list },
  USERAPI_LOG_LEVEL: { path: "logLevel", parse: text },
  USERAPI_CPU_REQUEST: { path: "apiResources.cpuRequest", parse: text },
  USERAPI_CPU_LIMIT: { path: "apiResources.cpuLimit", parse: text },
  USERAPI_MEMORY_REQUEST: { path: "apiResources.memoryRequest", parse: text },
  USERAPI_MEMORY_LIMIT: { path: "apiResources.memoryLimit", parse: text },
  USERAPI_REDIS_IMAGE: { path: "redis.image", parse: text },
  USERAPI_REDIS_STORAGE_SIZE: { path: "redis.storageSize", parse: text },
  USERAPI_REDIS_STORAGE_CLASS: { path: "redis.storageClass", parse: optionalText },
  USERAPI_REDIS_CPU_REQUEST: { path: "redis.resources.cpuRequest", parse: text },
  USERAPI_REDIS_CPU_LIMIT: { path: "redis.resources.cpuLimit", parse: text },
  USERAPI_REDIS_MEMORY_REQUEST: { path: "redis.resources.memoryRequest", parse: text },
  USERAPI_REDIS_MEMORY_LIMIT: { path: "redis.resources.memoryLimit", parse: text },
  USERAPI_OUTDIR: { path: "outdir", parse: text },
  AUTH_ISSUER: { path: "auth.issuer", parse: text },
  AUTH_AUDIENCE: { path: "auth.audience", parse: text },
});

/** Variable naming the JWKS file read at synth (not in CHART_ENV: its value is a path, read by `files`). */
export const JWKS_FILE_VARIABLE = "AUTH_JWKS_FILE";

/** How `loadChartConfig` reads a file named by a variable (charts/main.ts passes the real one). */
export interface ConfigFiles {
  readText(path: string): string;
}

const NO_FILES: ConfigFiles = {
  readText: () => {
    throw new Error("no file reader given to loadChartConfig");
  },
};

/**
 * The image reference (`repository:tag`) one track runs: its own
 * USERAPI_V<n>_IMAGE/USERAPI_V<n>_TAG where set, else the shared
 * USERAPI_IMAGE/USERAPI_TAG, so a canary can run a new build on v2 alone.
 */
export function trackImage(config: ChartConfig, track: keyof ChartConfig["tracks"]): string {
  const own = config.tracks[track];
  return `${own.image ?? config.image}:${own.tag ?? config.tag}`;
}

/** Thrown by `loadChartConfig`; one line per invalid field, each naming its variable. */
export class ChartConfigError extends Error {
  override readonly name = "ChartConfigError";
  constructor(readonly problems: readonly { readonly field: string; readonly message: string }[]) {
    super(`invalid chart config:\n${problems.map((p) => `  ${p.field}: ${p.message}`).join("\n")}`);
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== "object" || child === null) throw new Error(`no config field ${path}`);
    node = child as Record<string, unknown>;
  }
  node[keys.at(-1) as string] = value;
}

const variableByPath = new Map([
  ...Object.entries(CHART_ENV).map(([name, f]) => [f.path, name] as const),
  ["auth.jwks", JWKS_FILE_VARIABLE] as const,
]);

/** The variable of a config path or of its closest parent that has one (hosts.1 → USERAPI_HOSTS). */
function variableOf(path: readonly PropertyKey[]): string | undefined {
  for (let end = path.length; end > 0; end--) {
    const variable = variableByPath.get(path.slice(0, end).join("."));
    if (variable !== undefined) return variable;
  }
  return undefined;
}

/** Validates a config object (e.g. DEFAULTS with overrides) and freezes it deeply. */
export function validateChartConfig(candidate: unknown, env: Env = {}): ChartConfig {
  const result = ChartConfigSchema.safeParse(candidate);
  if (!result.success) {
    throw new ChartConfigError(
      result.error.issues.map((issue) => {
        const path = issue.path.join(".");
        const variable = variableOf(issue.path);
        const raw = variable === undefined ? undefined : env[variable];
        const got = raw === undefined ? "" : ` (got ${JSON.stringify(raw)})`;
        return { field: variable ?? (path || "config"), message: `${issue.message}${got}` };
      }),
    );
  }
  return deepFreeze(result.data);
}

/**
 * Reads the chart config from environment variables (see CHART_ENV), over
 * DEFAULTS. An unset variable keeps the default; a set but empty one is a
 * value (so `USERAPI_IMAGE=` fails instead of silently deploying the
 * default), except USERAPI_REDIS_STORAGE_CLASS where empty means the
 * cluster's default class. `CDK8S_OUTDIR` (set by `cdk8s synth`) is the
 * fallback for `USERAPI_OUTDIR`. `AUTH_JWKS_FILE` names a JWKS file, read
 * with `files` (the only file access; without the variable nothing is read).
 */
export function loadChartConfig(env: Env, files: ConfigFiles = NO_FILES): ChartConfig {
  const candidate = structuredClone(DEFAULTS) as unknown as Record<string, unknown>;
  const cdk8sOutdir = env.CDK8S_OUTDIR?.trim();
  if (cdk8sOutdir) setPath(candidate, "outdir", cdk8sOutdir);
  for (const [name, field] of Object.entries(CHART_ENV)) {
    const raw = env[name];
    if (raw === undefined) continue;
    setPath(candidate, field.path, field.parse(raw));
  }
  const jwksFile = env[JWKS_FILE_VARIABLE];
  const early: { field: string; message: string }[] = [];
  if (jwksFile !== undefined) {
    const read = readJwksFile(jwksFile, files);
    if ("problem" in read) early.push({ field: JWKS_FILE_VARIABLE, message: read.problem });
    else setPath(candidate, "auth.jwks", read.json);
  }
  try {
    const config = validateChartConfig(candidate, env);
    if (early.length === 0) return config;
  } catch (error) {
    if (!(error instanceof ChartConfigError)) throw error;
    early.push(...error.problems);
  }
  throw new ChartConfigError(early);
}

function readJwksFile(path: string, files: ConfigFiles): { json: unknown } | { problem: string } {
  const named = JSON.stringify(path);
  if (path.trim() === "") return { problem: 'must be the path of a JWKS file (got "")' };
  let text: string;
  try {
    text = files.readText(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      problem: `cannot read ${named}${code ? ` (${code})` : ""}: must be a readable JWKS file`,
    };
  }
  try {
    return { json: JSON.parse(text) };
  } catch (error) {
    return { problem: `${named} is not JSON (${(error as Error).message})` };
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
