/**
 * Reads the user keyspace of one namespace straight from Redis (no store
 * code involved) and checks it against the key layout in
 * `api/store/redis-keys.ts`: the index lists exactly the stored user hashes,
 * and every hash is a complete, valid user.
 */
import { Redis } from "ioredis";
import { USERNAME_PATTERN } from "../../api/lib/username.js";
import { DEFAULT_KEY_NAMESPACE, redisKeys } from "../../api/store/redis-keys.js";

export interface RawUsers {
  /** Members of the `{ns}:users` zset, in Redis order. */
  readonly index: readonly string[];
  /** Every `{ns}:user:*` hash, keyed by the username part of the key. */
  readonly hashes: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Keys of the namespace that are neither the index nor a user hash. */
  readonly strayKeys: readonly string[];
}

export async function readRawUsers(
  url: string,
  namespace: string = DEFAULT_KEY_NAMESPACE,
): Promise<RawUsers> {
  const keys = redisKeys(namespace);
  const userPrefix = `{${namespace}}:user:`;
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const all: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await redis.scan(cursor, "MATCH", `{${namespace}}:*`, "COUNT", 1000);
      cursor = next;
      all.push(...batch);
    } while (cursor !== "0");
    const index = await redis.zrange(keys.index, 0, -1);
    const userKeys = [...new Set(all)].filter((key) => key.startsWith(userPrefix));
    const pipeline = redis.pipeline();
    for (const key of userKeys) pipeline.hgetall(key);
    const replies = (await pipeline.exec()) ?? [];
    const hashes = new Map<string, Record<string, string>>();
    userKeys.forEach((key, i) => {
      const [error, hash] = replies[i] ?? [new Error("no reply"), null];
      if (error) throw error;
      hashes.set(key.slice(userPrefix.length), hash as Record<string, string>);
    });
    const strayKeys = [...new Set(all)].filter(
      (key) => key !== keys.index && !key.startsWith(userPrefix),
    );
    return { index, hashes, strayKeys };
  } finally {
    redis.disconnect();
  }
}

const REQUIRED = ["username", "firstname", "lastname", "createdAt", "updatedAt"] as const;
const ALLOWED = new Set<string>([...REQUIRED, "email"]);
const CONTROL = /\p{Cc}/u;

/** Everything wrong with the stored users; empty when the keyspace is consistent. */
export function consistencyProblems(raw: RawUsers): string[] {
  const problems: string[] = [];
  const indexed = new Set(raw.index);
  for (const name of indexed) {
    if (!raw.hashes.has(name)) problems.push(`index lists '${name}' but no hash exists`);
  }
  for (const [name, hash] of raw.hashes) {
    if (!indexed.has(name)) problems.push(`hash for '${name}' is missing from the index`);
    if (!USERNAME_PATTERN.test(name))
      problems.push(`key username '${name}' breaks the username rule`);
    for (const field of REQUIRED) {
      if (hash[field] === undefined) problems.push(`'${name}' lacks ${field}`);
    }
    for (const field of Object.keys(hash)) {
      if (!ALLOWED.has(field)) problems.push(`'${name}' has unexpected field ${field}`);
    }
    if (hash.username !== undefined && hash.username !== name) {
      problems.push(`'${name}' stores username '${hash.username}'`);
    }
    for (const field of ["firstname", "lastname"] as const) {
      const value = hash[field];
      if (value === undefined) continue;
      const length = [...value].length;
      if (value !== value.trim() || length < 1 || length > 100 || CONTROL.test(value)) {
        problems.push(`'${name}' has an invalid ${field} ${JSON.stringify(value)}`);
      }
    }
    if (hash.email !== undefined && (hash.email === "" || hash.email.length > 254)) {
      problems.push(`'${name}' has an invalid email ${JSON.stringify(hash.email)}`);
    }
    const created = Number(hash.createdAt);
    const updated = Number(hash.updatedAt);
    if (!Number.isSafeInteger(created) || !Number.isSafeInteger(updated) || updated < created) {
      problems.push(`'${name}' has bad timestamps ${hash.createdAt}/${hash.updatedAt}`);
    }
  }
  for (const key of raw.strayKeys) problems.push(`unexpected key ${key}`);
  return problems;
}
