/**
 * The Redis key layout, built only from validated usernames.
 *
 *   {<namespace>}:user:<username>   hash   username, firstname, lastname, [email], createdAt, updatedAt (epoch ms)
 *   {<namespace>}:users             zset   every username with score 0, so ZRANGEBYLEX pages in username order
 *
 * The `{namespace}` hash tag keeps a user's hash and the index in one Redis
 * Cluster slot, which the atomic Lua scripts need.
 */

import { USERNAME_PATTERN } from "../lib/username.js";

export const DEFAULT_KEY_NAMESPACE = "userapi";

const NAMESPACE_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export interface RedisKeys {
  /** The hash holding one user. */
  user(username: string): string;
  /** The sorted set indexing every username. */
  readonly index: string;
}

/** Key builders for one namespace (tests use one namespace each). */
export function redisKeys(namespace: string = DEFAULT_KEY_NAMESPACE): RedisKeys {
  if (!NAMESPACE_PATTERN.test(namespace)) {
    throw new Error(`invalid Redis key namespace '${namespace}': must match ${NAMESPACE_PATTERN}`);
  }
  const prefix = `{${namespace}}`;
  return {
    user(username) {
      // Defence in depth: the HTTP layer validates usernames, but a key must never be built from anything else.
      if (!USERNAME_PATTERN.test(username)) {
        throw new Error(`refusing to build a Redis key from an invalid username`);
      }
      return `${prefix}:user:${username}`;
    },
    index: `${prefix}:users`,
  };
}
