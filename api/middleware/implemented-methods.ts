import { createMiddleware } from "hono/factory";
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

export const implementedMethodsOnly = createMiddleware(async (c, next) => {
  if (!IMPLEMENTED_METHODS.has(c.req.method)) {
    return problemResponse(
      c,
      501,
      `${c.req.method.slice(0, 32)} is not implemented by this server`,
    );
  }
  await next();
});
