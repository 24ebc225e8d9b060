/**
 * A Docker engine to build and run on: the one the user already has
 * (DOCKER_HOST, Docker Desktop, a CI runner's), or a private `dockerd` this
 * module starts and stops itself on a machine where none runs (no systemd).
 *
 * The private daemon gets its own exec root, socket and pid file in a temp
 * folder, and runs with `--bridge=none --iptables=false --ip6tables=false
 * --ip-masq=false`: containers reach only loopback or networks this daemon
 * creates, never beyond the machine. Its data root (images and build cache
 * only) lives in a cache folder so that base images and layers survive
 * between runs; everything else it created is removed on stop.
 */
import { type ChildProcess, spawn } from "node:child_process";
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { delimiter, join, resolve } from "node:path";

export const DOCKER_INSTALL_HINT =
  "Docker not found: install it (Debian/Ubuntu: apt-get install -y docker.io docker-compose mmdebstrap; macOS/Windows: Docker Desktop) or set DOCKER_HOST";

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin. */
  readonly input?: string | Buffer;
  readonly cwd?: string;
  readonly timeoutMs?: number;
  /** Resolve with the exit code instead of rejecting on a non-zero one. */
  readonly allowFailure?: boolean;
  /** Extra environment on top of the engine's. */
  readonly env?: Readonly<Record<string, string>>;
}

/** Runs a program and collects its output; rejects with its stderr when it fails. */
export function runCommand(
  file: string,
  args: readonly string[],
  options: RunOptions & { readonly baseEnv?: NodeJS.ProcessEnv } = {},
): Promise<CommandResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, {
      cwd: options.cwd,
      env: { ...(options.baseEnv ?? process.env), ...options.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = options.timeoutMs
      ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
      : undefined;
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? (signal ? 128 : 1), stdout, stderr };
      if (result.code === 0 || options.allowFailure) resolvePromise(result);
      else {
        const why = signal ? `killed by ${signal}` : `exit code ${code}`;
        reject(
          new Error(
            `${[file, ...args].join(" ")} failed (${why}): ${(stderr || stdout).trim().slice(-4000)}`,
          ),
        );
      }
    });
    child.stdin.end(options.input);
  });
}

/** Every executable called `name` on PATH, in PATH order. */
export function onPath(name: string, path = process.env.PATH ?? ""): string[] {
  const found: string[] = [];
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      if (!found.includes(candidate)) found.push(candidate);
    } catch {
      // not here
    }
  }
  return found;
}

/**
 * The docker client to use: one that builds with BuildKit. A client with the
 * buildx plugin does; a pre-23 client (Debian's docker.io 20.10) does with
 * DOCKER_BUILDKIT=1; a newer client without buildx would silently fall back
 * to the legacy builder, so it is passed over.
 */
export async function findDockerCli(
  options: {
    /** Searched for `docker`. @default process.env.PATH */
    readonly path?: string;
    /** Tried after PATH (Debian's client when another one comes first). @default ["/usr/bin/docker"] */
    readonly fallbacks?: readonly string[];
  } = {},
): Promise<string> {
  const candidates = [
    ...(process.env.DOCKER_CLI ? [process.env.DOCKER_CLI] : []),
    ...onPath("docker", options.path),
    ...(options.fallbacks ?? ["/usr/bin/docker"]),
  ].filter((c, i, all) => all.indexOf(c) === i && existsSync(c));
  if (candidates.length === 0) throw new Error(DOCKER_INSTALL_HINT);
  for (const cli of candidates) {
    const buildx = await runCommand(cli, ["buildx", "version"], {
      allowFailure: true,
      timeoutMs: 10_000,
    }).catch(() => undefined);
    if (buildx?.code === 0) return cli;
    const version = await runCommand(cli, ["version", "--format", "{{.Client.Version}}"], {
      allowFailure: true,
      timeoutMs: 10_000,
      env: { DOCKER_HOST: "unix:///nonexistent" },
    }).catch(() => undefined);
    const major = Number(/^(\d+)\./.exec(version?.stdout.trim() ?? "")?.[1]);
    if (major > 0 && major < 23) return cli;
  }
  throw new Error(
    `no docker client that builds with BuildKit among ${candidates.join(", ")}: install the buildx plugin (apt-get install -y docker-buildx) or Debian's docker.io`,
  );
}

/** `docker compose` (v2 plugin) when the client has it, else `docker-compose` (v1). */
export async function findCompose(cli: string, env: NodeJS.ProcessEnv): Promise<string[]> {
  const plugin = await runCommand(cli, ["compose", "version", "--short"], {
    allowFailure: true,
    baseEnv: env,
    timeoutMs: 15_000,
  }).catch(() => undefined);
  if (plugin?.code === 0) return [cli, "compose"];
  const standalone = onPath("docker-compose")[0];
  if (standalone) return [standalone];
  throw new Error(
    "Docker Compose not found: install the Compose plugin (docker compose) or Debian's docker-compose (apt-get install -y docker-compose)",
  );
}

export type EngineMode = "own" | "external";

export interface DockerEngine {
  /** `own`: a dockerd this process started; `external`: DOCKER_HOST or the default daemon. */
  readonly mode: EngineMode;
  readonly cli: string;
  /** Environment for docker and compose commands (DOCKER_HOST, DOCKER_BUILDKIT=1). */
  readonly env: NodeJS.ProcessEnv;
  readonly serverVersion: string;
  /** Runs the docker client against this engine. */
  docker(args: readonly string[], options?: RunOptions): Promise<CommandResult>;
  /** Stops a dockerd this module started (by its pid) and removes its run folder; no-op otherwise. */
  stop(): Promise<void>;
}

export interface ConnectOptions {
  readonly log?: (line: string) => void;
  /**
   * Data root of a private dockerd. Default: `$USERAPI_DOCKER_DATA_ROOT`, else
   * `~/.cache/userapi/dockerd`; `USERAPI_DOCKER_CACHE=off` uses a throwaway one.
   */
  readonly dataRoot?: string;
}

/** Connects to the user's engine, or starts a private dockerd where none runs. */
export async function connectEngine(options: ConnectOptions = {}): Promise<DockerEngine> {
  const log = options.log ?? (() => undefined);
  const cli = await findDockerCli();
  const env: NodeJS.ProcessEnv = { ...process.env, DOCKER_BUILDKIT: "1" };
  const external = await serverVersion(cli, env, 15_000);
  if (external.ok) {
    log(`docker: using the running engine ${external.version} (${env.DOCKER_HOST ?? "default"})`);
    return makeEngine("external", cli, env, external.version, async () => undefined);
  }
  if (env.DOCKER_HOST) {
    throw new Error(`DOCKER_HOST=${env.DOCKER_HOST} does not answer: ${external.error}`);
  }
  return startOwnDaemon(cli, env, options, log);
}

async function serverVersion(
  cli: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<{ ok: true; version: string } | { ok: false; error: string }> {
  const result = await runCommand(cli, ["version", "--format", "{{.Server.Version}}"], {
    allowFailure: true,
    baseEnv: env,
    timeoutMs,
  }).catch((error: unknown) => ({ code: 1, stdout: "", stderr: String(error) }));
  const version = result.stdout.trim();
  return result.code === 0 && version
    ? { ok: true, version }
    : { ok: false, error: (result.stderr.trim().split("\n").at(-1) ?? "").slice(0, 300) };
}

function makeEngine(
  mode: EngineMode,
  cli: string,
  env: NodeJS.ProcessEnv,
  version: string,
  stop: () => Promise<void>,
): DockerEngine {
  return {
    mode,
    cli,
    env,
    serverVersion: version,
    docker: (args, options = {}) => runCommand(cli, args, { ...options, baseEnv: env }),
    stop,
  };
}

function defaultDataRoot(): string | undefined {
  if (process.env.USERAPI_DOCKER_CACHE === "off") return undefined;
  if (process.env.USERAPI_DOCKER_DATA_ROOT) return resolve(process.env.USERAPI_DOCKER_DATA_ROOT);
  const cache = process.env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(cache, "userapi", "dockerd");
}

/** Holds the cache data root for this process; another live holder means "use a throwaway root". */
function lockDataRoot(dataRoot: string): (() => void) | undefined {
  const lockFile = `${dataRoot}.lock`;
  mkdirSync(resolve(dataRoot, ".."), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lockFile, "wx");
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lockFile, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const holder = Number(readFileSync(lockFile, "utf8").trim());
      if (holder > 0 && isAlive(holder)) return undefined;
      rmSync(lockFile, { force: true }); // left by a run that was killed
    }
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function startOwnDaemon(
  cli: string,
  baseEnv: NodeJS.ProcessEnv,
  options: ConnectOptions,
  log: (line: string) => void,
): Promise<DockerEngine> {
  const dockerd = [...onPath("dockerd"), "/usr/sbin/dockerd"].find((p) => existsSync(p));
  if (!dockerd) throw new Error(DOCKER_INSTALL_HINT);
  if (process.getuid?.() !== 0) {
    throw new Error(
      "no Docker engine answers and starting a private dockerd needs root: start Docker (or Docker Desktop), set DOCKER_HOST, or run the tests as root",
    );
  }
  // Short paths: containerd's sockets live under the exec root (108-byte socket path limit).
  const runDir = mkdtempSync(join(tmpdir(), "userapi-dockerd-"));
  const execRoot = join(runDir, "exec");
  const socket = join(runDir, "docker.sock");
  const pidFile = join(runDir, "dockerd.pid");
  const configFile = join(runDir, "daemon.json");
  // The host's /etc/docker/daemon.json (mirrors, proxies, bridges) must not leak in.
  writeFileSync(configFile, "{}\n");

  const cached = options.dataRoot ?? defaultDataRoot();
  const release = cached ? lockDataRoot(cached) : undefined;
  if (cached && !release) log(`docker: ${cached} is in use by another run; using a throwaway one`);
  const dataRoot = release && cached ? cached : join(runDir, "data");
  mkdirSync(dataRoot, { recursive: true });

  const logFile = join(runDir, "dockerd.log");
  const logFd = openSync(logFile, "a");
  const args = [
    "--config-file",
    configFile,
    "--data-root",
    dataRoot,
    "--exec-root",
    execRoot,
    "--pidfile",
    pidFile,
    "-H",
    `unix://${socket}`,
    "--storage-driver",
    "overlay2",
    "--bridge=none",
    "--iptables=false",
    "--ip6tables=false",
    "--ip-masq=false",
    "--log-level",
    "warn",
  ];
  // Same process group: a Ctrl-C of the test run reaches dockerd too.
  const child: ChildProcess = spawn(dockerd, args, { stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const env: NodeJS.ProcessEnv = { ...baseEnv, DOCKER_HOST: `unix://${socket}` };

  const stop = async () => {
    const pid = child.pid;
    if (pid && child.exitCode === null && child.signalCode === null) {
      process.kill(pid, "SIGTERM");
      const killer = setTimeout(() => {
        if (child.exitCode === null) process.kill(pid, "SIGKILL");
      }, 30_000);
      await exited;
      clearTimeout(killer);
    }
    await unmountUnder([execRoot, dataRoot]);
    rmSync(runDir, { recursive: true, force: true });
    release?.();
  };

  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      const tail = readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n");
      await stop();
      throw new Error(`dockerd exited (${child.exitCode ?? child.signalCode}):\n${tail}`);
    }
    const answer = await serverVersion(cli, env, 5_000);
    if (answer.ok) {
      log(`docker: started dockerd ${answer.version} (pid ${child.pid}, data root ${dataRoot})`);
      return makeEngine("own", cli, env, answer.version, stop);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dockerd did not answer on ${socket} within 60 s: ${answer.error}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Unmounts what dockerd left mounted below these folders (its netns bind mount, overlays). */
async function unmountUnder(roots: readonly string[]): Promise<void> {
  const mounts = readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[4] ?? "")
    .map((point) => point.replace(/\\040/g, " "))
    .filter((point) => roots.some((root) => point === root || point.startsWith(`${root}/`)))
    // Deepest first.
    .sort((a, b) => b.length - a.length);
  for (const point of mounts) {
    const result = await runCommand("umount", [point], { allowFailure: true });
    if (result.code !== 0) await runCommand("umount", ["-l", point], { allowFailure: true });
  }
}
