/**
 * The image's contents work. No Docker engine here, so the Dockerfile's stages
 * are reproduced in a temp folder by scripts/dockerless-build.ts (the same COPY
 * sources filtered by .dockerignore, the same RUN commands, read from the
 * Dockerfile), then the final stage's CMD is started with the final stage's
 * ENV, as the Dockerfile's numeric USER when the tests run as root, against
 * a real Redis.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { parse } from "yaml";
import { type BuildResult, buildWithoutDocker } from "../scripts/dockerless-build.js";
import { freePort } from "./support/redis-server.js";

const ROOT = resolve(import.meta.dirname, "..");
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};

let out = "";
let image: BuildResult;
const running = new Set<ChildProcess>();

beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), "userapi-image-"));
  // Let the image's unprivileged user traverse the temp folder, as in "/".
  chmodSync(out, 0o755);
  image = buildWithoutDocker({
    context: ROOT,
    outDir: out,
    // Reuse the local npm cache; the commands themselves stay the Dockerfile's.
    runEnv: { npm_config_prefer_offline: "true", npm_config_loglevel: "error" },
  });
}, 300_000);

afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  if (out) rmSync(out, { recursive: true, force: true });
});

interface Started {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  readonly port: number;
  output(): string;
  readonly exited: Promise<number | null>;
}

/** Runs the image's CMD from its WORKDIR with its ENV (plus `env`), optionally as USER. */
async function startImage(
  env: Record<string, string>,
  options: { asImageUser?: boolean } = {},
): Promise<Started> {
  const port = await freePort();
  const [command, ...args] = image.cmd;
  expect(command).toBe("node");
  const [uid, gid] = (image.user ?? "").split(":").map(Number);
  const child = spawn(process.execPath, args, {
    cwd: image.appDir,
    // Only what the image defines, plus the runtime values a platform injects.
    env: { ...image.env, PORT: String(port), HOST: "127.0.0.1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
    ...(options.asImageUser ? { uid, gid } : {}),
  });
  running.add(child);
  let output = "";
  child.stdout?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on("data", (c: Buffer) => {
    output += c.toString();
  });
  const exited = new Promise<number | null>((r) =>
    child.once("exit", (code) => {
      running.delete(child);
      r(code);
    }),
  );
  return { child, baseUrl: `http://127.0.0.1:${port}`, port, output: () => output, exited };
}

async function waitFor(url: string, child: ChildProcess, output: () => string): Promise<Response> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output()}`);
    try {
      const res = await fetch(url);
      if (res.status === 200) return res;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no 200 from ${url} within 15 s: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs an exec-form health check command; resolves to its exit code. */
function runCheck(command: readonly string[], env: Record<string, string>): Promise<number | null> {
  const [file, ...args] = command;
  expect(file).toBe("node");
  const child = spawn(process.execPath, args, { env: { ...image.env, ...env }, stdio: "ignore" });
  return new Promise((r) => child.once("exit", (code) => r(code)));
}

describe("the image built without Docker", () => {
  it("ran exactly the Dockerfile's install and build commands", () => {
    expect(image.commands).toEqual([
      { stage: "build", command: "npm ci --ignore-scripts" },
      { stage: "build", command: "npm run build" },
      { stage: "deps", command: "npm ci --omit=dev --ignore-scripts" },
    ]);
  });

  it("holds the compiled API, its Lua scripts and package metadata, and no sources or tests", () => {
    const app = image.appDir;
    expect(readdirSync(app).sort()).toEqual([
      "build",
      "node_modules",
      "package-lock.json",
      "package.json",
    ]);
    expect(existsSync(join(app, "build/api/main.js"))).toBe(true);
    // The bundle loads its Lua scripts from ./lua beside it.
    const lua = readdirSync(join(app, "build/api/lua")).sort();
    expect(lua).toEqual(readdirSync(join(ROOT, "api/store/lua")).sort());
    const files = readdirSync(join(app, "build"), { recursive: true }).map(String);
    expect(files.filter((f) => f.endsWith(".ts") || f.includes(".test."))).toEqual([]);
  });

  it("installs production dependencies only", () => {
    const modules = join(image.appDir, "node_modules");
    for (const dep of Object.keys(pkg.dependencies)) {
      expect(existsSync(join(modules, dep, "package.json")), dep).toBe(true);
    }
    // The lockfile marks every package only dev dependencies reach with "dev": true.
    const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, meta]) => path.startsWith("node_modules/") && meta.dev === true)
      .map(([path]) => path);
    expect(devOnly).toContain("node_modules/typescript");
    for (const path of devOnly) {
      expect(existsSync(join(image.appDir, path)), `${path} (dev only)`).toBe(false);
    }
    expect(Object.keys(pkg.devDependencies).length).toBeGreaterThan(0);
    expect(existsSync(join(modules, "vitest"))).toBe(false);
  });

  it("defines NODE_ENV=production and the API's port", () => {
    expect(image.env).toMatchObject({ NODE_ENV: "production", PORT: "8080" });
  });
});

describe("the image's CMD, started with NODE_ENV=production", () => {
  it("answers /ready with 200 against a real Redis, then exits 0 on SIGTERM", async () => {
    const api = await startImage({ REDIS_URL: inject("redisUrl") });
    const ready = await waitFor(`${api.baseUrl}/ready`, api.child, api.output);
    expect(await ready.json()).toEqual({ status: "ok", checks: { redis: "ok" } });
    expect(ready.headers.get("x-app-version")).toBe(pkg.version);

    // The Dockerfile's HEALTHCHECK and compose.yaml's check, as written, against this port.
    expect(image.healthcheck).toBeDefined();
    expect(await runCheck(image.healthcheck ?? [], { PORT: String(api.port) })).toBe(0);
    const compose = parse(readFileSync(join(ROOT, "compose.yaml"), "utf8")) as {
      services: { api: { healthcheck: { test: string[] } } };
    };
    const composeCheck = compose.services.api.healthcheck.test
      .slice(1)
      .map((arg) => arg.replace("127.0.0.1:8080/", `127.0.0.1:${api.port}/`));
    expect(await runCheck(composeCheck, {})).toBe(0);

    api.child.kill("SIGTERM");
    expect(await api.exited).toBe(0);
  }, 30_000);

  it.skipIf(process.getuid?.() !== 0)(
    "runs as the Dockerfile's numeric USER with root-owned files it cannot write",
    async () => {
      const api = await startImage({ REDIS_URL: inject("redisUrl") }, { asImageUser: true });
      const res = await waitFor(`${api.baseUrl}/ready`, api.child, api.output);
      expect(res.status).toBe(200);
      const created = await fetch(`${api.baseUrl}/user`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          username: `image-${Date.now().toString(36)}`,
          firstname: "Image",
          lastname: "User",
        }),
      });
      expect(created.status).toBe(201);
      await fetch(`${api.baseUrl}${created.headers.get("location")}`, { method: "DELETE" });
      api.child.kill("SIGTERM");
      expect(await api.exited).toBe(0);
    },
    30_000,
  );

  it("exits 1 with a message naming REDIS_URL when it is missing", async () => {
    const api = await startImage({});
    expect(await api.exited).toBe(1);
    expect(api.output()).toContain("REDIS_URL");
  }, 30_000);
});
