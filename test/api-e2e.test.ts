/**
 * End to end: the real server process, a real redis-server, real HTTP.
 * Each describe block owns its Redis so it can stop and restart it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { type AnyJson, json } from "./support/app.js";
import { sendRaw } from "./support/http-client.js";
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

describe("conditional writes over HTTP with Redis", () => {
  let redis: RedisServer;
  let api: ApiProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    api = await startApi({ env: { REDIS_URL: redis.url } });
    await waitForStatus(api, "/ready", 200, 5000);
  });
  afterAll(async () => {
    await api?.stop();
    await redis?.stop();
  });

  const send = (
    method: string,
    path: string,
    body: unknown,
    headers: Record<string, string> = {},
  ) =>
    fetch(api.baseUrl + path, {
      method,
      headers: { ...JSON_HEADERS, ...headers },
      body: JSON.stringify(body),
    });

  it("two writers read the same ETag: the first write wins, the stale one gets 412 and nothing is lost", async () => {
    await send("POST", "/user", { username: "shared", firstname: "Orig", lastname: "Inal" });
    const [readA, readB] = await Promise.all([
      fetch(`${api.baseUrl}/user/shared`),
      fetch(`${api.baseUrl}/user/shared`),
    ]);
    const tagA = readA.headers.get("etag") ?? "";
    expect(readB.headers.get("etag")).toBe(tagA);

    const writerA = await send(
      "PATCH",
      "/user/shared",
      { firstname: "Alice" },
      { "if-match": tagA },
    );
    expect(writerA.status).toBe(200);
    const writerB = await send("PATCH", "/user/shared", { lastname: "Bob" }, { "if-match": tagA });
    expect(writerB.status).toBe(412);
    expect(writerB.headers.get("content-type")).toBe("application/problem+json");

    // B re-reads, sees A's change, and writes on top of it.
    const reread = await fetch(`${api.baseUrl}/user/shared`);
    const current = await reread.json();
    expect(current).toMatchObject({ firstname: "Alice", lastname: "Inal" });
    const retry = await send(
      "PATCH",
      "/user/shared",
      { lastname: "Bob" },
      { "if-match": reread.headers.get("etag") ?? "" },
    );
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ firstname: "Alice", lastname: "Bob" });
  });

  it("gives exactly one 200 to 20 concurrent writers holding the same ETag", async () => {
    const created = await send("POST", "/user", {
      username: "contended",
      firstname: "C",
      lastname: "D",
    });
    const tag = created.headers.get("etag") ?? "";
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        send(
          "PUT",
          "/user/contended",
          { firstname: `Writer${i}`, lastname: "D" },
          { "if-match": tag },
        ),
      ),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(1);
    expect(statuses.filter((s) => s === 412)).toHaveLength(19);
    const winner = await responses[statuses.indexOf(200)]?.json();
    const stored = await (await fetch(`${api.baseUrl}/user/contended`)).json();
    expect(stored).toEqual(winner);
  });

  it("answers 304 to a matching If-None-Match and stores what it acknowledged, byte for byte", async () => {
    const name = "Zoë 😀 \u2028x";
    const created = await send("POST", "/user", {
      username: "exact",
      firstname: `  ${name}  `,
      lastname: "L",
    });
    expect((await json(created)).firstname).toBe(name);
    const read = await fetch(`${api.baseUrl}/user/exact`, {
      headers: { "if-none-match": created.headers.get("etag") ?? "" },
    });
    expect(read.status).toBe(304);
    expect((await json(await fetch(`${api.baseUrl}/user/exact`))).firstname).toBe(name);
  });
});

/** Status, title, and the headers every response must carry, from a raw HTTP exchange. */
function rawAnswer(text: string) {
  const [head = "", body = ""] = text.split("\r\n\r\n");
  const [statusLine = "", ...lines] = head.split("\r\n");
  const headers = new Map(
    lines.map((line) => {
      const colon = line.indexOf(":");
      return [line.slice(0, colon).toLowerCase(), line.slice(colon + 1).trim()] as const;
    }),
  );
  return {
    status: Number(statusLine.split(" ")[1]),
    headers,
    body: body === "" ? undefined : JSON.parse(body),
  };
}

describe("errors before the app, over raw sockets", () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await startApi({ env: { APP_VERSION: "raw" } });
  });
  afterAll(async () => api?.stop());

  it.each([
    [
      "an over-long target past Node's header limit",
      `GET /user/${"a".repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      414,
      "URI Too Long",
    ],
    [
      "an over-long target within it",
      `GET /user/${"a".repeat(9_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      414,
      "URI Too Long",
    ],
    [
      "headers over Node's limit",
      `GET /user HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`,
      431,
      "Request Header Fields Too Large",
    ],
    [
      "Expect: bogus",
      "GET /user HTTP/1.1\r\nHost: x\r\nExpect: bogus\r\n\r\n",
      417,
      "Expectation Failed",
    ],
    [
      "a method Node's parser does not know",
      "BREW /user HTTP/1.1\r\nHost: x\r\n\r\n",
      501,
      "Not Implemented",
    ],
    [
      "a method the parser knows but no resource implements",
      "PROPFIND /user HTTP/1.1\r\nHost: x\r\n\r\n",
      501,
      "Not Implemented",
    ],
    ["TRACE", "TRACE /user HTTP/1.1\r\nHost: x\r\n\r\n", 501, "Not Implemented"],
    ["a broken request line", "G\u0000T /user HTTP/1.1\r\nHost: x\r\n\r\n", 400, "Bad Request"],
    ["a missing Host", "GET /user HTTP/1.1\r\n\r\n", 400, "Bad Request"],
  ])("answers %s with %i, its title and the standard headers", async (_, raw, status, title) => {
    const exchange = await sendRaw(api.port, raw);
    const answer = rawAnswer(exchange.text);
    expect(answer.status).toBe(status);
    expect(answer.headers.get("content-type")).toBe("application/problem+json");
    expect(answer.body).toMatchObject({ status, title, type: "about:blank" });
    expect(answer.headers.get("x-app-version")).toBe("raw");
    expect(answer.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(answer.headers.get("content-security-policy")).toMatch(/^default-src 'none'/);
    expect(answer.headers.get("x-frame-options")).toBe("DENY");
    expect(answer.headers.get("strict-transport-security")).toMatch(/^max-age=/);
  });

  it("answers OPTIONS with 204 and Allow, and keeps serving", async () => {
    const exchange = await sendRaw(
      api.port,
      "OPTIONS /user/alice HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    const answer = rawAnswer(exchange.text);
    expect(answer.status).toBe(204);
    expect(answer.headers.get("allow")).toBe("DELETE, GET, HEAD, OPTIONS, PATCH, PUT");
    expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
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
