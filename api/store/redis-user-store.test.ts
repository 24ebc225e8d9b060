/** Redis-specific behaviour: the key layout on a real server, and outages. */
import { Redis } from "ioredis";
import { afterAll, afterEach, describe, expect, inject, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../test/support/redis-server.js";
import { createRedisSubject, type StoreSubject } from "../../test/support/stores.js";
import { redisKeys } from "./redis-keys.js";
import { RedisUserStore } from "./redis-user-store.js";
import { StoreUnavailableError } from "./user-store.js";

describe("RedisUserStore key layout", () => {
  let subject: (StoreSubject & { store: RedisUserStore; namespace: string }) | undefined;
  const raw = new Redis(inject("redisUrl"));
  afterEach(async () => subject?.dispose());
  afterAll(() => raw.disconnect());

  it("writes one hash per user and indexes the username in a sorted set", async () => {
    subject = await createRedisSubject();
    const keys = redisKeys(subject.namespace);
    await subject.store.create("alice", { firstname: "Alice", lastname: "L" }, 42);
    expect(await raw.hgetall(keys.user("alice"))).toEqual({
      username: "alice",
      firstname: "Alice",
      lastname: "L",
      createdAt: "42",
      updatedAt: "42",
    });
    expect(await raw.zrange(keys.index, 0, -1, "WITHSCORES")).toEqual(["alice", "0"]);
    expect(await raw.keys(`{${subject.namespace}}:*`)).toHaveLength(2);
  });

  it("leaves no index entry behind after a delete", async () => {
    subject = await createRedisSubject();
    const keys = redisKeys(subject.namespace);
    await subject.store.create("alice", { firstname: "Alice", lastname: "L" }, 1);
    await subject.store.delete("alice");
    expect(await raw.exists(keys.user("alice"), keys.index)).toBe(0);
  });
});

describe("RedisUserStore during a Redis outage", () => {
  let server: RedisServer | undefined;
  let store: RedisUserStore | undefined;
  afterEach(async () => {
    await store?.close();
    await server?.stop();
  });

  it("fails fast with StoreUnavailableError while Redis is down and recovers when it returns", async () => {
    server = await startRedisServer();
    const { port, dir } = server;
    store = new RedisUserStore(server.url, { namespace: "outage" });
    await store.whenReady();
    await store.create("alice", { firstname: "A", lastname: "L" }, 1);

    await server.kill("SIGKILL");
    const started = performance.now();
    await expect(store.get("alice")).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(store.create("bob", { firstname: "B", lastname: "L" }, 2)).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
    expect(performance.now() - started).toBeLessThan(1000);
    expect(await store.ping()).toBe(false);
    expect(store.isAvailable()).toBe(false);

    server = await startRedisServer({ port, dir });
    await store.whenReady(3000);
    expect(await store.ping()).toBe(true);
    await store.create("carol", { firstname: "C", lastname: "L" }, 3);
    expect((await store.get("carol"))?.firstname).toBe("C");
  });

  it("reports unavailable instead of hanging when Redis never answered", async () => {
    store = new RedisUserStore("redis://127.0.0.1:1", { namespace: "never" });
    store.connect();
    const started = performance.now();
    await expect(store.list({ limit: 5 })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(await store.ping()).toBe(false);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
