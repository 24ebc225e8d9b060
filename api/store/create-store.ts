/** Picks the store for the environment: Redis when `REDIS_URL` is set, memory otherwise. */
import type { Logger } from "pino";
import type { Env } from "../env.js";
import { MemoryUserStore } from "./memory-user-store.js";
import { RedisUserStore } from "./redis-user-store.js";
import type { UserStore } from "./user-store.js";

export function createStore(env: Pick<Env, "REDIS_URL">, logger: Logger): UserStore {
  if (env.REDIS_URL === undefined) {
    logger.warn("REDIS_URL is not set: using the in-memory store; users are lost on restart");
    return new MemoryUserStore();
  }
  const store = new RedisUserStore(env.REDIS_URL, { logger });
  store.connect();
  return store;
}
