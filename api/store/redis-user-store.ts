/**
 * Redis implementation of `UserStore` (ioredis). Key layout: see
 * `redis-keys.ts`. Writes go through Lua scripts in `lua/`, so each one is
 * atomic: concurrent creates of one username have exactly one winner and the
 * index never disagrees with the hashes.
 *
 * Outage behaviour: no offline queue and a short command timeout, so while
 * Redis is away every call fails within `commandTimeoutMs` with
 * `StoreUnavailableError` instead of hanging; ioredis reconnects by itself.
 */
import { readFileSync } from "node:fs";
import { Redis, type RedisOptions, type Result } from "ioredis";
import type { Logger } from "pino";
import type { EntityTagCondition, Preconditions } from "../lib/entity-tag.js";
import { type RedisKeys, redisKeys } from "./redis-keys.js";
import {
  type ListOptions,
  PreconditionFailedError,
  type StoredUser,
  StoreUnavailableError,
  type UserChange,
  UserExistsError,
  type UserFields,
  UserNotFoundError,
  type UserPage,
  type UserStore,
} from "./user-store.js";

declare module "ioredis" {
  interface RedisCommander<Context> {
    createUser(
      userKey: string,
      indexKey: string,
      username: string,
      firstname: string,
      lastname: string,
      email: string,
      now: string,
    ): Result<number, Context>;
    updateUser(userKey: string, ...args: string[]): Result<string[] | number | null, Context>;
    deleteUser(
      userKey: string,
      indexKey: string,
      username: string,
      ...conditions: string[]
    ): Result<number, Context>;
  }
}

export interface RedisUserStoreOptions {
  /** Key namespace (tests use one each). @default "userapi" */
  readonly namespace?: string;
  /** Upper bound for any single command, so requests never hang on a stalled Redis. @default 500 */
  readonly commandTimeoutMs?: number;
  /** Upper bound for one connection attempt. @default 1000 */
  readonly connectTimeoutMs?: number;
  /** Longest pause between reconnection attempts. @default 500 */
  readonly maxReconnectDelayMs?: number;
  readonly logger?: Logger;
}

const script = (name: string) => readFileSync(new URL(`./lua/${name}`, import.meta.url), "utf8");

/** Reply errors that mean "not now" rather than "wrong request". */
const TRANSIENT_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|OOM)\b/;

export class RedisUserStore implements UserStore {
  readonly #redis: Redis;
  readonly #keys: RedisKeys;
  readonly #logger: Logger | undefined;
  #wasReady = false;

  constructor(url: string, options: RedisUserStoreOptions = {}) {
    this.#keys = redisKeys(options.namespace);
    this.#logger = options.logger;
    const maxDelay = options.maxReconnectDelayMs ?? 500;
    const redisOptions: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 500,
      connectTimeout: options.connectTimeoutMs ?? 1000,
      // Reconnect forever, quickly: recovery time after an outage is bounded by maxDelay.
      retryStrategy: (attempt) => Math.min(50 * attempt, maxDelay),
      reconnectOnError: (error) => error.message.startsWith("READONLY"),
      autoResubscribe: false,
    };
    this.#redis = new Redis(url, redisOptions);
    this.#redis.defineCommand("createUser", { numberOfKeys: 2, lua: script("create-user-2.lua") });
    this.#redis.defineCommand("updateUser", { numberOfKeys: 1, lua: script("update-user-1.lua") });
    this.#redis.defineCommand("deleteUser", { numberOfKeys: 2, lua: script("delete-user-2.lua") });
    // Log state changes once, not every failed reconnection attempt.
    this.#redis.on("ready", () => {
      this.#wasReady = true;
      this.#logger?.info("redis connected");
    });
    this.#redis.on("close", () => {
      if (this.#wasReady) this.#logger?.warn("redis connection lost; reconnecting");
      this.#wasReady = false;
    });
    this.#redis.on("error", (error: Error) => {
      this.#logger?.debug({ err: error }, "redis connection error");
    });
  }

  /** Starts connecting without waiting: the service serves (and reports not ready) while Redis is away. */
  connect(): void {
    this.#redis.connect().catch(() => {
      // The retry strategy keeps trying; readiness reports the outage meanwhile.
    });
  }

  /** Resolves once connected; rejects after `timeoutMs`. For tests and tools, not the request path. */
  async whenReady(timeoutMs = 5000): Promise<void> {
    if (this.#redis.status === "ready") return;
    if (this.#redis.status === "wait") this.connect();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#redis.off("ready", onReady);
        reject(new Error(`redis not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      const onReady = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#redis.once("ready", onReady);
    });
  }

  async create(username: string, fields: UserFields, now: number): Promise<StoredUser> {
    const created = await this.#call(() =>
      this.#redis.createUser(
        this.#keys.user(username),
        this.#keys.index,
        username,
        fields.firstname,
        fields.lastname,
        fields.email ?? "",
        String(now),
      ),
    );
    if (created === 0) throw new UserExistsError(username);
    if (created !== 1) throw new Error(`create-user script returned ${String(created)}`);
    return { username, ...fields, createdAt: now, updatedAt: now };
  }

  async get(username: string): Promise<StoredUser | null> {
    const hash = await this.#call(() => this.#redis.hgetall(this.#keys.user(username)));
    return Object.keys(hash).length === 0 ? null : toStoredUser(hash);
  }

  async list({ limit, after }: ListOptions): Promise<UserPage> {
    const min = after === undefined ? "-" : `(${after}`;
    // One extra name tells whether another page follows.
    const names = await this.#call(() =>
      this.#redis.zrangebylex(this.#keys.index, min, "+", "LIMIT", 0, limit + 1),
    );
    const pageNames = names.slice(0, limit);
    const hashes = await this.#call(async () => {
      const pipeline = this.#redis.pipeline();
      for (const name of pageNames) pipeline.hgetall(this.#keys.user(name));
      return (await pipeline.exec()) ?? [];
    });
    const items: StoredUser[] = [];
    for (const [error, hash] of hashes) {
      if (error) throw classify(error);
      // A user deleted between the two round trips is simply not listed.
      if (hash && Object.keys(hash).length > 0)
        items.push(toStoredUser(hash as Record<string, string>));
    }
    return { items, lastOfPage: names.length > limit ? (pageNames.at(-1) ?? null) : null };
  }

  async update(
    username: string,
    change: UserChange,
    now: number,
    preconditions: Preconditions = {},
  ): Promise<StoredUser> {
    const pairs = Object.entries(change.set).filter(([, value]) => value !== undefined);
    const args = [
      String(now),
      ...conditionArgs(preconditions),
      String(pairs.length),
      ...pairs.flatMap(([field, value]) => [field, String(value)]),
      ...change.remove,
    ];
    const flat = await this.#call(() => this.#redis.updateUser(this.#keys.user(username), ...args));
    if (flat === null) throw new UserNotFoundError(username);
    if (flat === 0) throw new PreconditionFailedError(username);
    if (!Array.isArray(flat) || flat.length % 2 !== 0) {
      throw new Error("update-user script returned an unexpected reply");
    }
    const hash: Record<string, string> = {};
    for (let i = 0; i < flat.length; i += 2) hash[flat[i] as string] = flat[i + 1] as string;
    return toStoredUser(hash);
  }

  async delete(username: string, preconditions: Preconditions = {}): Promise<void> {
    const deleted = await this.#call(() =>
      this.#redis.deleteUser(
        this.#keys.user(username),
        this.#keys.index,
        username,
        ...conditionArgs(preconditions),
      ),
    );
    if (deleted === 0) throw new UserNotFoundError(username);
    if (deleted === -1) throw new PreconditionFailedError(username);
    if (deleted !== 1) throw new Error(`delete-user script returned ${String(deleted)}`);
  }

  async ping(): Promise<boolean> {
    if (this.#redis.status !== "ready") return false;
    try {
      return (await this.#redis.ping()) === "PONG";
    } catch {
      return false;
    }
  }

  isAvailable(): boolean {
    // The status flips a tick after the socket dies; a dead stream is already unwritable.
    return this.#redis.status === "ready" && this.#redis.stream.writable;
  }

  async close(): Promise<void> {
    if (this.#redis.status === "ready") {
      try {
        await this.#redis.quit();
        return;
      } catch {
        // Fall through to a hard disconnect.
      }
    }
    this.#redis.disconnect(false);
  }

  async #call<T>(command: () => Promise<T>): Promise<T> {
    if (this.#redis.status !== "ready") {
      throw new StoreUnavailableError(`redis is not connected (${this.#redis.status})`);
    }
    try {
      return await command();
    } catch (error) {
      throw classify(error);
    }
  }
}

/**
 * The four script arguments of If-Match and If-None-Match (see the headers of
 * lua/update-user-1.lua and lua/delete-user-2.lua). The comparison function
 * is applied here: If-Match keeps only strong tags, If-None-Match drops `W/`.
 */
function conditionArgs({ ifMatch, ifNoneMatch }: Preconditions): string[] {
  const encode = (condition: EntityTagCondition | undefined, strong: boolean): string[] => {
    if (condition === undefined) return ["", ""];
    if (condition.any) return ["*", ""];
    const tags = condition.tags.filter((tag) => !strong || !tag.weak).map((tag) => tag.opaque);
    return ["list", tags.join(" ")];
  };
  return [...encode(ifMatch, true), ...encode(ifNoneMatch, false)];
}

/** Connection-level failures become `StoreUnavailableError`; anything else is a bug and stays as is. */
function classify(error: unknown): Error {
  if (
    error instanceof UserExistsError ||
    error instanceof UserNotFoundError ||
    error instanceof PreconditionFailedError
  ) {
    return error;
  }
  if (!(error instanceof Error)) return new Error(String(error));
  const isReply = error.name === "ReplyError";
  if (!isReply || TRANSIENT_REPLY.test(error.message)) {
    return new StoreUnavailableError(`redis unavailable: ${error.message}`, { cause: error });
  }
  return error;
}

function toStoredUser(hash: Record<string, string>): StoredUser {
  const { username, firstname, lastname, email, createdAt, updatedAt } = hash;
  if (
    username === undefined ||
    firstname === undefined ||
    lastname === undefined ||
    createdAt === undefined ||
    updatedAt === undefined
  ) {
    throw new Error("stored user hash is missing fields");
  }
  return {
    username,
    firstname,
    lastname,
    ...(email === undefined ? {} : { email }),
    createdAt: Number(createdAt),
    updatedAt: Number(updatedAt),
  };
}
