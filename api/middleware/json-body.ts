import type { Context } from "hono";
import type { z } from "zod";
import { declaredCharsets, parseMediaType } from "../lib/media-type.js";
import { problemResponse } from "../lib/problem.js";
import { parseStrictJson } from "../lib/strict-json.js";
import type { AppBindings } from "../lib/types.js";
import { validationProblem } from "../lib/validation-hook.js";

export interface JsonBodyOptions {
  /** Accepted media types (lower case), e.g. `application/json`. */
  readonly mediaTypes: readonly string[];
  /** Response headers that list the accepted types on a 415 (e.g. `Accept-Patch`). */
  readonly acceptHeaders?: Readonly<Record<string, string>>;
  /** Longest wait for the whole body; then 408 and the connection closes. */
  readonly timeoutMs: number;
}

/**
 * Reads, decodes and validates a JSON request body, in that order, each
 * step with its own answer: a content coding the server does not decode
 * (415), a media type or charset it does not accept (415), bytes that are
 * not UTF-8 or not JSON, duplicate keys or lone surrogates (400), and then
 * the schema (400 with `errors[]`). The result is stored as the validated
 * `json` target, so handlers read it with `c.req.valid("json")`. Returns
 * the error response, or undefined when the body is valid.
 *
 * This replaces @hono/zod-openapi's body validator (see
 * `lib/openapi-route.ts`), which matches media types with a regular
 * expression that refuses `application/json ; charset=utf-8` and parses
 * with a plain `JSON.parse`.
 */
export async function readJsonBody(
  c: Context<AppBindings>,
  schema: z.ZodType,
  { mediaTypes, acceptHeaders = {}, timeoutMs }: JsonBodyOptions,
): Promise<Response | undefined> {
  const expected = mediaTypes.join(" or ");
  {
    const encoding = c.req.header("content-encoding")?.trim() ?? "";
    if (encoding !== "" && encoding.toLowerCase() !== "identity") {
      return problemResponse(
        c,
        415,
        `the server does not decode Content-Encoding '${encoding.slice(0, 100)}'; send the body without a content coding`,
        { headers: { "accept-encoding": "identity" } },
      );
    }
    const contentType = c.req.header("content-type");
    const mediaType = contentType === undefined ? undefined : parseMediaType(contentType);
    if (mediaType === undefined || !mediaTypes.includes(mediaType.essence)) {
      return problemResponse(
        c,
        415,
        contentType === undefined
          ? `the request body must be ${expected} (no Content-Type was sent)`
          : `the request body must be ${expected}, not '${contentType.slice(0, 100)}'`,
        { headers: acceptHeaders },
      );
    }
    const charset = declaredCharsets(mediaType).find((name) => name.toLowerCase() !== "utf-8");
    if (charset !== undefined) {
      return problemResponse(
        c,
        415,
        `the request body must be UTF-8, not charset '${charset.slice(0, 40)}'`,
        { headers: acceptHeaders },
      );
    }
    const bytes = await readWithin(c.req.arrayBuffer(), timeoutMs);
    if (bytes === undefined) {
      return problemResponse(c, 408, `the request body was not received within ${timeoutMs} ms`, {
        headers: { connection: "close" },
      });
    }
    const parsed = parseStrictJson(new Uint8Array(bytes));
    if (!parsed.ok) return problemResponse(c, 400, parsed.detail);
    const result = schema.safeParse(parsed.value);
    if (!result.success) return validationProblem(c, "json", result.error);
    c.req.addValidatedData("json", result.data as object);
    return undefined;
  }
}

/** The body, or undefined when it did not arrive in time (a slow client must not hold a handler). */
async function readWithin(
  body: Promise<ArrayBuffer>,
  ms: number,
): Promise<ArrayBuffer | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  // The read fails once the connection closes after the 408; nobody waits for it any more.
  body.catch(() => undefined);
  try {
    return await Promise.race([body, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
