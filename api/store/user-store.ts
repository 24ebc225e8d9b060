import type { Preconditions } from "../lib/entity-tag.js";

/**
 * The storage contract of the service. Handlers depend on this interface
 * only; `RedisUserStore` and `MemoryUserStore` implement it and are checked
 * by the same contract suite.
 */

/** The mutable fields of a user; `email` is absent when the user has none. */
export interface UserFields {
  readonly firstname: string;
  readonly lastname: string;
  readonly email?: string;
}

/** A stored user. Timestamps are epoch milliseconds; the HTTP layer formats them. */
export interface StoredUser extends UserFields {
  readonly username: string;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A change to an existing user: fields to set and optional fields to remove. */
export interface UserChange {
  readonly set: Partial<UserFields>;
  readonly remove: readonly "email"[];
}

export interface UserPage {
  readonly items: readonly StoredUser[];
  /** The last username of this page when more users follow it, else null. */
  readonly lastOfPage: string | null;
}

export interface ListOptions {
  readonly limit: number;
  /** Return users whose username sorts strictly after this one. */
  readonly after?: string;
}

export interface UserStore {
  /** Creates the user atomically; throws `UserExistsError` when the username is taken. */
  create(username: string, fields: UserFields, now: number): Promise<StoredUser>;
  get(username: string): Promise<StoredUser | null>;
  /** Users in ascending username order. */
  list(options: ListOptions): Promise<UserPage>;
  /**
   * Applies the change atomically and returns the result; throws
   * `UserNotFoundError`, or `PreconditionFailedError` when `preconditions`
   * do not hold for the current representation (checked in the same atomic
   * step as the write). `updatedAt` always moves forward, even within one millisecond.
   */
  update(
    username: string,
    change: UserChange,
    now: number,
    preconditions?: Preconditions,
  ): Promise<StoredUser>;
  /** Deletes the user atomically; throws `UserNotFoundError` or `PreconditionFailedError`. */
  delete(username: string, preconditions?: Preconditions): Promise<void>;
  /** Round-trips to the backing store within a bounded time; never throws. */
  ping(): Promise<boolean>;
  /** Whether the store is connected right now (cheap, synchronous; for the metrics gauge). */
  isAvailable(): boolean;
  close(): Promise<void>;
}

export class UserExistsError extends Error {
  override readonly name = "UserExistsError";
  constructor(readonly username: string) {
    super(`user '${username}' already exists`);
  }
}

export class UserNotFoundError extends Error {
  override readonly name = "UserNotFoundError";
  constructor(readonly username: string) {
    super(`user '${username}' does not exist`);
  }
}

/** If-Match or If-None-Match did not hold for the user as it is now; nothing was written. */
export class PreconditionFailedError extends Error {
  override readonly name = "PreconditionFailedError";
  constructor(readonly username: string) {
    super(`user '${username}' has changed: the request's precondition does not hold`);
  }
}

/** The backing store cannot be reached now; the request may be retried later. */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
