/**
 * The two `UserStore` implementations as test subjects. Each Redis store gets
 * its own key namespace on the run's real redis-server, so tests never share
 * rows; `dispose()` removes the namespace's keys.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { inject } from "vitest";
import { MemoryUserStore } from "../../api/store/memory-user-store.js";
import { RedisUserStore, type RedisUserStoreOptions } from "../../api/store/redis-user-store.js";
import type { UserStore } from "../../api/store/user-store.js";

export interface StoreSubject {
  readonly store: UserStore;
  /** Closes the store and deletes whatever it wrote. */
  dispose(): Promise<void>;
}

export interface StoreKind {
  readonly name: "memory" | "redis";
  create(): Promise<StoreSubject>;
}

export const uniqueNamespace = () => `test-${randomUUID().slice(0, 8)}`;

export async function createRedisSubject(
  options: RedisUserStoreOptions = {},
  url: string = inject("redisUrl"),
): Promise<StoreSubject & { store: RedisUserStore; namespace: string }> {
  const namespace = options.namespace ?? uniqueNamespace();
  const store = new RedisUserStore(url, { ...options, namespace });
  await store.whenReady();
  return {
    store,
    namespace,
    async dispose() {
      await store.close();
      await deleteNamespace(url, namespace);
    },
  };
}

/** Deletes every key of a namespace (keys look like `{namespace}:...`). */
export async function deleteNamespace(url: string, namespace: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const keys = await redis.keys(`{${namespace}}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } catch {
    // Redis may be gone on purpose (outage tests); a throwaway server is removed anyway.
  } finally {
    redis.disconnect();
  }
}

export const STORE_KINDS: readonly StoreKind[] = [
  {
    name: "memory",
    async create() {
      const store = new MemoryUserStore();
      return { store, dispose: () => store.close() };
    },
  },
  { name: "redis", create: () => createRedisSubject() },
];
