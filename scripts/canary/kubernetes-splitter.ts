/**
 * The Kubernetes traffic splitter: for each step it synthesizes the chart in
 * memory with the step's weights (USERAPI_V1_WEIGHT/USERAPI_V2_WEIGHT over the
 * caller's chart environment), keeps only the VirtualServices and applies
 * them with server-side apply. The committed dist/ is never written.
 */
import { spawn } from "node:child_process";
import { App } from "cdk8s";
import { stringify } from "yaml";
import { loadChartConfig } from "../../charts/config.js";
import { composeCharts } from "../../charts/userapi-app.js";
import type { TrackWeights, TrafficSplitter } from "./splitter.js";

/** The field manager the canary's applies are recorded under (`kubectl get vs -o yaml --show-managed-fields`). */
export const FIELD_MANAGER = "userapi-canary";

type Manifest = { readonly kind?: string } & Record<string, unknown>;

/**
 * The VirtualServices `npm run synth` would write with these weights and
 * otherwise the same chart environment (hosts, gateway). Pure apart from
 * what the chart itself reads at synth time.
 */
export function virtualServiceManifests(
  env: Readonly<Record<string, string | undefined>>,
  weights: TrackWeights,
): Manifest[] {
  const config = loadChartConfig({
    ...env,
    USERAPI_V1_WEIGHT: String(weights.v1),
    USERAPI_V2_WEIGHT: String(weights.v2),
  });
  const app = new App({ outdir: "unused-never-synthesized" });
  composeCharts(app, config);
  return app.charts
    .flatMap((chart) => chart.toJson() as Manifest[])
    .filter((doc) => doc.kind === "VirtualService");
}

/** Runs `kubectl ARGS` with `input` on stdin; rejects with its stderr on a non-zero exit. */
export function kubectl(
  args: readonly string[],
  input: string,
  timeoutMs = 60_000,
  binary = "kubectl",
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(new Error(`kubectl could not run: ${error.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else
        reject(
          new Error(
            `kubectl ${args.join(" ")} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`,
          ),
        );
    });
    child.stdin.end(input);
  });
}

export interface KubernetesSplitterOptions {
  /** The chart environment (USERAPI_HOSTS and the like), as for `npm run synth`. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** kubectl context; the current one when absent. */
  readonly context?: string;
  /** Runs kubectl (replaceable in unit tests). */
  readonly run?: (args: readonly string[], input: string) => Promise<string>;
}

export function kubernetesSplitter(options: KubernetesSplitterOptions): TrafficSplitter {
  const run = options.run ?? kubectl;
  const context = options.context === undefined ? [] : ["--context", options.context];
  return {
    description: `kubernetes (context ${options.context ?? "current"})`,
    async setWeights(weights) {
      const manifests = virtualServiceManifests(options.env, weights);
      if (manifests.length === 0) throw new Error("the chart synthesized no VirtualService");
      const yaml = manifests.map((m) => stringify(m)).join("---\n");
      // Server-side apply under our own field manager; --force-conflicts takes
      // the routes over from the client-side apply of dist/ (scripts/deploy.sh).
      await run(
        [
          ...context,
          "apply",
          "--server-side",
          "--force-conflicts",
          `--field-manager=${FIELD_MANAGER}`,
          "-f",
          "-",
        ],
        yaml,
      );
    },
  };
}
