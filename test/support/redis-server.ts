/**
 * Starts and stops real `redis-server` processes for tests and benchmarks.
 * Every instance gets its own port and data directory, so tests can kill,
 * restart or inspect one without touching another.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REDIS_INSTALL_HINT =
  "redis-server not found: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis) or set REDIS_URL";

/** A free TCP port on loopback, picked by the kernel. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === "object") resolve(address.port);
        else reject(new Error("could not read the port of a probe socket"));
      });
    });
  });
}

function binaryOnPath(): string | undefined {
  try {
    return (
      execFileSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" }).trim() ||
      undefined
    );
  } catch {
    return undefined;
  }
}

let resolvedBinary: Promise<string> | undefined;

/**
 * The redis-server binary: `REDIS_SERVER_BIN`, then `PATH`, then one that
 * redis-memory-server downloads and builds (needs network access and make).
 * Fails with a one-line install hint when none of them works.
 */
export function redisServerBinary(): Promise<string> {
  resolvedBinary ??= (async () => {
    const explicit = process.env.REDIS_SERVER_BIN;
    if (explicit) return explicit;
    const onPath = binaryOnPath();
    if (onPath) return onPath;
    try {
      const { RedisBinary } = await import("redis-memory-server");
      return await RedisBinary.getPath();
    } catch (error) {
      const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
      throw new Error(`${REDIS_INSTALL_HINT} (redis-memory-server could not build one: ${reason})`);
    }
  })();
  return resolvedBinary;
}

export interface RedisServerOptions {
  /** Extra `redis-server` arguments, e.g. `["--appendonly", "yes"]`. */
  readonly args?: readonly string[];
  /** Data directory; a fresh temp directory when omitted (and removed on stop). */
  readonly dir?: string;
  /** Port; a free one when omitted. */
  readonly port?: number;
  /** Remove the data directory on `stop()`. @default true when `dir` is omitted (a temp dir), else false */
  readonly removeDirOnStop?: boolean;
}

export interface RedisServer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  readonly process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes a temp data dir. */
  stop(): Promise<void>;
  /** Sends a signal and waits for the process to exit; keeps the data dir. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts a `redis-server` and resolves once it accepts connections. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = await redisServerBinary();
  const port = options.port ?? (await freePort());
  const removeDir = options.removeDirOnStop ?? options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "userapi-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    "no",
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    ...(options.args ?? []),
  ];
  const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });

  await waitUntilAccepting(port, child, () => output);

  const kill = async (signal: NodeJS.Signals = "SIGTERM") => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    process: child,
    kill,
    async stop() {
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await kill("SIGTERM");
      clearTimeout(timer);
      if (removeDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUntilAccepting(
  port: number,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const { Socket } = await import("node:net");
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`redis-server exited with ${child.exitCode}: ${output().trim()}`);
    }
    const pong = await new Promise<boolean>((resolve) => {
      const socket = new Socket();
      socket.setTimeout(500);
      socket.once("data", (data) => {
        socket.destroy();
        resolve(data.toString().startsWith("+PONG"));
      });
      socket.once("error", () => resolve(false));
      socket.once("timeout", () => {
        socket.destroy();
        resolve(false);
      });
      socket.connect(port, "127.0.0.1", () => socket.write("PING\r\n"));
    });
    if (pong) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server did not accept connections on port ${port} within 10 s`);
}
