/**
 * The image, built by Docker from the repository's Dockerfile (once, in
 * test/support/docker-global-setup.ts) and checked for real: its layers as
 * `docker save` writes them, its configuration, and a container run the way
 * the chart runs it (read-only, numeric user, no capabilities) against a real
 * Redis container on a network this run created.
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { finalUser, parseDockerfile } from "../scripts/docker/dockerfile.js";
import { runCommand } from "../scripts/docker/engine.js";
import {
  containerState,
  type DockerSetup,
  docker,
  dockerSetup,
  publishedPort,
  uniqueSuffix,
  waitHealthy,
} from "./support/docker.js";

const ROOT = resolve(import.meta.dirname, "..");
const dockerfile = parseDockerfile(readFileSync(join(ROOT, "Dockerfile"), "utf8"));
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as {
  packages: Record<string, { dev?: boolean }>;
};
/** Packages only dev dependencies reach (npm marks them "dev": true in the lockfile). */
const DEV_ONLY = Object.entries(lock.packages)
  .filter(([path, meta]) => path.startsWith("node_modules/") && meta.dev === true)
  .map(([path]) => `app/${path}/`);
const SIZE_GOAL_MB = 250;

let setup: DockerSetup;
let work: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "userapi-image-test-"));
});

// Without Docker this is the test that fails, with the reason (e.g. the install hint);
// every group below then cannot start.
it("has a Docker engine and the image built from the Dockerfile", () => {
  setup = dockerSetup();
  expect(setup.apiImage).toMatch(/^userapi:test-[0-9a-f]{8}$/);
  console.log(
    `docker: ${setup.mode} engine ${setup.serverVersion}, ${setup.baseSource} base images; ` +
      `build ${setup.buildSeconds.toFixed(1)} s` +
      (setup.standinsBuilt.length > 0 ? `, stand-ins ${setup.standinSeconds.toFixed(1)} s` : ""),
  );
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

interface Layer {
  readonly createdBy: string;
  readonly bytes: number;
  readonly files: readonly string[];
}

/** Every layer's file list, from the tarball `docker save` writes (layers in order). */
async function saveLayers(image: string): Promise<Layer[]> {
  const dir = join(work, "save");
  const archive = join(work, "image.tar");
  await docker(setup, ["save", "--output", archive, image]);
  await runCommand("mkdir", ["-p", dir]);
  await runCommand("tar", ["-xf", archive, "-C", dir]);
  const [manifest] = JSON.parse(readFileSync(join(dir, "manifest.json"), "utf8")) as {
    Layers: string[];
    Config: string;
  }[];
  if (!manifest) throw new Error("docker save wrote no manifest");
  const config = JSON.parse(readFileSync(join(dir, manifest.Config), "utf8")) as {
    history: { created_by?: string; comment?: string; empty_layer?: boolean }[];
  };
  const history = config.history.filter((h) => !h.empty_layer);
  const layers: Layer[] = [];
  for (const [index, layer] of manifest.Layers.entries()) {
    const listing = await runCommand("tar", ["-tvf", join(dir, layer)]);
    const lines = listing.stdout.split("\n").filter(Boolean);
    layers.push({
      createdBy: history[index]?.created_by ?? history[index]?.comment ?? "?",
      // Device nodes list "major,minor" where a size would be.
      bytes: lines.reduce((sum, line) => sum + (Number(line.split(/\s+/)[2]) || 0), 0),
      files: (await runCommand("tar", ["-tf", join(dir, layer)])).stdout
        .split("\n")
        .filter(Boolean)
        .map((f) => f.replace(/^\.\//, "")),
    });
  }
  rmSync(dir, { recursive: true, force: true });
  rmSync(archive, { force: true });
  return layers;
}

describe("the image's layers", () => {
  let layers: Layer[];
  let files: string[];

  beforeAll(async () => {
    setup = dockerSetup();
    layers = await saveLayers(setup.apiImage);
    files = layers.flatMap((l) => l.files);
  }, 120_000);

  it("hold no dev dependency (the lockfile's dev-only packages)", () => {
    expect(DEV_ONLY.length).toBeGreaterThan(50);
    expect(DEV_ONLY).toContain("app/node_modules/typescript/");
    const found = DEV_ONLY.filter((prefix) => files.some((f) => f.startsWith(prefix)));
    expect(found).toEqual([]);
  });

  it("hold of node_modules only swagger-ui-dist, whose files /docs serves (the bundle has the rest)", () => {
    const packages = new Set(
      files
        .filter((f) => f.startsWith("app/node_modules/"))
        .map((f) =>
          f
            .split("/")
            .slice(2, f.split("/")[2]?.startsWith("@") ? 4 : 3)
            .join("/"),
        )
        .filter(Boolean),
    );
    expect([...packages]).toEqual(["swagger-ui-dist"]);
    expect(files).toContain("app/node_modules/swagger-ui-dist/swagger-ui-bundle.js");
  });

  it("hold in /app only the bundle, its Lua scripts, legal notices and package.json", () => {
    const app = files.filter(
      (f) => f.startsWith("app/") && !f.startsWith("app/node_modules/") && !f.endsWith("/"),
    );
    const unexpected = app.filter(
      (f) =>
        !/^app\/(package\.json|build\/api\/main\.js|build\/api\/main\.js\.LEGAL\.txt|build\/api\/lua\/[a-z0-9-]+\.lua)$/.test(
          f,
        ),
    );
    expect(unexpected).toEqual([]);
    expect(app).toContain("app/build/api/main.js");
    // The bundle loads its Lua scripts from ./lua beside it.
    const lua = app.filter((f) => f.startsWith("app/build/api/lua/")).map((f) => f.slice(18));
    expect(lua.sort()).toEqual(readdirSync(join(ROOT, "api/store/lua")).sort());
  });

  it("hold no TypeScript sources, tests, source maps or .env files anywhere", () => {
    // The app's own files; a base image's tools (npm, yarn) ship their own maps and typings.
    const ours = files.filter((f) => f.startsWith("app/") && !f.startsWith("app/node_modules/"));
    expect(ours.length).toBeGreaterThan(3);
    expect(ours.filter((f) => /\.(ts|map)$/.test(f))).toEqual([]);
    expect(files.filter((f) => /(^|\/)\.env(\.|$)/.test(f))).toEqual([]);
    expect(files.filter((f) => /^app\/(api|test|charts|scripts|dist)\//.test(f))).toEqual([]);
    expect(files.filter((f) => /\.test\.[jt]s$/.test(f) && f.startsWith("app/build"))).toEqual([]);
  });

  it(`weighs under ${SIZE_GOAL_MB} MB (the layer sizes say what dominates)`, async () => {
    const size = Number(
      (await docker(setup, ["image", "inspect", "--format", "{{.Size}}", setup.apiImage])).stdout,
    );
    const mb = (bytes: number) => (bytes / 1e6).toFixed(1);
    const table = layers
      .map((l) => `  ${mb(l.bytes).padStart(7)} MB  ${l.createdBy.slice(0, 110)}`)
      .join("\n");
    console.log(`image ${setup.apiImage} on ${setup.nodeImage}: ${mb(size)} MB\n${table}`);
    expect(size).toBeGreaterThan(50e6);
    expect(size).toBeLessThan(SIZE_GOAL_MB * 1e6);
  });
});

/** The files Docker sends as build context for `dir`, under its .dockerignore (BuildKit, no image made). */
async function contextFiles(dir: string): Promise<string[]> {
  const out = mkdtempSync(join(work, "context-"));
  await docker(setup, ["build", "--file", "-", "--output", `type=local,dest=${out}`, dir], {
    input: "FROM scratch\nCOPY . /\n",
  });
  const files = readdirSync(out, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => relative(out, join(entry.parentPath, entry.name)))
    .sort();
  rmSync(out, { recursive: true, force: true });
  return files;
}

describe("the build context (.dockerignore, applied by Docker itself)", () => {
  beforeAll(() => {
    setup = dockerSetup();
  });

  it("holds what the Dockerfile copies: package files, .npmrc, scripts/build.ts, api/ without tests", async () => {
    const files = await contextFiles(ROOT);
    expect([...new Set(files.map((f) => f.split("/")[0]))].sort()).toEqual([
      ".npmrc",
      "api",
      "package-lock.json",
      "package.json",
      "scripts",
    ]);
    expect(files.filter((f) => f.startsWith("scripts/"))).toEqual(["scripts/build.ts"]);
    const api = readdirSync(join(ROOT, "api"), { recursive: true, withFileTypes: true })
      .filter((entry) => !entry.isDirectory())
      .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)));
    const sources = api.filter((f) => !/\.test\.ts$|__snapshots__|\.md$/.test(f));
    expect(sources.length).toBeGreaterThan(20);
    expect(files.filter((f) => f.startsWith("api/")).sort()).toEqual(sources.sort());
  }, 60_000);

  it("keeps out what a working copy may hold: .env, node_modules, tests, snapshots, docs, .git", async () => {
    const dir = mkdtempSync(join(work, "fake-context-"));
    const put = (path: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), "x");
    };
    copyFileSync(join(ROOT, ".dockerignore"), join(dir, ".dockerignore"));
    const kept = ["package.json", "package-lock.json", ".npmrc", "scripts/build.ts", "api/main.ts"];
    const dropped = [
      ".env",
      ".env.local",
      "api/.env",
      "node_modules/hono/package.json",
      "build/api/main.js",
      "test/support/redis-server.ts",
      "api/routes/users/users.test.ts",
      "api/routes/users/__snapshots__/users.test.ts.snap",
      "api/NOTES.md",
      "charts/main.ts",
      "dist/0000-userapi.k8s.yaml",
      "scripts/smoke/main.ts",
      ".git/HEAD",
      "compose.yaml",
      "README.md",
      "coverage/index.html",
    ];
    for (const path of [...kept, ...dropped]) put(path);
    expect(await contextFiles(dir)).toEqual([...kept].sort());
  }, 60_000);
});

describe("the image's configuration", () => {
  interface ImageConfig {
    User: string;
    Env: string[];
    Cmd: string[];
    WorkingDir: string;
    ExposedPorts: Record<string, object>;
    Healthcheck?: { Test: string[] };
  }
  let config: ImageConfig;

  beforeAll(async () => {
    setup = dockerSetup();
    const out = await docker(setup, [
      "image",
      "inspect",
      "--format",
      "{{json .Config}}",
      setup.apiImage,
    ]);
    config = JSON.parse(out.stdout) as ImageConfig;
  });

  it("runs as the Dockerfile's numeric, non-root USER", () => {
    expect(config.User).toBe(finalUser(dockerfile));
    expect(config.User).toMatch(/^[1-9]\d*:[1-9]\d*$/);
  });

  it("starts node on the bundle with NODE_ENV=production on port 8080", () => {
    expect(config.Cmd).toEqual(["node", "build/api/main.js"]);
    expect(config.WorkingDir).toBe("/app");
    expect(config.Env).toContain("NODE_ENV=production");
    expect(config.Env).toContain("PORT=8080");
    expect(Object.keys(config.ExposedPorts)).toEqual(["8080/tcp"]);
  });

  it("has a bundle that requires nothing but Node.js built-ins (no package is missing)", async () => {
    const bundle = await docker(setup, [
      "run",
      "--rm",
      "--network",
      "none",
      "--entrypoint",
      "cat",
      setup.apiImage,
      "build/api/main.js",
    ]);
    // require() calls esbuild left for externals, and the top-level imports of the ESM bundle.
    const patterns = [
      /\b(?:__)?require\(\s*["']([^"']+)["']\s*\)/g,
      /^import\b[^;\n]*?\bfrom\s*["']([^"']+)["']/gm,
      /\bimport\(\s*["']([^"']+)["']\s*\)/g,
    ];
    const required = new Set(
      patterns.flatMap((pattern) =>
        [...bundle.stdout.matchAll(pattern)].map((m) => (m[1] ?? "").replace(/^node:/, "")),
      ),
    );
    expect(required.size).toBeGreaterThan(10);
    expect([...required].filter((name) => !builtinModules.includes(name))).toEqual([]);
  });

  it("carries the HEALTHCHECK, run by node (no curl in the image)", () => {
    expect(config.Healthcheck?.Test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(config.Healthcheck?.Test.join(" ")).toContain("/health");
  });
});

describe("a container of the image, read-only, as 10001:10001, with no capabilities", () => {
  const suffix = uniqueSuffix();
  const network = `userapi-image-${suffix}`;
  const redisName = `userapi-image-redis-${suffix}`;
  const apiName = `userapi-image-api-${suffix}`;
  let baseUrl: string;
  let secondsToHealthy: number;

  beforeAll(async () => {
    setup = dockerSetup();
    // Its own network: the API reaches Redis by name (on a private dockerd, nothing beyond).
    await docker(setup, ["network", "create", network]);
    await docker(setup, [
      "run",
      "--detach",
      "--name",
      redisName,
      "--network",
      network,
      "--network-alias",
      "redis",
      setup.redisImage,
      "redis-server",
      "--save",
      "",
    ]);
    const started = Date.now();
    await docker(setup, [
      "run",
      "--detach",
      "--name",
      apiName,
      "--network",
      network,
      "--publish",
      "127.0.0.1::8080",
      "--read-only",
      "--user",
      "10001:10001",
      "--cap-drop",
      "ALL",
      "--security-opt",
      "no-new-privileges:true",
      "--env",
      "REDIS_URL=redis://redis:6379",
      "--env",
      "LOG_LEVEL=info",
      // Production mode needs this or a JWKS (the Compose test runs the image with one).
      "--env",
      "AUTH_DISABLED=true",
      setup.apiImage,
    ]);
    await waitHealthy(setup, apiName, 90_000);
    secondsToHealthy = (Date.now() - started) / 1000;
    baseUrl = `http://127.0.0.1:${await publishedPort(setup, apiName, 8080)}`;
  }, 180_000);

  afterAll(async () => {
    if (!setup) return;
    await docker(setup, ["rm", "--force", apiName, redisName], { allowFailure: true });
    await docker(setup, ["network", "rm", network], { allowFailure: true });
  });

  it("reports healthy through its HEALTHCHECK and is ready against Redis", async () => {
    console.log(`image: healthy ${secondsToHealthy.toFixed(1)} s after docker run`);
    expect((await containerState(setup, apiName)).Health?.Status).toBe("healthy");
    const ready = await fetch(`${baseUrl}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: "ok", checks: { redis: "ok" } });
    expect(ready.headers.get("x-app-version")).toBe(pkg.version);
  });

  it("serves a create, read, replace, patch, delete round trip", async () => {
    const username = `image-${suffix}`;
    const send = (method: string, path: string, body?: object) =>
      fetch(`${baseUrl}${path}`, {
        method,
        headers: body ? { "content-type": "application/json" } : {},
        ...(body ? { body: JSON.stringify(body) } : {}),
      });
    const created = await send("POST", "/user", {
      username,
      firstname: "Image",
      lastname: "Test",
      email: `${username}@example.com`,
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe(`/user/${username}`);
    const read = await send("GET", `/user/${username}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ username, email: `${username}@example.com` });
    const put = await send("PUT", `/user/${username}`, { firstname: "Imogen", lastname: "Test" });
    expect(put.status).toBe(200);
    expect(await put.json()).not.toHaveProperty("email");
    const patch = await send("PATCH", `/user/${username}`, { lastname: "Tested" });
    expect(await patch.json()).toMatchObject({ firstname: "Imogen", lastname: "Tested" });
    expect((await send("DELETE", `/user/${username}`)).status).toBe(204);
    expect((await send("GET", `/user/${username}`)).status).toBe(404);
  });

  it("serves /docs with its Swagger UI files, /openapi.json and /metrics", async () => {
    const page = await fetch(`${baseUrl}/docs`);
    expect(page.status).toBe(200);
    const assets = [
      ...new Set((await page.text()).match(/\/docs\/assets\/swagger-ui-dist\/[\w.-]+/g)),
    ];
    expect(assets.length).toBeGreaterThanOrEqual(2);
    for (const asset of assets) {
      const res = await fetch(`${baseUrl}${asset}`);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(1000);
    }
    expect((await fetch(`${baseUrl}/openapi.json`)).status).toBe(200);
    const metrics = await fetch(`${baseUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain("process_cpu_seconds_total");
  });

  it("runs node as PID 1 under uid 10001 with no capabilities and cannot write its filesystem", async () => {
    const probe = await docker(setup, [
      "exec",
      apiName,
      "node",
      "-e",
      [
        "const fs = require('node:fs');",
        "const status = fs.readFileSync('/proc/self/status', 'utf8');",
        "let write = 'ok';",
        "try { fs.writeFileSync('/app/probe', 'x'); } catch (e) { write = e.code; }",
        "let tmp = 'ok';",
        "try { fs.writeFileSync('/tmp/probe', 'x'); } catch (e) { tmp = e.code; }",
        "console.log(JSON.stringify({",
        "  pid1: fs.readFileSync('/proc/1/cmdline', 'utf8').split('\\0').filter(Boolean),",
        "  uid: process.getuid(), gid: process.getgid(),",
        "  capEff: /CapEff:\\s*(\\w+)/.exec(status)[1], noNewPrivs: /NoNewPrivs:\\s*(\\d)/.exec(status)[1],",
        "  write, tmp }));",
      ].join(" "),
    ]);
    expect(JSON.parse(probe.stdout)).toEqual({
      pid1: ["node", "build/api/main.js"],
      uid: 10001,
      gid: 10001,
      capEff: "0000000000000000",
      noNewPrivs: "1",
      write: "EROFS",
      tmp: "EROFS",
    });
  });

  it("stops on docker stop (SIGTERM) with exit code 0, well inside the grace period", async () => {
    const grace = 20;
    const started = Date.now();
    await docker(setup, ["stop", "--time", String(grace), apiName]);
    const seconds = (Date.now() - started) / 1000;
    console.log(`image: docker stop took ${seconds.toFixed(1)} s (grace ${grace} s)`);
    const state = await containerState(setup, apiName);
    expect(state.ExitCode).toBe(0);
    expect(state.OOMKilled).toBe(false);
    expect(seconds).toBeLessThan(grace / 2);
    const logs = await docker(setup, ["logs", apiName]);
    expect(logs.stdout).toContain('"msg":"shutdown complete"');
  }, 60_000);
});
