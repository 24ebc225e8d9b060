/**
 * Starts a real `prometheus` (Debian's package) on loopback with a given
 * configuration, in its own temporary directory; fails with a one-line
 * install hint when the binary is missing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { onPath } from "../../charts/monitoring/testing.js";

export interface PrometheusProcess {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  /** SIGTERM (SIGKILL after 5 s), then removes the directory. */
  stop(): Promise<void>;
}

/**
 * `files` are written next to `prometheus.yml` (rule files the config names
 * by a relative path, for example).
 */
export async function startPrometheus(
  port: number,
  configYaml: string,
  files: Readonly<Record<string, string>> = {},
): Promise<PrometheusProcess> {
  const binary = onPath("prometheus");
  if (binary === undefined) {
    throw new Error(
      "prometheus not found: install it (Debian/Ubuntu: apt-get install -y prometheus)",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "userapi-prometheus-"));
  writeFileSync(join(dir, "prometheus.yml"), configYaml);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const child = spawn(
    binary,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (performance.now() - started > 30_000) {
      child.kill("SIGKILL");
      throw new Error(`prometheus not ready on port ${port} within 30 s: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return {
    url,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
