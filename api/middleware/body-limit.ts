import type { Context } from "hono";
import { bodyLimit as streamingBodyLimit } from "hono/body-limit";
import { createMiddleware } from "hono/factory";

/** Methods whose requests carry a body even without a Content-Length header (chunked). */
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);

/**
 * Caps every request body at `maxBytes`, however it is sent. A declared
 * Content-Length is checked without touching the body (Node's parser never
 * delivers more bytes than it declares); only chunked or undeclared bodies
 * are counted while streaming. Hono's own bodyLimit reads `c.req.raw.body`
 * on every request, which makes @hono/node-server build a full Request
 * object even for GETs: the largest single cost on the hot path.
 */
export function bodyLimit(maxBytes: number, onTooLarge: (c: Context) => Response) {
  const streaming = streamingBodyLimit({ maxSize: maxBytes, onError: onTooLarge });
  return createMiddleware(async (c, next) => {
    const declared = c.req.header("content-length");
    if (declared !== undefined && c.req.header("transfer-encoding") === undefined) {
      if (Number(declared) > maxBytes) return onTooLarge(c);
      return next();
    }
    if (declared === undefined && c.req.header("transfer-encoding") === undefined) {
      if (!BODY_METHODS.has(c.req.method)) return next();
    }
    return streaming(c, next);
  });
}
