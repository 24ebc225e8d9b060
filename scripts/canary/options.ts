/**
 * Command-line options of the canary driver (`npm run canary`), parsed with
 * node:util and validated with zod. Pure: argv and env in, frozen options
 * out, or a UsageError whose message names the flag.
 */
import { parseArgs } from "node:util";
import { z } from "zod";

/** Exit codes of `npm run canary` (documented in the README and in USAGE). */
export const EXIT = Object.freeze({
  /** v2 passed every step and carries 100 % of the traffic. */
  promoted: 0,
  /** v2 was outside the bounds: all traffic is back on v1. */
  rolledBack: 1,
  /** Bad command line, or --load's target does not serve user requests: nothing was changed. */
  usage: 2,
  /** Too many inconclusive intervals (too few requests): all traffic is back on v1. */
  inconclusive: 3,
  /** Prometheus unreachable or answering errors, or a weight change failed: all traffic is back on v1. */
  analysisFailed: 4,
  /** Interrupted (SIGINT/SIGTERM): all traffic is back on v1. */
  interrupted: 5,
  /** Putting the traffic back on v1 failed: check the weights by hand (README "Canary releases"). */
  rollbackFailed: 6,
});

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000 };

/** Milliseconds in `500ms`, `3s`, `1.5m`; undefined for anything else. */
export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text.trim());
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return Number(match[1]) * (UNIT_MS[match[2]] ?? Number.NaN);
}

const duration = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    const ms = durationMs(text);
    if (ms === undefined || ms < min || ms > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be a duration from ${min} ms to ${max / 1000} s, like 500ms, 30s or 1m (got "${text}")`,
      });
      return z.NEVER;
    }
    return ms;
  });

const number = (min: number, max: number, what: string) =>
  z.string().transform((text, ctx) => {
    const value = Number(text);
    if (text.trim() === "" || !Number.isFinite(value) || value < min || value > max) {
      ctx.addIssue({ code: "custom", message: `must be ${what} (got "${text}")` });
      return z.NEVER;
    }
    return value;
  });

const integer = (min: number, max: number) =>
  z.string().transform((text, ctx) => {
    if (!/^\d+$/.test(text.trim()) || Number(text) < min || Number(text) > max) {
      ctx.addIssue({
        code: "custom",
        message: `must be an integer from ${min} to ${max} (got "${text}")`,
      });
      return z.NEVER;
    }
    return Number(text);
  });

const steps = z.string().transform((text, ctx) => {
  const parts = text.split(",").map((p) => p.trim());
  const values = parts.map(Number);
  const fail = (why: string) => {
    ctx.addIssue({ code: "custom", message: `${why} (got "${text}")` });
    return z.NEVER;
  };
  if (parts.some((p) => !/^\d+$/.test(p)) || values.some((v) => v < 1 || v > 100)) {
    return fail("must be comma-separated integer v2 weights from 1 to 100, e.g. 25,50,75,100");
  }
  if (values.some((v, i) => i > 0 && v <= (values[i - 1] ?? 0))) {
    return fail("must increase from step to step");
  }
  if (values.at(-1) !== 100) return fail("must end at 100 (the promotion)");
  return values;
});

const url = (example: string) =>
  z
    .url({ protocol: /^https?$/, error: `must be an http(s) URL, e.g. ${example}` })
    .transform((u) => u.replace(/\/+$/, ""));

const SOURCES = ["app", "mesh"] as const;
export type MetricSource = (typeof SOURCES)[number];

const sources = z.string().transform((text, ctx) => {
  const list = [...new Set(text.split(",").map((s) => s.trim()))];
  if (list.length === 0 || list.some((s) => !(SOURCES as readonly string[]).includes(s))) {
    ctx.addIssue({
      code: "custom",
      message: `must be app, mesh or app,mesh (got "${text}")`,
    });
    return z.NEVER;
  }
  return list as MetricSource[];
});

/** Defaults, as strings the way a user would type them (USAGE prints them). */
export const DEFAULTS = Object.freeze({
  prometheusUrl: "http://127.0.0.1:9090",
  steps: "25,50,75,100",
  interval: "60s",
  scrapeInterval: "15s",
  minRequests: "50",
  maxInconclusive: "3",
  minSuccess: "0.99",
  maxP99: "500ms",
  maxSuccessDrop: "0.01",
  maxP99Ratio: "2",
  p99Slack: "50ms",
  sources: "app,mesh",
  splitter: "kubernetes",
  namespace: "userapi",
  rate: "20",
  queryTimeout: "5s",
});

const OptionsSchema = z
  .object({
    prometheusUrl: url("http://127.0.0.1:9090"),
    steps,
    interval: duration(1000, 3_600_000),
    scrapeInterval: duration(100, 300_000),
    minRequests: integer(1, 1_000_000),
    maxInconclusive: integer(1, 100),
    minSuccess: number(0, 1, "a ratio from 0 to 1, e.g. 0.99"),
    maxP99: duration(1, 60_000),
    maxSuccessDrop: number(0, 1, "a ratio from 0 to 1, e.g. 0.01"),
    maxP99Ratio: number(1, 1000, "a factor of at least 1, e.g. 2"),
    p99Slack: duration(0, 60_000),
    sources,
    splitter: z.enum(["kubernetes", "router"], { error: "must be kubernetes or router" }),
    routerUrl: url("http://127.0.0.1:15000").optional(),
    kubeContext: z.string().min(1, { error: "must not be empty" }).optional(),
    namespace: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { error: "must be a namespace name" }),
    log: z.string().min(1, { error: "must be a file path" }).optional(),
    load: z.boolean(),
    rollback: z.boolean(),
    baseUrl: url("http://127.0.0.1:30080").optional(),
    rate: integer(1, 1000),
    token: z
      .string()
      .min(1, { error: "must not be empty (leave it out to send no token)" })
      .optional(),
    queryTimeout: duration(100, 60_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.interval < 2 * o.scrapeInterval) {
      // increase() needs two samples of a series inside the window.
      ctx.addIssue({
        code: "custom",
        path: ["interval"],
        message: `must be at least twice --scrape-interval (${o.scrapeInterval} ms): Prometheus needs two scrapes in the window`,
      });
    }
    if (o.splitter === "router" && o.routerUrl === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["routerUrl"],
        message: "is required with --splitter router",
      });
    }
    if (o.rollback && o.load) {
      ctx.addIssue({
        code: "custom",
        path: ["rollback"],
        message: "cannot be combined with --load",
      });
    }
    if (o.load && o.baseUrl === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["baseUrl"],
        message: "is required with --load (where the traffic goes, e.g. the ingress gateway)",
      });
    }
  });

export type CanaryOptions = Readonly<z.output<typeof OptionsSchema>>;

/** Raised for bad command-line input; the message names the flag. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const USAGE = `Usage: npm run canary -- [options]

Moves traffic from v1 to v2 in steps; after each step's analysis interval it
reads each track's success ratio (non-5xx share of /user requests) and p99
latency from Prometheus and promotes, waits or rolls back.

Rollout
  --steps LIST             v2 weights, increasing, ending at 100 (default ${DEFAULTS.steps})
  --interval D             analysis interval per step (default ${DEFAULTS.interval})
  --scrape-interval D      Prometheus's scrape interval (default ${DEFAULTS.scrapeInterval}); the
                           interval must be at least twice this
  --min-requests N         v2 requests per interval for a conclusive analysis (default ${DEFAULTS.minRequests})
  --max-inconclusive N     inconclusive intervals before aborting (default ${DEFAULTS.maxInconclusive})
Bounds for v2 (absolute, then relative to v1)
  --min-success R          success ratio at least R (default ${DEFAULTS.minSuccess})
  --max-p99 D              p99 at most D (default ${DEFAULTS.maxP99})
  --max-success-drop R     success ratio at least v1's minus R (default ${DEFAULTS.maxSuccessDrop})
  --max-p99-ratio F        p99 at most max(F x v1's p99, v1's p99 + slack) (default ${DEFAULTS.maxP99Ratio})
  --p99-slack D            (default ${DEFAULTS.p99Slack})
Metrics
  --prometheus-url URL     (default env PROMETHEUS_URL, else ${DEFAULTS.prometheusUrl})
  --sources LIST           app (the API's http_* metrics), mesh (the track's proxy:
                           istio_requests_total, reporter=destination) or both (default ${DEFAULTS.sources})
  --namespace NS           the series' namespace label (default ${DEFAULTS.namespace})
  --query-timeout D        per Prometheus query (default ${DEFAULTS.queryTimeout})
Traffic
  --splitter NAME          kubernetes (re-synthesizes the VirtualService and applies it
                           with kubectl) or router (the local weighted router) (default ${DEFAULTS.splitter})
  --kube-context NAME      kubectl context (default: the current one)
  --router-url URL         the local router's admin URL (--splitter router)
  --load                   generate the traffic too (GET/POST on /user), at --rate
  --base-url URL           where --load sends it (e.g. the ingress gateway)
  --rate N                 requests per second of --load (default ${DEFAULTS.rate})
  --token JWT              bearer token for --load (default env USERAPI_TOKEN; none: no header)
Manual rollback
  --rollback               only put all traffic back on v1 (weights 100/0) through
                           the splitter, and exit 0 (1 if that failed)
Output
  --log FILE               write the decision log (JSON) there
  --help                   show this text

Exit codes: 0 promoted, 1 rolled back (v2 outside the bounds), 2 bad usage
(or --load's target does not answer GET /user?limit=1 with 200),
3 aborted (too many inconclusive intervals), 4 aborted (Prometheus or the weight
change failed), 5 interrupted, 6 the rollback itself failed (fix the weights by
hand). Every abort puts all traffic back on v1 first.`;

const FLAG_TO_FIELD: Readonly<Record<string, keyof z.input<typeof OptionsSchema>>> = {
  "prometheus-url": "prometheusUrl",
  steps: "steps",
  interval: "interval",
  "scrape-interval": "scrapeInterval",
  "min-requests": "minRequests",
  "max-inconclusive": "maxInconclusive",
  "min-success": "minSuccess",
  "max-p99": "maxP99",
  "max-success-drop": "maxSuccessDrop",
  "max-p99-ratio": "maxP99Ratio",
  "p99-slack": "p99Slack",
  sources: "sources",
  splitter: "splitter",
  "router-url": "routerUrl",
  "kube-context": "kubeContext",
  namespace: "namespace",
  log: "log",
  "base-url": "baseUrl",
  rate: "rate",
  token: "token",
  "query-timeout": "queryTimeout",
};
const FIELD_TO_FLAG: Readonly<Record<string, string>> = {
  ...Object.fromEntries(Object.entries(FLAG_TO_FIELD).map(([flag, field]) => [field, `--${flag}`])),
  load: "--load",
  rollback: "--rollback",
};

/** `{ help: true }` for --help; otherwise the validated options. */
export function parseCanaryArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): CanaryOptions | { help: true } {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(FLAG_TO_FIELD).map((f) => [f, { type: "string" }])),
        load: { type: "boolean" },
        rollback: { type: "boolean" },
        help: { type: "boolean" },
      } as Record<string, { type: "string" | "boolean" }>,
    });
    values = parsed.values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message.split("\n")[0] ?? "bad arguments");
  }
  if (values.help === true) return { help: true };
  const candidate: Record<string, unknown> = {
    load: values.load === true,
    rollback: values.rollback === true,
  };
  for (const [flag, field] of Object.entries(FLAG_TO_FIELD)) {
    const value = values[flag];
    const fallback =
      field === "prometheusUrl"
        ? env.PROMETHEUS_URL || DEFAULTS.prometheusUrl
        : field === "token"
          ? env.USERAPI_TOKEN || undefined
          : (DEFAULTS as Readonly<Record<string, string>>)[field];
    candidate[field] = typeof value === "string" ? value : fallback;
  }
  const result = OptionsSchema.safeParse(candidate);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const field = String(issue.path[0] ?? "");
      return `${FIELD_TO_FLAG[field] ?? (field || "options")}: ${issue.message}`;
    });
    throw new UsageError(lines.join("\n"));
  }
  return Object.freeze(result.data);
}
