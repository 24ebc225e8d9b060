/**
 * RFC 9457 problem details: the one shape of every error response. All
 * failure paths (validation hook, not found, method not allowed, body limit,
 * thrown errors) end up in `problemResponse`.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { ZodError } from "zod";

export const PROBLEM_CONTENT_TYPE = "application/problem+json";

/** RFC 9110 §15 reason phrases (Node's table still says "Payload Too Large" for 413). */
export const TITLES: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  408: "Request Timeout",
  409: "Conflict",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  417: "Expectation Failed",
  431: "Request Header Fields Too Large",
  500: "Internal Server Error",
  501: "Not Implemented",
  503: "Service Unavailable",
};

export interface FieldError {
  /** Where the problem is: the field path inside the body, query or path parameters. */
  readonly path: string;
  readonly message: string;
}

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}

export const FieldErrorSchema = z
  .object({
    path: z.string().openapi({ example: "firstname" }),
    message: z.string().openapi({ example: "must be 1-100 characters after trimming" }),
  })
  .openapi("FieldError");

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: "about:blank" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    errors: z.array(FieldErrorSchema).optional(),
  })
  .openapi("Problem");

/** Builds the problem body; `type` stays `about:blank`, so `title` is the status phrase (RFC 9457 §4.2.1). */
export function problem(status: number, detail: string, errors?: readonly FieldError[]): Problem {
  return {
    type: "about:blank",
    title: TITLES[status] ?? "Error",
    status,
    detail,
    ...(errors === undefined ? {} : { errors }),
  };
}

/** Sends a problem document; headers set earlier on the context (request id, version) are kept. */
export function problemResponse(
  c: Context,
  status: ContentfulStatusCode,
  detail: string,
  options: { errors?: readonly FieldError[]; headers?: Record<string, string> } = {},
): Response {
  for (const [name, value] of Object.entries(options.headers ?? {})) c.header(name, value);
  c.header("content-type", PROBLEM_CONTENT_TYPE);
  return c.body(JSON.stringify(problem(status, detail, options.errors)), status);
}

/** Flattens zod issues into `{path, message}` pairs; unknown keys get one entry each. */
export function fieldErrors(
  error: ZodError,
  unknownKeyMessage = "is not an allowed field",
): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({
        path: base === "" ? key : `${base}.${key}`,
        message: unknownKeyMessage,
      }));
    }
    return [{ path: base, message: issue.message }];
  });
}

/** A request that passed the schema but breaks a rule that needs the path too (e.g. username mismatch). */
export class RequestValidationError extends Error {
  override readonly name = "RequestValidationError";
  constructor(
    message: string,
    readonly errors: readonly FieldError[],
  ) {
    super(message);
  }
}
