import type { HttpBindings } from "@hono/node-server";
import { createMiddleware } from "hono/factory";
import { MAX_TARGET_BYTES } from "../lib/client-error.js";
import { problemResponse } from "../lib/problem.js";

/** The methods some resource of this server answers; anything else is 501 (RFC 9110 §9.1), not 405. */
export const IMPLEMENTED_METHODS: ReadonlySet<string> = new Set([
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
]);

/**
 * Refusals that hold for every route, checked before routing in one step
 * (each middleware is a dispatch on the hot path):
 * - 501 for a method no resource implements;
 * - 414 for a target over `MAX_TARGET_BYTES` (longer ones never get here:
 *   Node's parser refuses them and `lib/client-error.ts` answers 414 too);
 * - 400 for an HTTP/1.1 request without Host (RFC 9112 §3.2). Node would send
 *   that 400 itself, bare; the server turns its check off
 *   (`requireHostHeader: false`) so the answer is a problem document.
 */
export const requestGuards = createMiddleware(async (c, next) => {
  const method = c.req.method;
  if (!IMPLEMENTED_METHODS.has(method)) {
    return problemResponse(c, 501, `${method.slice(0, 32)} is not implemented by this server`);
  }
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  const targetLength = incoming?.url?.length ?? c.req.url.length - new URL(c.req.url).origin.length;
  if (targetLength > MAX_TARGET_BYTES) {
    return problemResponse(c, 414, `the request target is longer than ${MAX_TARGET_BYTES} bytes`);
  }
  if (incoming?.httpVersion === "1.1" && incoming.headers.host === undefined) {
    return problemResponse(c, 400, "an HTTP/1.1 request needs a Host header");
  }
  await next();
});
