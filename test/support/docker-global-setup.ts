/**
 * Global setup of the "docker" test project: a Docker engine (the user's, or
 * a private dockerd), the base images (real ones on the user's engine, local
 * stand-ins on a private one), and one build of the repository's Dockerfile,
 * done before any test starts so the build does not compete with them.
 *
 * Failing here would abort every test project, so a failure is handed to the
 * Docker tests instead: each of them fails with the message (e.g. the one-line
 * install hint). Teardown removes what the run created and stops the daemon.
 */
import { randomBytes } from "node:crypto";
import { resolve } from "node:path";
import type { TestProject } from "vitest/node";
import { connectEngine, type DockerEngine, findCompose } from "../../scripts/docker/engine.js";
import { buildApiImage, resolveBaseImages } from "../../scripts/docker/project-images.js";
import type { DockerSetup } from "./docker.js";

const ROOT = resolve(import.meta.dirname, "../..");
let engine: DockerEngine | undefined;
let apiImage: string | undefined;

export async function setup(project: TestProject): Promise<void> {
  const log = (line: string) => console.log(line);
  try {
    engine = await connectEngine({ log });
    const compose = await findCompose(engine.cli, engine.env);
    const base = await resolveBaseImages(engine, ROOT, { log });
    if (base.built.length > 0) log(`docker: stand-ins built in ${base.seconds.toFixed(1)} s`);
    apiImage = `userapi:test-${randomBytes(4).toString("hex")}`;
    log(`docker: building ${apiImage} on ${base.nodeImage}`);
    const buildSeconds = await buildApiImage(engine, ROOT, apiImage, base);
    log(`docker: built ${apiImage} in ${buildSeconds.toFixed(1)} s`);
    const env: Record<string, string> = { DOCKER_BUILDKIT: "1" };
    if (engine.env.DOCKER_HOST) env.DOCKER_HOST = engine.env.DOCKER_HOST;
    const provided: DockerSetup = {
      mode: engine.mode,
      serverVersion: engine.serverVersion,
      cli: engine.cli,
      env,
      compose,
      baseSource: base.source,
      apiImage,
      nodeImage: base.nodeImage,
      redisImage: base.redisImage,
      standinSeconds: base.seconds,
      standinsBuilt: base.built,
      buildSeconds,
    };
    project.provide("docker", provided);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`docker: setup failed: ${message}`);
    project.provide("docker", { error: message });
  }
}

export async function teardown(): Promise<void> {
  if (!engine) return;
  const run = (args: string[]) => engine?.docker(args, { allowFailure: true });
  if (apiImage) await run(["image", "rm", "--force", apiImage]);
  if (engine.mode === "own") {
    // Everything on a private daemon is this run's: leave only images and build cache.
    await run(["container", "prune", "--force"]);
    await run(["network", "prune", "--force"]);
    await run(["volume", "prune", "--force"]);
    await run(["image", "prune", "--force"]);
    await run(["builder", "prune", "--force", "--keep-storage", "3gb"]);
  }
  await engine.stop();
}
