/** OpenAPI response declarations shared by the route groups. */
import type { Scope } from "../auth/access.js";
import { bearerChallenge } from "../auth/challenge.js";
import { ProblemSchema, problem } from "./problem.js";

const PROBLEM_DESCRIPTIONS = {
  404: "Not found",
  409: "The username is taken",
  412: "If-Match or If-None-Match does not hold for the current representation; nothing was written",
  413: "Request body over 16 KiB (on any request, however the body is sent)",
  415: "Unsupported request body: a media type not listed, a charset other than UTF-8, or a Content-Encoding (the server decodes none)",
  500: "Unexpected failure (details are logged, never returned)",
  503: "The store, or the keys that verify tokens, are unavailable; retry after `Retry-After` seconds",
} as const;

type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** One realistic example per status, so the docs do not show a 404 under every error. */
const PROBLEM_EXAMPLES: Record<ProblemStatus, ReturnType<typeof problem>> = {
  404: problem(404, "user 'alice' does not exist"),
  409: problem(409, "user 'alice' already exists"),
  412: problem(412, "user 'alice' has changed: the request's precondition does not hold"),
  413: problem(413, "the request body must be at most 16384 bytes"),
  415: problem(415, "the request body must be application/json, not 'text/plain'"),
  500: problem(500, "an unexpected error occurred; it has been logged"),
  503: problem(503, "the user store is unavailable; retry later"),
};

/** Where a 400 can come from; each operation lists its own, so each shows a matching example. */
const BAD_REQUEST_EXAMPLES = {
  body: problem(400, "the request body is invalid", [
    { path: "firstname", message: "must be 1-100 characters after trimming" },
  ]),
  json: problem(400, 'the request body has the key "firstname" twice in one object'),
  path: problem(400, "the path is invalid", [
    {
      path: "username",
      message:
        "must be 3-32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit",
    },
  ]),
  query: problem(400, "the query string is invalid", [
    { path: "limit", message: "must be an integer from 1 to 100" },
  ]),
  unknownQuery: problem(400, "the query string is invalid", [
    { path: "sort", message: "is not a query parameter of this operation" },
  ]),
  headers: problem(400, "the request headers are invalid", [
    {
      path: "if-match",
      message: 'must be * or a comma-separated list of entity tags such as "abc" or W/"abc"',
    },
  ]),
  host: problem(400, "an HTTP/1.1 request needs a Host header"),
  authorization: problem(
    400,
    "the bearer token has characters a token cannot have (RFC 6750 b64token)",
  ),
} as const;

export type BadRequestSource = keyof typeof BAD_REQUEST_EXAMPLES;

const BAD_REQUEST_SUMMARIES: Record<BadRequestSource, string> = {
  body: "A body field breaks its rule",
  json: "The body is not exact JSON (invalid UTF-8, duplicate key, lone surrogate, syntax)",
  path: "A path parameter breaks its rule",
  query: "A query parameter is invalid or unknown",
  unknownQuery: "A query parameter this operation does not have",
  headers: "A conditional header is malformed",
  host: "An HTTP/1.1 request without Host",
  authorization:
    "A malformed Authorization header, several of them, or an access_token in the URI (RFC 6750 invalid_request; with WWW-Authenticate)",
};

/** The 400 response of an operation, with one example per place a 400 can come from. */
export function badRequest(...sources: BadRequestSource[]) {
  const all = [...new Set<BadRequestSource>([...sources, "host"])];
  return {
    400: {
      description: "Invalid request: `errors` lists each offending field or parameter",
      content: {
        "application/problem+json": {
          schema: ProblemSchema,
          examples: Object.fromEntries(
            all.map((source) => [
              source,
              { summary: BAD_REQUEST_SUMMARIES[source], value: BAD_REQUEST_EXAMPLES[source] },
            ]),
          ),
        },
      },
    },
  };
}

const problemContent = (status: ProblemStatus) => ({
  "application/problem+json": { schema: ProblemSchema, example: PROBLEM_EXAMPLES[status] },
});

/** Problem+json responses for the given statuses; 413 and 500 can answer any request and are always included. */
export function problemResponses<const T extends readonly ProblemStatus[]>(...statuses: T) {
  const all = [...new Set<ProblemStatus>([...statuses, 413, 500])].sort();
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status],
        content: problemContent(status),
        ...(status === 503
          ? {
              headers: {
                "Retry-After": {
                  schema: { type: "integer" as const, minimum: 0 },
                  required: true,
                  description: "Seconds to wait before retrying",
                },
              },
            }
          : {}),
      },
    ]),
  ) as Record<
    T[number] | 413 | 500,
    { description: string; content: ReturnType<typeof problemContent> }
  >;
}

export const jsonContent = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

const challengeHeader = (description: string) => ({
  "WWW-Authenticate": {
    schema: { type: "string" as const, pattern: "^Bearer " },
    required: true,
    description,
  },
});

/**
 * 401 and 403 of an operation that needs `scope` (RFC 6750 §3); `self`
 * names the path parameter that grants access to its own user.
 */
export function accessResponses(scope: Scope, self?: string) {
  const forbidden = `this operation needs the scope ${scope}${self === undefined ? "" : `, or a token whose sub is this ${self}`}`;
  return {
    401: {
      description:
        "No bearer token, or one that does not verify (signature, key, algorithm, issuer, audience, expiry). Sent before anything else of the request is looked at.",
      headers: challengeHeader(
        `\`${bearerChallenge({})}\` without a token; with one, \`error="invalid_token"\` and an \`error_description\``,
      ),
      content: {
        "application/problem+json": {
          schema: ProblemSchema,
          examples: {
            missing: {
              summary: "No token",
              value: problem(
                401,
                "this operation needs a bearer token (Authorization: Bearer <JWT>)",
              ),
            },
            expired: { summary: "An expired token", value: problem(401, "the token has expired") },
          },
        },
      },
    },
    403: {
      description: `A valid token without the scope \`${scope}\`${self === undefined ? "" : ` whose \`sub\` is not this \`${self}\``}. Sent before the store is asked, so it tells nothing about the user.`,
      headers: challengeHeader(
        `\`${bearerChallenge({ error: "insufficient_scope", description: forbidden, scope })}\``,
      ),
      content: {
        "application/problem+json": { schema: ProblemSchema, example: problem(403, forbidden) },
      },
    },
  };
}
