/**
 * Where verification keys come from. Both sources resolve a token's key by
 * `kid` and re-read their keys when a token names a `kid` they do not hold
 * (key rotation), at most once per cooldown so that tokens with random
 * `kid`s cannot make the server fetch or read in a loop.
 *
 * Failing to get keys is not the caller's fault and never lets a request
 * through: it becomes `KeySetUnavailableError` (503 with Retry-After).
 */
import { readFile } from "node:fs/promises";
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  type JSONWebKeySet,
  type JWTVerifyGetKey,
} from "jose";
import type { Logger } from "pino";
import { checkPublicJwks } from "./public-jwks.js";

/** After a failed JWKS fetch, requests get 503 at once for this long instead of each waiting for a fetch. */
export const JWKS_RETRY_AFTER_SECONDS = 1;
/** A fetched JWKS is used for this long; then the next request fetches it again. */
export const JWKS_CACHE_MAX_AGE_MS = 10 * 60_000;

export class KeySetUnavailableError extends Error {
  override readonly name = "KeySetUnavailableError";
  readonly retryAfterSeconds = JWKS_RETRY_AFTER_SECONDS;
}

/** A key source that could not be read at start; the message names the source. */
export class KeySetConfigError extends Error {
  override readonly name = "KeySetConfigError";
}

/** The token's own fault: no key or several keys match its header. */
const isTokenKeyError = (error: unknown) =>
  error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys;

export interface RemoteKeySetOptions {
  readonly timeoutMs: number;
  /** Least time between two fetches triggered by unknown `kid`s. */
  readonly cooldownMs: number;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The identity provider's JWKS, fetched on first use and cached (jose's remote key set). */
export function remoteKeySet(url: URL, options: RemoteKeySetOptions): JWTVerifyGetKey {
  const now = options.now ?? Date.now;
  const remote = createRemoteJWKSet(url, {
    timeoutDuration: options.timeoutMs,
    cooldownDuration: options.cooldownMs,
    cacheMaxAge: JWKS_CACHE_MAX_AGE_MS,
  });
  let unavailableUntil = 0;
  return async (header, token) => {
    // jose would fetch again for every request while the provider is down; answer those at once.
    if (now() < unavailableUntil) throw new KeySetUnavailableError("the JWKS is unavailable");
    try {
      return await remote(header, token);
    } catch (error) {
      if (isTokenKeyError(error)) throw error;
      unavailableUntil = now() + JWKS_RETRY_AFTER_SECONDS * 1000;
      options.logger.warn(
        {
          err: (error as Error).message,
          cause: ((error as Error).cause as Error)?.message,
          jwks: url.href,
        },
        "could not get the JWKS: answering 503 until it is back",
      );
      throw new KeySetUnavailableError("the JWKS is unavailable", { cause: error });
    }
  };
}

export interface FileKeySetOptions {
  /** Least time between two reads triggered by unknown `kid`s. */
  readonly cooldownMs: number;
  readonly logger: Logger;
  /** @default Date.now */
  readonly now?: () => number;
}

async function readJwksFile(path: string): Promise<JSONWebKeySet> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new KeySetConfigError(
      `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeySetConfigError(`${path} is not JSON`);
  }
  const checked = checkPublicJwks(json);
  if (!checked.ok) throw new KeySetConfigError(`${path} ${checked.problem}`);
  return checked.jwks;
}

/**
 * A JWKS file, read at start (a bad file stops the start) and again when a
 * token names an unknown `kid`, so a ConfigMap update (mounted as a
 * directory, not with subPath, so the kubelet swaps it) rotates keys
 * without a restart. A re-read that fails keeps the keys already trusted.
 */
export async function fileKeySet(
  path: string,
  options: FileKeySetOptions,
): Promise<JWTVerifyGetKey> {
  const now = options.now ?? Date.now;
  let local = createLocalJWKSet(await readJwksFile(path));
  let readAt = now();
  let reading: Promise<void> | undefined;

  const reread = () => {
    reading ??= readJwksFile(path)
      .then((jwks) => {
        local = createLocalJWKSet(jwks);
      })
      .catch((error: Error) => {
        options.logger.error(
          { err: error.message },
          "could not re-read AUTH_JWKS_FILE: keeping the keys already loaded",
        );
      })
      .finally(() => {
        readAt = now();
        reading = undefined;
      });
    return reading;
  };

  return async (header, token) => {
    try {
      return await local(header, token);
    } catch (error) {
      if (!(error instanceof errors.JWKSNoMatchingKey) || now() - readAt < options.cooldownMs) {
        throw error;
      }
      await reread();
      return local(header, token);
    }
  };
}
