import type { Hook } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ZodError } from "zod";
import { UNKNOWN_QUERY_PARAMETER } from "../middleware/no-query.js";
import { fieldErrors, problemResponse } from "./problem.js";
import type { AppBindings } from "./types.js";

const WHERE: Record<string, string> = {
  json: "the request body",
  query: "the query string",
  param: "the path",
  header: "the request headers",
};

const UNKNOWN_KEY: Record<string, string> = { query: UNKNOWN_QUERY_PARAMETER };

/** The one place that turns a failed zod validation into a 400 problem with `errors[]`. */
export function validationProblem(c: Context, target: string, error: ZodError): Response {
  return problemResponse(c, 400, `${WHERE[target] ?? "the request"} is invalid`, {
    errors: fieldErrors(error, UNKNOWN_KEY[target]),
  });
}

/** The hook every route group passes to OpenAPIHono. */
export const validationHook: Hook<unknown, AppBindings, string, unknown> = (result, c) => {
  if (result.success) return;
  return validationProblem(c, result.target, result.error);
};
