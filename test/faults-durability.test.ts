/**
 * Durability with the project's own Redis flags (REDIS_PERSISTENCE_ARGS, the
 * list the StatefulSet and compose.yaml use): writes the API acknowledged,
 * a wait past the `appendfsync everysec` window, SIGKILL (no shutdown save),
 * restart on the same data directory; every acknowledged change is there,
 * through the API and in the raw keys. A control run without persistence
 * shows the same procedure does lose data, so the check can fail.
 *
 * SIGKILL ends the process but not the machine, so the kernel keeps what
 * Redis wrote to the AOF; what this proves is that an acknowledgement means
 * "in the AOF". The fsync wait bounds the remaining loss window (a node
 * crash) at the one second `everysec` allows, which a test cannot simulate.
 */
import { readdirSync, rmSync } from "node:fs";
import { Redis } from "ioredis";
import { afterAll, describe, expect, it } from "vitest";
import { REDIS_PERSISTENCE_ARGS } from "../charts/lib/redis-persistence.js";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { keepAliveAgent, send } from "./support/http-client.js";
import { consistencyProblems, readRawUsers } from "./support/redis-inspect.js";
import { startRedisServer } from "./support/redis-server.js";

const USERS = 300;
const PATCHED = 60;
const DELETED = 40;
/** Past `appendfsync everysec`: Redis fsyncs the AOF at least once a second. */
const FSYNC_WAIT_MS = 2000;
const JSON_HEADERS = { "content-type": "application/json" };

interface Expected {
  readonly present: ReadonlyMap<string, { firstname: string; lastname: string; email?: string }>;
  readonly deleted: ReadonlySet<string>;
}

/** Creates, patches and deletes users through the API; returns only what it acknowledged. */
async function writeThroughApi(api: ApiProcess, prefix: string): Promise<Expected> {
  const agent = keepAliveAgent(16);
  const present = new Map<string, { firstname: string; lastname: string; email?: string }>();
  const deleted = new Set<string>();
  const inBatches = async (items: number[], fn: (i: number) => Promise<void>) => {
    for (let i = 0; i < items.length; i += 16) await Promise.all(items.slice(i, i + 16).map(fn));
  };
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  try {
    await inBatches(range(0, USERS), async (i) => {
      const user = {
        username: `${prefix}${String(i).padStart(4, "0")}`,
        firstname: `Förname ${i}`,
        lastname: `Ñame-${i}`,
        ...(i % 3 === 0 ? { email: `u${i}@example.com` } : {}),
      };
      const r = await send(agent, api.port, {
        method: "POST",
        path: "/user",
        headers: JSON_HEADERS,
        body: JSON.stringify(user),
      });
      expect(r.status, r.body).toBe(201);
      const { username, ...fields } = user;
      present.set(username, fields);
    });
    const names = [...present.keys()];
    await inBatches(range(0, PATCHED), async (i) => {
      const username = names[i] as string;
      const r = await send(agent, api.port, {
        method: "PATCH",
        path: `/user/${username}`,
        headers: JSON_HEADERS,
        body: JSON.stringify({ lastname: `Patched ${i}`, email: null }),
      });
      expect(r.status, r.body).toBe(200);
      present.set(username, {
        firstname: present.get(username)?.firstname ?? "",
        lastname: `Patched ${i}`,
      });
    });
    await inBatches(range(USERS - DELETED, USERS), async (i) => {
      const username = names[i] as string;
      const r = await send(agent, api.port, { method: "DELETE", path: `/user/${username}` });
      expect(r.status, r.body).toBe(204);
      present.delete(username);
      deleted.add(username);
    });
    return { present, deleted };
  } finally {
    agent.destroy();
  }
}

describe("Redis durability with the project's persistence flags", () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** Redis + API, writes, wait, SIGKILL Redis, restart on the same dir and port; returns what the API sees. */
  async function crashAndRestart(args: readonly string[], waitMs: number) {
    // The helper puts its own defaults (`--appendonly no`, `--save ""`) first;
    // redis-server applies arguments in order, so these flags win.
    let redis = await startRedisServer({ args });
    // The restarted server is given the directory, so its stop() leaves it: remove it too.
    cleanups.push(async () => {
      await redis.stop();
      rmSync(redis.dir, { recursive: true, force: true });
    });
    const api = await startApi({ env: { REDIS_URL: redis.url, LOG_LEVEL: "warn" } });
    cleanups.push(() => api.stop());
    await waitForStatus(api, "/ready", 200, 5000);

    const expected = await writeThroughApi(api, "dur");
    await new Promise((resolve) => setTimeout(resolve, waitMs));
    const { port, dir } = redis;
    await redis.kill("SIGKILL");
    redis = await startRedisServer({ port, dir, args });
    await waitForStatus(api, "/ready", 200, 5000);
    return { api, redis, expected };
  }

  it("keeps every acknowledged create, update and delete across SIGKILL", async () => {
    const { api, redis, expected } = await crashAndRestart(REDIS_PERSISTENCE_ARGS, FSYNC_WAIT_MS);

    // The restarted server really runs with the project's flags and has an AOF.
    const probe = new Redis(redis.url);
    try {
      expect(await probe.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await probe.config("GET", "appendfsync")).toEqual(["appendfsync", "everysec"]);
    } finally {
      probe.disconnect();
    }
    expect(readdirSync(redis.dir).join(" ")).toMatch(/appendonly/);

    // Through the API.
    const agent = keepAliveAgent(16);
    const missing: string[] = [];
    try {
      const names = [...expected.present.keys()];
      for (let i = 0; i < names.length; i += 16) {
        await Promise.all(
          names.slice(i, i + 16).map(async (username) => {
            const r = await send(agent, api.port, { method: "GET", path: `/user/${username}` });
            const body = JSON.parse(r.body ?? "{}") as Record<string, unknown>;
            const want = expected.present.get(username);
            if (r.status !== 200) missing.push(`${username}: ${r.status ?? r.error}`);
            else if (
              body.firstname !== want?.firstname ||
              body.lastname !== want?.lastname ||
              body.email !== want?.email
            ) {
              missing.push(`${username}: ${r.body}`);
            }
          }),
        );
      }
      for (const username of expected.deleted) {
        const r = await send(agent, api.port, { method: "GET", path: `/user/${username}` });
        if (r.status !== 404) missing.push(`${username} was deleted but answers ${r.status}`);
      }
    } finally {
      agent.destroy();
    }
    expect(missing).toEqual([]);

    // And in the raw keys: exactly the acknowledged users, consistently indexed.
    const raw = await readRawUsers(redis.url);
    expect(consistencyProblems(raw)).toEqual([]);
    expect([...raw.index].sort()).toEqual([...expected.present.keys()].sort());
    for (const [username, want] of expected.present) {
      const hash = raw.hashes.get(username);
      expect({ firstname: hash?.firstname, lastname: hash?.lastname, email: hash?.email }).toEqual({
        email: undefined,
        ...want,
      });
    }
    console.log(
      `durability: ${USERS} creates, ${PATCHED} patches, ${DELETED} deletes acknowledged; ` +
        `all ${expected.present.size} users and ${expected.deleted.size} deletions survived SIGKILL with ${REDIS_PERSISTENCE_ARGS.join(" ")}`,
    );
  }, 60_000);

  it("control: the same crash without persistence loses them", async () => {
    const { redis, expected } = await crashAndRestart(["--appendonly", "no"], 0);
    const raw = await readRawUsers(redis.url);
    expect(expected.present.size).toBe(USERS - DELETED);
    expect(raw.index).toEqual([]);
  }, 60_000);
});
