/**
 * Synth entry (`npm run synth`): the only chart file that reads the
 * environment, touches the file system and synthesizes. It replaces the
 * manifests it wrote before, so a removed object cannot linger, and refuses
 * an output folder holding anything it did not write (exit 1, nothing
 * deleted): `USERAPI_OUTDIR=.` must never empty a project.
 */
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App, YamlOutputType } from "cdk8s";
import { ChartConfigError, JWKS_FILE_VARIABLE, loadChartConfig } from "./config.js";
import { OutdirError, outdirPlan } from "./lib/outdir.js";
import { composeCharts } from "./userapi-app.js";

function clearOwnManifests(outdir: string): void {
  let entries: { name: string; isFile: boolean }[];
  try {
    entries = readdirSync(outdir, { withFileTypes: true }).map((entry) => ({
      name: entry.name,
      isFile: entry.isFile(),
    }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  const plan = outdirPlan(entries);
  if (plan.foreign.length > 0) throw new OutdirError(outdir, plan.foreign);
  for (const name of plan.remove) rmSync(join(outdir, name));
}

try {
  const config = loadChartConfig(process.env, { readText: (path) => readFileSync(path, "utf8") });
  clearOwnManifests(config.outdir);
  const app = new App({ outdir: config.outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  composeCharts(app, config);
  app.synth();
  if (process.env[JWKS_FILE_VARIABLE] === undefined) {
    console.error(
      `synth: ${JWKS_FILE_VARIABLE} unset: the manifests trust the placeholder JWKS, so no token passes until you synthesize with your JWKS`,
    );
  }
} catch (error) {
  if (error instanceof ChartConfigError || error instanceof OutdirError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
