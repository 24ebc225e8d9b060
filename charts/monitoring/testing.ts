/**
 * Test support for the monitoring generators: temp directories and a
 * `promtool` runner. Tests only; nothing here runs on import.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const PROMTOOL_INSTALL_HINT =
  "promtool not found: install Prometheus (Debian/Ubuntu: apt-get install -y prometheus, which brings promtool)";

/** Absolute path of a binary on PATH, or undefined. */
export function onPath(binary: string): string | undefined {
  try {
    return (
      execFileSync("sh", ["-c", `command -v ${binary}`], { encoding: "utf8" }).trim() || undefined
    );
  } catch {
    return undefined;
  }
}

export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout and stderr together, for failure messages. */
  readonly output: string;
}

/** Runs `promtool` with `args` in `cwd`; fails with an install hint when it is missing. */
export function promtool(args: readonly string[], cwd: string): CommandResult {
  const binary = onPath("promtool");
  if (binary === undefined) throw new Error(PROMTOOL_INSTALL_HINT);
  const run = spawnSync(binary, args, { cwd, encoding: "utf8", timeout: 60_000 });
  if (run.error) throw run.error;
  return {
    status: run.status,
    stdout: run.stdout,
    stderr: run.stderr,
    output: `${run.stdout}${run.stderr}`,
  };
}

/** A fresh temp directory holding `files` (relative path → content); `remove()` deletes it. */
export function tempFiles(files: Readonly<Record<string, string>>): {
  dir: string;
  path: (name: string) => string;
  remove: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), "userapi-monitoring-"));
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), content);
  }
  return {
    dir,
    path: (name) => join(dir, name),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
