/**
 * What the Docker tests share: the engine and images set up once by
 * docker-global-setup.ts (handed over through vitest's provide/inject), and
 * small helpers to run docker, compose, and wait for a container's health.
 */
import { inject } from "vitest";
import { type CommandResult, type RunOptions, runCommand } from "../../scripts/docker/engine.js";

export interface DockerSetup {
  readonly mode: "own" | "external";
  readonly serverVersion: string;
  readonly cli: string;
  /** DOCKER_HOST (a private dockerd) and DOCKER_BUILDKIT, on top of process.env. */
  readonly env: Readonly<Record<string, string>>;
  /** `docker compose` or `docker-compose`. */
  readonly compose: readonly string[];
  readonly baseSource: "standin" | "upstream";
  /** The API image the setup built from the repository's Dockerfile. */
  readonly apiImage: string;
  readonly nodeImage: string;
  readonly redisImage: string;
  readonly standinSeconds: number;
  readonly standinsBuilt: readonly string[];
  readonly buildSeconds: number;
}

declare module "vitest" {
  export interface ProvidedContext {
    docker: DockerSetup | { error: string };
  }
}

/** The setup, or the reason there is none (e.g. the one-line install hint) as a thrown error. */
export function dockerSetup(): DockerSetup {
  const provided = inject("docker");
  if ("error" in provided) throw new Error(provided.error);
  return provided;
}

export function docker(
  setup: DockerSetup,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  return runCommand(setup.cli, args, { ...options, baseEnv: { ...process.env, ...setup.env } });
}

export function compose(
  setup: DockerSetup,
  args: readonly string[],
  options: RunOptions = {},
): Promise<CommandResult> {
  const [file, ...prefix] = setup.compose;
  return runCommand(file ?? "docker-compose", [...prefix, ...args], {
    ...options,
    baseEnv: { ...process.env, ...setup.env },
  });
}

export interface ContainerState {
  readonly Status: string;
  readonly Running: boolean;
  readonly ExitCode: number;
  readonly OOMKilled: boolean;
  readonly StartedAt: string;
  readonly FinishedAt: string;
  readonly Health?: {
    readonly Status: string;
    readonly Log: readonly { Start: string; End: string; ExitCode: number; Output: string }[];
  };
}

export async function containerState(setup: DockerSetup, id: string): Promise<ContainerState> {
  const out = await docker(setup, ["inspect", "--format", "{{json .State}}", id]);
  return JSON.parse(out.stdout) as ContainerState;
}

/** Polls until the container's HEALTHCHECK reports healthy; resolves to the seconds waited. */
export async function waitHealthy(
  setup: DockerSetup,
  id: string,
  timeoutMs = 90_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const state = await containerState(setup, id);
    if (state.Health?.Status === "healthy") return (Date.now() - started) / 1000;
    if (!state.Running || Date.now() - started > timeoutMs) {
      const logs = await docker(setup, ["logs", "--tail", "30", id], { allowFailure: true });
      throw new Error(
        `container ${id} is ${state.Running ? (state.Health?.Status ?? "without health") : `exited ${state.ExitCode}`} after ${
          (Date.now() - started) / 1000
        } s; last health: ${JSON.stringify(state.Health?.Log.at(-1) ?? null)}\n${logs.stdout}${logs.stderr}`,
      );
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The host port Docker published for a container port (`-p 127.0.0.1::8080`). */
export async function publishedPort(
  setup: DockerSetup,
  id: string,
  containerPort: number,
): Promise<number> {
  const out = await docker(setup, ["port", id, `${containerPort}/tcp`]);
  const port = Number(/:(\d+)\s*$/m.exec(out.stdout.trim().split("\n")[0] ?? "")?.[1]);
  if (!(port > 0)) throw new Error(`no published port for ${containerPort} in ${out.stdout}`);
  return port;
}

/** A short random suffix so names of parallel runs on one engine never meet. */
export function uniqueSuffix(): string {
  return `${process.pid.toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;
}
