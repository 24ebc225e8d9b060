/**
 * `npm run image:base`: builds the stand-in base images (see
 * scripts/docker/base-images.ts) for a machine that cannot pull from a
 * registry, and prints how to build and run the stack on them.
 *
 *   npm run image:base                               build (or find cached) stand-ins
 *   npm run image:base -- --override FILE            also write a Compose override that uses them
 *
 * Uses the running Docker engine (DOCKER_HOST, Docker Desktop); where none
 * runs, the tests' private dockerd and its cache (then only `npm test` sees them).
 */
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { connectEngine } from "./docker/engine.js";
import { composeOverride, NODE_IMAGE_ARG, resolveBaseImages } from "./docker/project-images.js";

const ROOT = resolve(import.meta.dirname, "..");
const USAGE = "Usage: npm run image:base [-- --override compose.override.yaml]";

async function main(): Promise<number> {
  let override: string | undefined;
  try {
    const { values } = parseArgs({
      args: process.argv.slice(2),
      options: { override: { type: "string" }, help: { type: "boolean" } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      console.log(USAGE);
      return 0;
    }
    override = values.override;
  } catch (error) {
    console.error(
      `image:base: ${error instanceof Error ? error.message : String(error)}\n${USAGE}`,
    );
    return 2;
  }

  const engine = await connectEngine({ log: (line) => console.log(line) });
  try {
    const base = await resolveBaseImages(engine, ROOT, {
      source: "standin",
      log: (line) => console.log(line),
    });
    console.log(
      base.built.length > 0
        ? `image:base: built ${base.built.length} image(s) in ${base.seconds.toFixed(0)} s`
        : "image:base: all stand-ins were up to date",
    );
    console.log(`  Node.js base  ${base.nodeImage}`);
    console.log(`  Redis         ${base.redisImage}`);
    if (engine.mode === "own") {
      console.log(
        "No Docker engine was running: the images are in the tests' private dockerd cache, used by npm test.",
      );
    } else {
      console.log(
        `Build the API on it:  docker build --build-arg ${NODE_IMAGE_ARG}=${base.nodeImage} -t userapi:local .`,
      );
    }
    if (override) {
      writeFileSync(override, composeOverride(base.nodeImage, base.redisImage));
      console.log(`Wrote ${override}: docker compose -f compose.yaml -f ${override} up --build`);
    }
    return 0;
  } finally {
    await engine.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`image:base: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
