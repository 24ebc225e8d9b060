/**
 * Runs `npm run canary` (scripts/canary/main.ts) as its own process, the way
 * CI does, and hands its stdout to the caller line by line as it comes.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { REPO_ROOT } from "./api-process.js";

export interface CanaryProcessResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly elapsedMs: number;
}

/** Children still running, for an afterAll to kill after a failed test. */
export const runningCanaries = new Set<ChildProcess>();

export async function runCanary(
  args: readonly string[],
  onLine?: (line: string) => void,
  env: Readonly<Record<string, string>> = {},
): Promise<CanaryProcessResult> {
  const started = performance.now();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/canary/main.ts", ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  runningCanaries.add(child);
  let stdout = "";
  let stderr = "";
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) onLine?.(line);
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
  runningCanaries.delete(child);
  return { code, stdout, stderr, elapsedMs: Math.round(performance.now() - started) };
}
