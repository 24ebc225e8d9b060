/**
 * GET /serving, the readiness probe, on the real server process over HTTP:
 * 200 while it accepts traffic, whatever Redis does (so a Redis outage keeps
 * every pod in the Service and clients get the API's own 503 problem+json
 * with Retry-After on /user routes), and 503 `draining` once SIGTERM arrived.
 */
import { connect } from "node:net";
import { afterEach, describe, expect, inject, it } from "vitest";
import { type ApiProcess, startApi } from "./support/api-process.js";
import { freePort } from "./support/redis-server.js";

describe("GET /serving (real process)", () => {
  let api: ApiProcess | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  it("answers 200 ok as JSON while the process serves", async () => {
    api = await startApi({
      env: { REDIS_URL: inject("redisUrl"), NODE_ENV: "production", AUTH_DISABLED: "true" },
    });
    const response = await fetch(`${api.baseUrl}/serving`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("stays 200 while Redis is unreachable; /ready reports it and /user answers its own 503", async () => {
    // A port nothing listens on: Redis is "down" from the first second.
    const nowhere = `redis://127.0.0.1:${await freePort()}`;
    api = await startApi({
      env: { REDIS_URL: nowhere, NODE_ENV: "production", AUTH_DISABLED: "true" },
    });
    const serving = await fetch(`${api.baseUrl}/serving`);
    expect(serving.status).toBe(200);
    expect(await serving.json()).toEqual({ status: "ok" });

    const ready = await fetch(`${api.baseUrl}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: "unavailable", checks: { redis: "down" } });

    const started = performance.now();
    const user = await fetch(`${api.baseUrl}/user?limit=1`);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(user.status).toBe(503);
    expect(user.headers.get("content-type")).toBe("application/problem+json");
    expect(user.headers.get("retry-after")).toBe("1");
    expect(await user.json()).toMatchObject({ status: 503 });
    expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
  });

  it("answers 503 draining after SIGTERM, on a connection the server still serves", async () => {
    api = await startApi({ env: { REDIS_URL: inject("redisUrl") } });
    expect((await fetch(`${api.baseUrl}/serving`)).status).toBe(200);

    // A request that has begun (its headers are not finished) keeps its connection
    // open through the drain; it completes after SIGTERM arrived.
    const socket = connect(api.port, "127.0.0.1");
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("error", reject);
    });
    let raw = "";
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      raw += chunk;
    });
    const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
    socket.write("GET /serving HTTP/1.1\r\nHost: userapi\r\n");
    await new Promise((resolve) => setTimeout(resolve, 100));

    const child = api.child;
    child.kill("SIGTERM");
    const deadline = performance.now() + 5000;
    while (!api.lines.some((line) => line.includes("shutting down"))) {
      if (performance.now() > deadline) throw new Error("no shutdown log line");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // New connections are refused once draining began.
    await expect(fetch(`${api.baseUrl}/serving`)).rejects.toThrow();

    socket.write("\r\n");
    await closed;
    const [head = "", body = ""] = raw.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head).toMatch(/\r\ncontent-type: application\/json/i);
    expect(head).toMatch(/\r\nconnection: close/i);
    expect(JSON.parse(body)).toEqual({ status: "draining" });
    expect((await api.exited).code).toBe(0);
  });
});
