/**
 * End to end: the real server process, a real redis-server, real HTTP.
 * Each describe block owns its Redis so it can stop and restart it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { type AnyJson, json } from "./support/app.js";
import { type RedisServer, startRedisServer } from "./support/redis-server.js";

const JSON_HEADERS = { "content-type": "application/json" };

async function call(
  api: ApiProcess,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: AnyJson; headers: Headers }> {
  const response = await fetch(api.baseUrl + path, {
    method,
    ...(body === undefined ? {} : { headers: JSON_HEADERS, body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text === "" ? undefined : JSON.parse(text),
  };
}

describe("API process with Redis", () => {
  let redis: RedisServer;
  let api: ApiProcess;

  beforeAll(async () => {
    // Persistence on, so a restart of this Redis keeps what was written before it.
    redis = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
    api = await startApi({ env: { REDIS_URL: redis.url, APP_VERSION: "e2e" } });
    await waitForStatus(api, "/ready", 200, 5000);
  });
  afterAll(async () => {
    await api?.stop();
    await redis?.stop();
  });

  it("serves a full CRUD round trip", async () => {
    const created = await call(api, "POST", "/user", {
      username: "e2e.alice",
      firstname: "Alice",
      lastname: "Liddell",
      email: "alice@example.com",
    });
    expect(created.status).toBe(201);
    expect(created.headers.get("location")).toBe("/user/e2e.alice");
    expect(created.headers.get("x-app-version")).toBe("e2e");

    expect((await call(api, "GET", "/user/e2e.alice")).body).toEqual(created.body);

    const patched = await call(api, "PATCH", "/user/e2e.alice", { email: null });
    expect(patched.status).toBe(200);
    expect(patched.body).not.toHaveProperty("email");

    const replaced = await call(api, "PUT", "/user/e2e.alice", {
      firstname: "Alicia",
      lastname: "L",
      email: "alicia@example.com",
    });
    expect(replaced.body).toMatchObject({ firstname: "Alicia", email: "alicia@example.com" });
    expect(replaced.body.createdAt).toBe(created.body.createdAt);

    expect((await call(api, "DELETE", "/user/e2e.alice")).status).toBe(204);
    expect((await call(api, "GET", "/user/e2e.alice")).status).toBe(404);
  });

  it("sends the standard headers over real HTTP, on errors too, and the docs page keeps its own CSP", async () => {
    for (const path of ["/user", "/user/nobody", "/nowhere", "/user/BAD"]) {
      const response = await fetch(api.baseUrl + path, { headers: { "x-request-id": "e2e-h-1" } });
      await response.arrayBuffer();
      expect(response.headers.get("x-app-version")).toBe("e2e");
      expect(response.headers.get("x-request-id")).toBe("e2e-h-1");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
    }
    const docs = await fetch(`${api.baseUrl}/docs`);
    await docs.arrayBuffer();
    const csp = docs.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'sha256-/);
    expect(csp.match(/default-src/g)).toHaveLength(1);
  });

  it("gives exactly one 201 to 50 concurrent creates of one username", async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call(api, "POST", "/user", { username: "race", firstname: `F${i}`, lastname: "L" }),
      ),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(49);
    const winner = results.find((r) => r.status === 201)?.body;
    expect((await call(api, "GET", "/user/race")).body).toEqual(winner);
  });

  it("pages through 45 users in ascending order", async () => {
    const names = Array.from(
      { length: 45 },
      (_, i) => `page${String((i * 7) % 45).padStart(2, "0")}`,
    );
    await Promise.all(
      names.map((username) =>
        call(api, "POST", "/user", { username, firstname: "P", lastname: "Q" }),
      ),
    );
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `/user?limit=7${cursor === null ? "" : `&cursor=${cursor}`}`;
      const page = await call(api, "GET", query);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((u: { username: string }) => u.username));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    const pageUsers = seen.filter((n) => n.startsWith("page"));
    expect(pageUsers).toEqual([...names].sort());
    expect(seen).toEqual([...seen].sort());
  });

  it("logs one JSON line per request with route, status, duration and request id", async () => {
    const before = api.lines.length;
    await fetch(`${api.baseUrl}/user/nobody`, { headers: { "x-request-id": "e2e-log-1" } });
    await expect
      .poll(() => api.lines.slice(before).map((l) => JSON.parse(l)))
      .toContainEqual(
        expect.objectContaining({
          msg: "request",
          reqId: "e2e-log-1",
          method: "GET",
          route: "/user/:username",
          status: 404,
          durationMs: expect.any(Number),
        }),
      );
  });

  it("answers 503 within 1 s while Redis is down, never crashes, and recovers by itself", async () => {
    await call(api, "POST", "/user", { username: "survivor", firstname: "S", lastname: "V" });
    const { port, dir } = redis;
    await redis.kill("SIGKILL");

    const started = performance.now();
    const during = await Promise.all([
      call(api, "GET", "/user/survivor"),
      call(api, "POST", "/user", { username: "lost", firstname: "L", lastname: "O" }),
      call(api, "GET", "/user"),
      call(api, "DELETE", "/user/survivor"),
    ]);
    const elapsed = performance.now() - started;
    expect(during.map((r) => r.status)).toEqual([503, 503, 503, 503]);
    expect(during.every((r) => r.headers.get("retry-after") === "1")).toBe(true);
    expect(elapsed).toBeLessThan(1000);
    const ready = await call(api, "GET", "/ready");
    expect(ready.status).toBe(503);
    expect(ready.body).toEqual({ status: "unavailable", checks: { redis: "down" } });
    expect((await call(api, "GET", "/health")).status).toBe(200);
    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    expect(metrics).toContain("userapi_store_up 0");

    redis = await startRedisServer({
      port,
      dir,
      removeDirOnStop: true,
      args: ["--appendonly", "yes", "--appendfsync", "always"],
    });
    const recoveredIn = await waitForStatus(api, "/ready", 200, 5000);
    console.log(
      `e2e outage: 4 requests answered 503 in ${elapsed.toFixed(0)} ms; ready again ${recoveredIn.toFixed(0)} ms after Redis restarted`,
    );
    expect(recoveredIn).toBeLessThan(2000);
    expect((await call(api, "GET", "/user/survivor")).status).toBe(200);
    expect((await call(api, "GET", "/user/lost")).status).toBe(404);
    expect(api.child.exitCode).toBeNull();
  });
});

describe("API process shutdown", () => {
  let redis: RedisServer;
  afterAll(async () => redis?.stop());

  it("finishes in-flight requests on SIGTERM, then exits 0", async () => {
    redis = await startRedisServer();
    const api = await startApi({ env: { REDIS_URL: redis.url } });
    await waitForStatus(api, "/ready", 200, 5000);

    // Bodies that trickle in over ~600 ms keep these requests in flight across the signal.
    const slowBody = (username: string) => {
      const json = JSON.stringify({ username, firstname: "Slow", lastname: "Client" });
      const encoder = new TextEncoder();
      let sent = 0;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          await new Promise((r) => setTimeout(r, 100));
          const piece = json.slice(sent, sent + Math.ceil(json.length / 6));
          sent += piece.length;
          controller.enqueue(encoder.encode(piece));
          if (sent >= json.length) controller.close();
        },
      });
    };
    const inFlight = Array.from({ length: 10 }, (_, i) =>
      fetch(`${api.baseUrl}/user`, {
        method: "POST",
        headers: JSON_HEADERS,
        body: slowBody(`slow${i}`),
        duplex: "half",
      } as RequestInit).then(async (r) => ({ status: r.status, body: await json(r) })),
    );
    await new Promise((r) => setTimeout(r, 250));
    api.child.kill("SIGTERM");

    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(201));
    const { code, signal } = await api.exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    expect(api.lines.some((l) => l.includes("shutdown complete"))).toBe(true);
    await expect(fetch(`${api.baseUrl}/health`)).rejects.toThrow();
  });
});

describe("API process configuration", () => {
  it("exits 1 naming the variable when the environment is invalid", async () => {
    const api = await startApi({ env: { PORT: "not-a-port" }, waitFor: null });
    const { code } = await api.exited;
    expect(code).toBe(1);
    expect(api.stderr()).toMatch(/PORT must be an integer/);
  });

  it("refuses to start in production without REDIS_URL", async () => {
    const api = await startApi({ env: { NODE_ENV: "production" }, waitFor: null });
    expect((await api.exited).code).toBe(1);
    expect(api.stderr()).toMatch(/REDIS_URL is required when NODE_ENV=production/);
  });

  it("serves CRUD from the in-memory store without REDIS_URL, with a warning", async () => {
    const api = await startApi();
    try {
      const created = await call(api, "POST", "/user", {
        username: "memo",
        firstname: "M",
        lastname: "E",
      });
      expect(created.status).toBe(201);
      expect((await call(api, "GET", "/ready")).status).toBe(200);
      await expect.poll(() => api.lines.some((l) => l.includes("in-memory store"))).toBe(true);
    } finally {
      await api.stop();
    }
  });
});
