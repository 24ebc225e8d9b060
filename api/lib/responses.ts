/** OpenAPI response declarations shared by the route groups. */
import { ProblemSchema } from "./problem.js";

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

const problemContent = { "application/problem+json": { schema: ProblemSchema } };

/** Problem+json responses for the given statuses (500 is always included). */
export function problemResponses<const T extends readonly ProblemStatus[]>(...statuses: T) {
  const all = [...new Set<ProblemStatus>([...statuses, 500])];
  return Object.fromEntries(
    all.map((status) => [
      status,
      {
        description: PROBLEM_DESCRIPTIONS[status],
        content: problemContent,
        ...(status === 503
          ? { headers: { "Retry-After": { schema: { type: "integer" as const } } } }
          : {}),
      },
    ]),
  ) as Record<T[number] | 500, { description: string; content: typeof problemContent }>;
}

export const jsonContent = <T>(schema: T, description: string) => ({
  description,
  content: { "application/json": { schema } },
});
