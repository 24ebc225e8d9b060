/**
 * Vitest global setup: one real Redis for the whole run. Uses `REDIS_URL`
 * when set, otherwise starts a throwaway `redis-server` on a free port and
 * stops it afterwards. Tests isolate themselves with a key namespace each.
 */
import type {} from "vitest";
import type { TestProject } from "vitest/node";
import { type RedisServer, startRedisServer } from "./redis-server.js";

declare module "vitest" {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

let server: RedisServer | undefined;

export async function setup(project: TestProject): Promise<void> {
  const external = process.env.REDIS_URL;
  if (external) {
    project.provide("redisUrl", external);
    return;
  }
  server = await startRedisServer();
  project.provide("redisUrl", server.url);
}

export async function teardown(): Promise<void> {
  await server?.stop();
}
