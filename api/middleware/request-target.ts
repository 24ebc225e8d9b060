import type { HttpBindings } from "@hono/node-server";
import { createMiddleware } from "hono/factory";
import { MAX_TARGET_BYTES } from "../lib/client-error.js";
import { problemResponse } from "../lib/problem.js";

/**
 * 414 for a request target over `MAX_TARGET_BYTES`. Targets past Node's
 * header limit never get here: the parser refuses them and
 * `lib/client-error.ts` answers 414 the same way.
 */
export const limitRequestTarget = createMiddleware(async (c, next) => {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  const length = incoming?.url?.length ?? c.req.url.length - new URL(c.req.url).origin.length;
  if (length > MAX_TARGET_BYTES) {
    return problemResponse(c, 414, `the request target is longer than ${MAX_TARGET_BYTES} bytes`);
  }
  await next();
});
