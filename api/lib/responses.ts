/** OpenAPI response declarations shared by the route groups. */
import { ProblemSchema, problem } from "./problem.js";

const PROBLEM_DESCRIPTIONS = {
  400: "Invalid request: `errors` lists each field",
  404: "Not found",
  409: "The username is taken",
  413: "Request body over 16 KiB",
  415: "Request body is not `application/json`",
  500: "Unexpected failure (details are logged, never returned)",
  503: "The store is unavailable; retry after `Retry-After` seconds",
} as const;

type ProblemStatus = keyof typeof PROBLEM_DESCRIPTIONS;

/** One realistic example per status, so the docs do not show a 404 under every error. */
const PROBLEM_EXAMPLES: Record<ProblemStatus, ReturnType<typeof problem>> = {
  400: problem(400, "the request body is invalid", [
    { path: "firstname", message: "must be 1-100 characters after trimming" },
  ]),
  404: problem(404, "user 'alice' does not exist"),
  409: problem(409, "user 'alice' already exists"),
  413: problem(413, "the request body must be at most 16384 bytes"),
  415: problem(415, "the request body must be application/json, not 'text/plain'"),
  500: problem(500, "an unexpected error occurred; it has been logged"),
  503: problem(503, "the user store is unavailable; retry later"),
};

const problemContent = (status: ProblemStatus) => ({
  "application/problem+json": { schema: ProblemSchema, example: PROBLEM_EXAMPLES[status] },
});

/** Problem+json responses for the given statuses (500 is always included). */
export function problemResponses<const T extends readonly ProblemStatus[]>(...statuses: T) {
  const all = [...new Set<ProblemStatus>([...statuses, 500])];
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status],
        content: problemContent(status),
        ...(status === 503
          ? { headers: { "Retry-After": { schema: { type: "integer" as const } } } }
          : {}),
      },
    ]),
  ) as Record<T[number] | 500, { description: string; content: ReturnType<typeof problemContent> }>;
}

export const jsonContent = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
