/**
 * The one place where failures become responses: thrown domain and HTTP
 * errors map to problem+json; anything unexpected becomes a generic 500
 * whose cause goes to the log only.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import {
  PreconditionFailedError,
  StoreUnavailableError,
  UserExistsError,
  UserNotFoundError,
} from "../store/user-store.js";
import { problemResponse, RequestValidationError } from "./problem.js";
import type { AppBindings } from "./types.js";

/** Seconds a client should wait before retrying while the store is down. */
export const RETRY_AFTER_SECONDS = 1;

/** The client went away or broke the chunked framing while sending the body. */
function isClientAbort(error: Error): boolean {
  const causes = [error, error.cause];
  return causes.some(
    (e) => e instanceof Error && (e as NodeJS.ErrnoException).code === "ECONNRESET",
  );
}

export function handleError(error: Error, c: Context<AppBindings>): Response {
  if (error instanceof RequestValidationError) {
    return problemResponse(c, 400, error.message, { errors: error.errors });
  }
  if (error instanceof UserNotFoundError) return problemResponse(c, 404, error.message);
  if (error instanceof UserExistsError) return problemResponse(c, 409, error.message);
  if (error instanceof PreconditionFailedError) return problemResponse(c, 412, error.message);
  if (error instanceof StoreUnavailableError) {
    c.get("logger")?.warn({ reqId: c.get("requestId"), err: error.message }, "store unavailable");
    return problemResponse(c, 503, "the user store is unavailable; retry later", {
      headers: { "retry-after": String(RETRY_AFTER_SECONDS) },
    });
  }
  if (isClientAbort(error)) {
    // Not a server fault: counting it as a 500 would let any client trip the error-rate alert.
    c.get("logger")?.info({ reqId: c.get("requestId") }, "client aborted the request body");
    return problemResponse(c, 400, "the request body was not received completely");
  }
  if (error instanceof HTTPException && error.status < 500) {
    // Hono's own 4xx, e.g. the JSON validator's "Malformed JSON in request body".
    const detail =
      error.status === 400 && /json/i.test(error.message)
        ? "the request body is not valid JSON"
        : error.message || "the request cannot be processed";
    return problemResponse(c, error.status as ContentfulStatusCode, detail);
  }
  c.get("logger")?.error({ reqId: c.get("requestId"), err: error }, "unhandled error");
  return problemResponse(c, 500, "an unexpected error occurred; it has been logged");
}
