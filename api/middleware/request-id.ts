import { randomUUID } from "node:crypto";
import { createMiddleware } from "hono/factory";
import type { AppBindings } from "../lib/types.js";

/** Client ids are echoed only when they are short and harmless in logs and headers. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/;

/** Echoes a well-formed `x-request-id` or generates one; set before `next()` so it costs no response rebuild. */
export const requestId = createMiddleware<AppBindings>(async (c, next) => {
  const sent = c.req.header("x-request-id");
  const id = sent !== undefined && REQUEST_ID_PATTERN.test(sent) ? sent : randomUUID();
  c.set("requestId", id);
  c.header("x-request-id", id);
  await next();
});
