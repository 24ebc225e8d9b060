import { createMiddleware } from "hono/factory";
import { problemResponse } from "../lib/problem.js";
import type { AppBindings } from "../lib/types.js";

/** `application/json`, optionally with parameters such as `; charset=utf-8`. */
const JSON_MEDIA_TYPE = /^application\/json\s*(;|$)/i;

/** 415 unless the request declares a JSON body; runs before body validation. */
export const requireJsonBody = createMiddleware<AppBindings>(async (c, next) => {
  const contentType = c.req.header("content-type") ?? "";
  if (!JSON_MEDIA_TYPE.test(contentType.trim())) {
    return problemResponse(
      c,
      415,
      contentType === ""
        ? "the request body must be application/json (no Content-Type was sent)"
        : `the request body must be application/json, not '${contentType.slice(0, 100)}'`,
    );
  }
  await next();
});
