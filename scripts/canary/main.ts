/**
 * `npm run canary`: the rollout driver's entry, the only canary file that
 * reads the environment, handles signals, writes files and exits.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { type LoadGenerator, preflight, startLoad } from "./load.js";
import { measureTracks } from "./measure.js";
import { type CanaryOptions, EXIT, parseCanaryArgs, USAGE, UsageError } from "./options.js";
import { prometheusClient } from "./prometheus.js";
import { runRollout } from "./rollout.js";
import { ALL_ON_V1, routerSplitter, type TrafficSplitter } from "./splitter.js";

async function splitterFor(options: CanaryOptions): Promise<TrafficSplitter> {
  if (options.splitter === "router") return routerSplitter(options.routerUrl ?? "");
  // Loaded only here: the chart code (cdk8s) is not needed for the router.
  const { kubernetesSplitter, virtualServiceManifests } = await import("./kubernetes-splitter.js");
  // The chart settings are checked before anything moves: a bad USERAPI_*
  // would otherwise fail the first step and then the rollback itself.
  virtualServiceManifests(process.env, ALL_ON_V1);
  return kubernetesSplitter({ env: process.env, context: options.kubeContext });
}

/** The splitter, or undefined after printing why the chart settings are refused. */
async function splitterOrUsage(options: CanaryOptions): Promise<TrafficSplitter | undefined> {
  try {
    return await splitterFor(options);
  } catch (error) {
    if ((error as Error).name === "ChartConfigError") {
      console.error(
        `${(error as Error).message}\n(the chart settings the VirtualService is synthesized with)`,
      );
      return undefined;
    }
    throw error;
  }
}

async function main(): Promise<number> {
  let options: CanaryOptions;
  try {
    const parsed = parseCanaryArgs(process.argv.slice(2), process.env);
    if ("help" in parsed) {
      console.log(USAGE);
      return 0;
    }
    options = parsed;
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`${error.message}\n(see npm run canary -- --help)`);
      return EXIT.usage;
    }
    throw error;
  }

  const splitter = await splitterOrUsage(options);
  if (splitter === undefined) return EXIT.usage;
  if (options.rollback) {
    try {
      await splitter.setWeights(ALL_ON_V1);
      console.log(`weights set to v1 100 / v2 0 via ${splitter.description}`);
      return 0;
    } catch (error) {
      console.error(`rollback failed: ${(error as Error).message}`);
      return 1;
    }
  }

  const controller = new AbortController();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => controller.abort());
  }
  const prometheus = prometheusClient(options.prometheusUrl, options.queryTimeout);
  let load: LoadGenerator | undefined;
  if (options.load && options.baseUrl !== undefined) {
    const target = { baseUrl: options.baseUrl, rate: options.rate, token: options.token };
    const check = await preflight(target, 30_000);
    if (!check.ok) {
      console.error(
        `--load: ${options.baseUrl} is not serving user requests: ${check.reason}; nothing changed`,
      );
      return EXIT.usage;
    }
    load = startLoad(target);
    console.log(
      `load: ${options.rate} req/s to ${options.baseUrl}${options.token ? " (bearer token)" : " (no token)"}, ${(2 * options.scrapeInterval) / 1000} s ahead of the first step`,
    );
    // Two scrapes before the first window: series that the traffic creates
    // exist by then, and increase() has a baseline for them.
    await delay(2 * options.scrapeInterval, undefined, { signal: controller.signal }).catch(
      () => undefined,
    );
  }
  console.log(
    `canary: steps ${options.steps.join(",")} % to v2, ${options.interval / 1000} s per analysis, metrics ${options.sources.join("+")} from ${options.prometheusUrl}, traffic via ${splitter.description}`,
  );
  const log = await runRollout(
    {
      steps: options.steps,
      intervalMs: options.interval,
      settleMs: options.scrapeInterval + 500,
      maxInconclusive: options.maxInconclusive,
      bounds: {
        minRequests: options.minRequests,
        minSuccess: options.minSuccess,
        maxP99Seconds: options.maxP99 / 1000,
        maxSuccessDrop: options.maxSuccessDrop,
        maxP99Ratio: options.maxP99Ratio,
        p99SlackSeconds: options.p99Slack / 1000,
      },
    },
    {
      splitter,
      measure: (windowMs, endMs) =>
        measureTracks(prometheus, options.sources, options.namespace, windowMs, endMs),
      now: () => Date.now(),
      sleep: (ms, signal) => delay(ms, undefined, { signal }),
      print: (line) => console.log(line),
      signal: controller.signal,
    },
  );
  const loadSummary = await load?.stop();
  if (loadSummary)
    console.log(
      `load: sent ${loadSummary.sent}, answers ${JSON.stringify(loadSummary.statuses)}, by version ${JSON.stringify(loadSummary.versions)}`,
    );
  console.log(`outcome: ${log.outcome} (exit ${log.exitCode}): ${log.reason}`);
  if (options.log !== undefined) {
    const { token: _token, ...shown } = options;
    try {
      mkdirSync(dirname(options.log), { recursive: true });
      writeFileSync(
        options.log,
        `${JSON.stringify({ ...log, options: shown, load: loadSummary ?? null }, null, 2)}\n`,
      );
      console.log(`decision log: ${options.log}`);
    } catch (error) {
      // The traffic is already where the outcome says; only the file is missing.
      console.error(`could not write the decision log ${options.log}: ${(error as Error).message}`);
    }
  }
  return log.exitCode;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`canary: ${(error as Error).stack ?? String(error)}`);
    process.exit(EXIT.analysisFailed);
  },
);
