import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
const run = (...args: string[]) =>
  spawnSync(process.execPath, ["--import", "tsx", "scripts/image-base.ts", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });

// Building the images is exercised by the Docker tests' global setup (the same functions).
describe("npm run image:base", () => {
  it("prints its usage for --help", () => {
    const result = run("--help");
    expect(result.stdout).toContain(
      "Usage: npm run image:base [-- --override compose.override.yaml]",
    );
    expect(result.status).toBe(0);
  });

  it("exits 2 naming an unknown option, before touching Docker", () => {
    const result = run("--overide", "x.yaml");
    expect(result.stderr).toContain("Unknown option '--overide'");
    expect(result.status).toBe(2);
  });
});
