import { createMiddleware } from "hono/factory";
import { problemResponse } from "../lib/problem.js";

/** The message for a query parameter an operation does not declare (zod's strict query schemas use it too). */
export const UNKNOWN_QUERY_PARAMETER = "is not a query parameter of this operation";

/**
 * For operations that declare no query parameters: any parameter is
 * unknown, hence 400, like an unknown body field. A string scan instead of
 * a schema, since it runs on the hot path (GET /user/{username}, probes).
 */
export const noQuery = createMiddleware(async (c, next) => {
  const url = c.req.url;
  const start = url.indexOf("?");
  if (start !== -1 && start < url.length - 1) {
    const names = [...new URLSearchParams(url.slice(start + 1)).keys()];
    return problemResponse(c, 400, "the query string is invalid", {
      errors: [...new Set(names)].map((name) => ({ path: name, message: UNKNOWN_QUERY_PARAMETER })),
    });
  }
  await next();
});
