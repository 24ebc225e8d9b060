/**
 * Verifies a bearer JWT (RFC 7519) and turns every way it can fail into a
 * fixed description: the response says what is wrong with the token, never
 * what the token or the keys contain.
 */
import { errors, type JWTVerifyGetKey, jwtVerify } from "jose";
import { type Principal, scopesOf } from "./access.js";
import { KeySetUnavailableError } from "./key-set.js";

/**
 * Asymmetric algorithms only. Without this list a token could pick `none`,
 * or HS256 with the public key bytes as the HMAC secret; jose checks it
 * before it looks a key up, so such a token cannot trigger a key fetch either.
 */
export const ALLOWED_ALGORITHMS = ["RS256", "ES256", "EdDSA"] as const;

export type Verification =
  | { readonly ok: true; readonly principal: Principal }
  | { readonly ok: false; readonly kind: "invalid"; readonly description: string }
  | { readonly ok: false; readonly kind: "unavailable"; readonly retryAfterSeconds: number };

export interface TokenVerifierOptions {
  readonly getKey: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audience: string;
  readonly clockToleranceSeconds: number;
  /** Current time; tests pin it. @default the system clock */
  readonly now?: () => Date;
}

export type TokenVerifier = (token: string) => Promise<Verification>;

const invalid = (description: string): Verification => ({
  ok: false,
  kind: "invalid",
  description,
});

/** The fixed description of a jose failure. */
export function describeFailure(error: unknown): string {
  if (error instanceof errors.JWTExpired) return "the token has expired";
  if (error instanceof errors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return "the token is not valid yet";
      case "iat":
        return "the token was issued in the future";
      case "iss":
        return "the token has the wrong issuer";
      case "aud":
        return "the token has the wrong audience";
      case "exp":
        return "the token has no valid expiry time";
      default:
        return "a claim of the token is invalid";
    }
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return `the token's algorithm is not accepted (only ${ALLOWED_ALGORITHMS.join(", ")})`;
  }
  if (error instanceof errors.JWKSNoMatchingKey) return "no trusted key matches the token's key id";
  if (error instanceof errors.JWKSMultipleMatchingKeys)
    return "several trusted keys match the token's key id";
  if (error instanceof errors.JWSSignatureVerificationFailed)
    return "the token's signature is invalid";
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) {
    return "the token is not a well-formed signed JWT";
  }
  return "the token is invalid";
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const { getKey, issuer, audience, clockToleranceSeconds } = options;
  const verifyOptions = {
    algorithms: [...ALLOWED_ALGORITHMS],
    issuer,
    audience,
    clockTolerance: clockToleranceSeconds,
    // A token without an expiry would be valid forever.
    requiredClaims: ["exp"],
  };
  return async (token) => {
    try {
      const { payload } = await jwtVerify(
        token,
        getKey,
        options.now === undefined
          ? verifyOptions
          : { ...verifyOptions, currentDate: options.now() },
      );
      if (payload.sub !== undefined && typeof payload.sub !== "string") {
        return invalid("the token's sub claim is not a string");
      }
      const scope = (payload as { scope?: unknown }).scope;
      if (scope !== undefined && typeof scope !== "string") {
        return invalid("the token's scope claim is not a space-separated string");
      }
      return { ok: true, principal: { subject: payload.sub, scopes: scopesOf(scope) } };
    } catch (error) {
      if (error instanceof KeySetUnavailableError) {
        return { ok: false, kind: "unavailable", retryAfterSeconds: error.retryAfterSeconds };
      }
      if (error instanceof errors.JOSEError) return invalid(describeFailure(error));
      // Not jose's verdict on the token (a bug, a broken trusted key): the error handler logs it.
      throw error;
    }
  };
}
