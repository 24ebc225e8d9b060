import type { Hook } from "@hono/zod-openapi";
import { fieldErrors, problemResponse } from "./problem.js";
import type { AppBindings } from "./types.js";

const WHERE: Record<string, string> = {
  json: "the request body",
  query: "the query string",
  param: "the path",
  header: "the request headers",
};

/** The one place that turns a failed zod validation into a 400 problem with `errors[]`. */
export const validationHook: Hook<unknown, AppBindings, string, unknown> = (result, c) => {
  if (result.success) return;
  return problemResponse(c, 400, `${WHERE[result.target] ?? "the request"} is invalid`, {
    errors: fieldErrors(result.error),
  });
};
