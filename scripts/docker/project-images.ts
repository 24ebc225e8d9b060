/**
 * The images this repository builds and runs, read from its own files: the
 * Node.js base from the Dockerfile, Redis from compose.yaml. Chooses between
 * the real (registry) images and local stand-ins, and builds the API image.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ensureStandins, standinInputs } from "./base-images.js";
import { type NodeBase, nodeBaseOf, parseDockerfile } from "./dockerfile.js";
import type { DockerEngine } from "./engine.js";

/** The Dockerfile's build argument that selects the Node.js base image. */
export const NODE_IMAGE_ARG = "NODE_IMAGE";

export interface ProjectInputs {
  readonly node: NodeBase;
  /** compose.yaml's Redis image, e.g. redis:7.4.7-alpine. */
  readonly redisReference: string;
}

export function readProjectInputs(root: string): ProjectInputs {
  const node = nodeBaseOf(parseDockerfile(readFileSync(join(root, "Dockerfile"), "utf8")));
  const compose = parse(readFileSync(join(root, "compose.yaml"), "utf8")) as {
    services?: { redis?: { image?: unknown } };
  };
  const redisReference = compose.services?.redis?.image;
  if (typeof redisReference !== "string") throw new Error("compose.yaml: services.redis.image");
  return { node, redisReference };
}

export type BaseSource = "standin" | "upstream";

export interface BaseImages {
  readonly source: BaseSource;
  /** The Node.js base: the stand-in's tag, or the Dockerfile's pinned default. */
  readonly nodeImage: string;
  readonly redisImage: string;
  /** `--build-arg` flags that select `nodeImage` (none for the default). */
  readonly buildArgs: readonly string[];
  readonly built: readonly string[];
  readonly seconds: number;
}

/**
 * Stand-ins on a private dockerd (it has no registry to pull from), the real
 * images on the user's engine; `USERAPI_BASE_IMAGES=standin|upstream` overrides.
 */
export function baseSourceFor(engine: DockerEngine): BaseSource {
  const wanted = process.env.USERAPI_BASE_IMAGES;
  if (wanted === "standin" || wanted === "upstream") return wanted;
  if (wanted) throw new Error(`USERAPI_BASE_IMAGES: must be standin or upstream (got ${wanted})`);
  return engine.mode === "own" ? "standin" : "upstream";
}

export async function resolveBaseImages(
  engine: DockerEngine,
  root: string,
  options: { readonly source?: BaseSource; readonly log?: (line: string) => void } = {},
): Promise<BaseImages> {
  const inputs = readProjectInputs(root);
  const source = options.source ?? baseSourceFor(engine);
  if (source === "upstream") {
    return {
      source,
      nodeImage: inputs.node.reference,
      redisImage: inputs.redisReference,
      buildArgs: [],
      built: [],
      seconds: 0,
    };
  }
  const standins = await ensureStandins(
    engine,
    standinInputs(inputs.node, inputs.redisReference),
    options.log ? { log: options.log } : {},
  );
  return {
    source,
    nodeImage: standins.nodeImage,
    redisImage: standins.redisImage,
    buildArgs: ["--build-arg", `${NODE_IMAGE_ARG}=${standins.nodeImage}`],
    built: standins.built,
    seconds: standins.seconds,
  };
}

/** `docker build` of the repository's Dockerfile; resolves to the seconds it took. */
export async function buildApiImage(
  engine: DockerEngine,
  root: string,
  tag: string,
  base: BaseImages,
): Promise<number> {
  const started = Date.now();
  await engine.docker([
    "build",
    // A private dockerd has no bridge: npm ci reaches the registry through the host's network.
    ...(engine.mode === "own" ? ["--network", "host"] : []),
    ...base.buildArgs,
    "-t",
    tag,
    root,
  ]);
  return (Date.now() - started) / 1000;
}

/**
 * A Compose override file that runs the stack on other base images: Redis from
 * `redisImage`, the API built on `nodeImage`. compose.yaml itself stays as is.
 */
export function composeOverride(nodeImage: string, redisImage: string): string {
  return stringify({
    services: {
      redis: { image: redisImage },
      api: { build: { args: { [NODE_IMAGE_ARG]: nodeImage } } },
    },
  });
}
