/**
 * Runs the real server (`api/main.ts`) as a child process, the way
 * production does, so tests can drive it over HTTP and send it signals.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort } from "./redis-server.js";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export interface ApiProcess {
  readonly baseUrl: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** Every stdout line the server wrote (pino JSON). */
  readonly lines: string[];
  /** Everything written to stderr. */
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

export interface ApiProcessOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** Path to wait for with a 200 before resolving. @default "/health" */
  readonly waitFor?: string | null;
  /** Command that runs the server. @default node --import tsx api/main.ts */
  readonly command?: readonly string[];
  readonly cwd?: string;
}

export async function startApi(options: ApiProcessOptions = {}): Promise<ApiProcess> {
  const port = await freePort();
  const [command, ...args] = options.command ?? [
    process.execPath,
    "--import",
    "tsx",
    "api/main.ts",
  ];
  const child = spawn(command as string, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts.filter((l) => l.length > 0));
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const api: ApiProcess = {
    baseUrl: `http://127.0.0.1:${port}`,
    port,
    child,
    lines,
    stderr: () => stderr,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const waitFor = options.waitFor === undefined ? "/health" : options.waitFor;
  if (waitFor !== null) await waitForStatus(api, waitFor, 200, 20_000);
  return api;
}

/** Polls `path` until it answers `status`; fails early if the process exits. */
export async function waitForStatus(
  api: ApiProcess,
  path: string,
  status: number,
  timeoutMs: number,
): Promise<number> {
  const started = performance.now();
  let last = "no answer";
  while (performance.now() - started < timeoutMs) {
    if (api.child.exitCode !== null) {
      throw new Error(`server exited with ${api.child.exitCode}: ${api.stderr()}`);
    }
    try {
      const response = await fetch(api.baseUrl + path, { signal: AbortSignal.timeout(1000) });
      await response.arrayBuffer();
      if (response.status === status) return performance.now() - started;
      last = `status ${response.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${path} did not answer ${status} within ${timeoutMs} ms (${last})`);
}
