import type { Logger } from "pino";
import type { AuthConfig } from "./auth-env.js";
import { fileKeySet, remoteKeySet } from "./key-set.js";
import { createTokenVerifier, type TokenVerifier } from "./token-verifier.js";

/**
 * The verifier the configuration asks for, or undefined when authentication
 * is off. Reads a JWKS file now (a bad file throws `KeySetConfigError`); a
 * JWKS URL is fetched on first use.
 */
export async function createVerifier(
  config: AuthConfig,
  logger: Logger,
): Promise<TokenVerifier | undefined> {
  if (config.mode === "off") return undefined;
  const { keySource, jwksCooldownMs: cooldownMs } = config;
  const getKey =
    keySource.kind === "url"
      ? remoteKeySet(keySource.url, { timeoutMs: config.jwksTimeoutMs, cooldownMs, logger })
      : await fileKeySet(keySource.path, { cooldownMs, logger });
  return createTokenVerifier({
    getKey,
    issuer: config.issuer,
    audience: config.audience,
    clockToleranceSeconds: config.clockToleranceSeconds,
  });
}
