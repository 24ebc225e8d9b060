/**
 * In-process store for development and tests: `npm start` works on a bare
 * machine. Data lives as long as the process. Single-threaded JavaScript
 * makes every method atomic without locks.
 */
import { entityTagOf, type Preconditions, preconditionsHold } from "../lib/entity-tag.js";
import {
  type ListOptions,
  PreconditionFailedError,
  type StoredUser,
  type UserChange,
  UserExistsError,
  type UserFields,
  UserNotFoundError,
  type UserPage,
  type UserStore,
} from "./user-store.js";

/** The tag is only computed when a write is conditional, as the Lua scripts do. */
const hasPreconditions = ({ ifMatch, ifNoneMatch }: Preconditions) =>
  ifMatch !== undefined || ifNoneMatch !== undefined;

export class MemoryUserStore implements UserStore {
  readonly #users = new Map<string, StoredUser>();
  /** Usernames kept sorted so listing is a binary search plus a slice. */
  readonly #sorted: string[] = [];

  async create(username: string, fields: UserFields, now: number): Promise<StoredUser> {
    if (this.#users.has(username)) throw new UserExistsError(username);
    const user: StoredUser = { username, ...fields, createdAt: now, updatedAt: now };
    this.#users.set(username, user);
    this.#sorted.splice(this.#firstIndexAfter(username), 0, username);
    return user;
  }

  async get(username: string): Promise<StoredUser | null> {
    return this.#users.get(username) ?? null;
  }

  async list({ limit, after }: ListOptions): Promise<UserPage> {
    const start = after === undefined ? 0 : this.#firstIndexAfter(after);
    const names = this.#sorted.slice(start, start + limit);
    const hasMore = start + limit < this.#sorted.length;
    return {
      items: names.map((name) => this.#users.get(name) as StoredUser),
      lastOfPage: hasMore ? (names.at(-1) ?? null) : null,
    };
  }

  async update(
    username: string,
    change: UserChange,
    now: number,
    preconditions: Preconditions = {},
  ): Promise<StoredUser> {
    const current = this.#users.get(username);
    if (!current) throw new UserNotFoundError(username);
    checkPreconditions(username, current, preconditions);
    const next: Record<string, unknown> = { ...current, ...change.set };
    for (const field of change.remove) delete next[field];
    next.updatedAt = Math.max(now, current.updatedAt + 1);
    const user = next as unknown as StoredUser;
    this.#users.set(username, user);
    return user;
  }

  async delete(username: string, preconditions: Preconditions = {}): Promise<void> {
    const current = this.#users.get(username);
    if (!current) throw new UserNotFoundError(username);
    checkPreconditions(username, current, preconditions);
    this.#users.delete(username);
    this.#sorted.splice(this.#firstIndexAfter(username) - 1, 1);
  }

  async ping(): Promise<boolean> {
    return true;
  }

  isAvailable(): boolean {
    return true;
  }

  async close(): Promise<void> {}

  /** Index of the first username that sorts strictly after `name` (binary search). */
  #firstIndexAfter(name: string): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.#sorted[mid] as string) <= name) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** The If-Match / If-None-Match rule the Redis scripts apply, for the in-memory store. */
function checkPreconditions(
  username: string,
  current: StoredUser,
  preconditions: Preconditions,
): void {
  if (hasPreconditions(preconditions) && !preconditionsHold(preconditions, entityTagOf(current))) {
    throw new PreconditionFailedError(username);
  }
}
