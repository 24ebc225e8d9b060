import type { HttpBindings } from "@hono/node-server";
import { createMiddleware } from "hono/factory";
import { problemResponse } from "../lib/problem.js";

/**
 * RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400. Node would send
 * that 400 itself, bare; the server turns its check off (`requireHostHeader:
 * false`) so the answer is a problem document like every other error.
 */
export const requireHost = createMiddleware(async (c, next) => {
  const incoming = (c.env as Partial<HttpBindings> | undefined)?.incoming;
  if (incoming?.httpVersion === "1.1" && incoming.headers.host === undefined) {
    return problemResponse(c, 400, "an HTTP/1.1 request needs a Host header");
  }
  await next();
});
