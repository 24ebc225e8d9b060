import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connectEngine, DOCKER_INSTALL_HINT, findDockerCli, onPath } from "./engine.js";

const dir = mkdtempSync(join(tmpdir(), "userapi-engine-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in `docker` client in its own folder: reports `version`, has buildx or not. */
function fakeDocker(name: string, version: string, buildx: boolean): string {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const file = join(folder, "docker");
  writeFileSync(
    file,
    [
      "#!/bin/sh",
      `[ "$1" = buildx ] && { ${buildx ? "echo 'github.com/docker/buildx v0.20.0'; exit 0" : "exit 1"}; }`,
      `[ "$1" = version ] && { echo ${version}; exit 1; }`,
      "exit 1",
      "",
    ].join("\n"),
  );
  chmodSync(file, 0o755);
  return file;
}

describe("findDockerCli", () => {
  it("fails with the one-line install hint when there is no docker client", async () => {
    await expect(findDockerCli({ path: join(dir, "nowhere"), fallbacks: [] })).rejects.toThrow(
      DOCKER_INSTALL_HINT,
    );
    expect(DOCKER_INSTALL_HINT).not.toContain("\n");
    expect(DOCKER_INSTALL_HINT).toContain("apt-get install -y docker.io");
  });

  it("takes a client with the buildx plugin", async () => {
    const cli = fakeDocker("with-buildx", "28.2.2", true);
    expect(await findDockerCli({ path: join(dir, "with-buildx"), fallbacks: [] })).toBe(cli);
  });

  it("passes over a 23+ client without buildx (legacy builder) for a pre-23 one (built-in BuildKit)", async () => {
    fakeDocker("new-no-buildx", "28.2.2", false);
    const debian = fakeDocker("debian", "20.10.24+dfsg1", false);
    const path = [join(dir, "new-no-buildx"), join(dir, "debian")].join(":");
    expect(await findDockerCli({ path, fallbacks: [] })).toBe(debian);
  });

  it("says what to install when only a 23+ client without buildx exists", async () => {
    fakeDocker("only-new", "27.0.1", false);
    await expect(findDockerCli({ path: join(dir, "only-new"), fallbacks: [] })).rejects.toThrow(
      /no docker client that builds with BuildKit.*docker-buildx/,
    );
  });
});

describe("onPath", () => {
  it("lists every executable of that name in PATH order, once", () => {
    const a = fakeDocker("a", "1", false);
    const b = fakeDocker("b", "1", false);
    const path = [join(dir, "a"), join(dir, "missing"), join(dir, "b"), join(dir, "a")].join(":");
    expect(onPath("docker", path)).toEqual([a, b]);
  });
});

describe("connectEngine", () => {
  it("fails naming DOCKER_HOST when the engine it names does not answer", async () => {
    const saved = { host: process.env.DOCKER_HOST, cli: process.env.DOCKER_CLI };
    process.env.DOCKER_HOST = `unix://${join(dir, "no.sock")}`;
    // A client that builds with BuildKit but reaches no server.
    process.env.DOCKER_CLI = fakeDocker("no-server", "28.2.2", true);
    try {
      await expect(connectEngine()).rejects.toThrow(
        /^DOCKER_HOST=unix:\/\/.*no\.sock does not answer/,
      );
    } finally {
      for (const [key, value] of [
        ["DOCKER_HOST", saved.host],
        ["DOCKER_CLI", saved.cli],
      ] as const) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
    }
  });
});
