/**
 * Synth entry (`npm run synth`): the only chart file that reads the
 * environment, touches the file system and synthesizes. It clears the
 * output directory's manifests first, so a removed object cannot linger.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { App, YamlOutputType } from "cdk8s";
import { ChartConfigError, loadChartConfig } from "./config.js";
import { composeCharts } from "./userapi-app.js";

const MANIFEST = /\.(?:ya?ml|json)$/;

function clearManifests(outdir: string): void {
  let names: string[];
  try {
    names = readdirSync(outdir);
  } catch {
    return;
  }
  // Only manifest files: a mistaken USERAPI_OUTDIR (".") must not wipe a tree.
  for (const name of names.filter((file) => MANIFEST.test(file))) {
    rmSync(join(outdir, name), { force: true });
  }
}

try {
  const config = loadChartConfig(process.env);
  clearManifests(config.outdir);
  const app = new App({ outdir: config.outdir, yamlOutputType: YamlOutputType.FILE_PER_CHART });
  composeCharts(app, config);
  app.synth();
} catch (error) {
  if (error instanceof ChartConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
