/**
 * The user resource at the HTTP edge: every rule of the contract lives here,
 * and handlers receive data that already passed it.
 */
import { z } from "@hono/zod-openapi";
import { ENTITY_TAG_CONDITION_PATTERN, parseEntityTagCondition } from "../../lib/entity-tag.js";
import { USERNAME_PATTERN } from "../../lib/username.js";

export { USERNAME_PATTERN };
export const NAME_MAX_CODE_POINTS = 100;
export const EMAIL_MAX_LENGTH = 254;
export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;

const CONTROL_CHARACTER = /\p{Cc}/u;

/*
 * The name rule as one regular expression, so the OpenAPI document states it
 * exactly and the server checks that very pattern (JSON Schema patterns are
 * ECMA-262; with the `u` flag a class matches whole code points):
 * padding of non-control whitespace (what `trim()` removes), then 1-100
 * code points that are neither control characters (\p{Cc}) nor lone
 * surrogates, the first and last of them not whitespace.
 */
const CC = "\\u0000-\\u001F\\u007F-\\u009F";
const SURROGATE = "\\uD800-\\uDFFF";
const PADDING = "[ \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000\\uFEFF]";
const NAME_CHAR = `[^${CC}${SURROGATE}]`;
const NAME_EDGE = `[^\\s${CC}${SURROGATE}]`;
const NAME_CORE = `${NAME_EDGE}(?:${NAME_CHAR}{0,${NAME_MAX_CODE_POINTS - 2}}${NAME_EDGE})?`;
/** A name as sent: optional padding around 1-100 code points. */
export const NAME_PATTERN = new RegExp(`^${PADDING}*${NAME_CORE}${PADDING}*$`, "u");
/** A name as stored and returned: trimmed. */
export const STORED_NAME_PATTERN = new RegExp(`^${NAME_CORE}$`, "u");

/**
 * The email rule: the WHATWG HTML "valid e-mail address" (what browsers'
 * `<input type=email>` accept), at most 254 characters. One pattern for the
 * document and the server, instead of `format: email`, whose meaning differs
 * between validators.
 */
export const EMAIL_PATTERN =
  /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;

const requiredString = (what: string) =>
  z.string({
    error: (issue) => (issue.input === undefined ? "is required" : `must be a string (${what})`),
  });

export const UsernameSchema = requiredString("the username")
  .regex(
    USERNAME_PATTERN,
    "must be 3-32 characters of a-z, 0-9, '_', '.', '-', starting with a letter or digit",
  )
  .openapi({ example: "alice", pattern: USERNAME_PATTERN.source });

/** A name: no control characters, stored trimmed, 1-100 Unicode code points after trimming. */
const NameSchema = (field: string) =>
  requiredString(field)
    .regex(NAME_PATTERN, {
      error: (issue) =>
        typeof issue.input === "string" && CONTROL_CHARACTER.test(issue.input)
          ? "must not contain control characters"
          : `must be 1-${NAME_MAX_CODE_POINTS} characters after trimming`,
    })
    .transform((value) => value.trim())
    .openapi({
      example: field === "firstname" ? "Alice" : "Liddell",
      pattern: NAME_PATTERN.source,
      description: `1-${NAME_MAX_CODE_POINTS} Unicode code points after trimming whitespace, no control characters; stored trimmed`,
    });

export const EmailSchema = requiredString("an email address")
  .max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .regex(
    EMAIL_PATTERN,
    "must be a valid email address (local-part@domain, as HTML forms define it)",
  )
  .openapi({
    example: "alice@example.com",
    pattern: EMAIL_PATTERN.source,
    maxLength: EMAIL_MAX_LENGTH,
    description: "The WHATWG HTML valid e-mail address, at most 254 characters",
  });

/** `null` and omission both mean "no email". */
const OptionalEmail = EmailSchema.nullable().optional();

const bodyObject = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === "invalid_type" ? "the body must be a JSON object" : undefined,
  });

const SAME_USERNAME = {
  description: "May be sent, but must equal the username in the path (usernames cannot change)",
  "x-equals-path-parameter": "username",
};

export const CreateUserSchema = bodyObject({
  username: UsernameSchema,
  firstname: NameSchema("firstname"),
  lastname: NameSchema("lastname"),
  email: OptionalEmail,
}).openapi("CreateUser");

export const ReplaceUserSchema = bodyObject({
  username: UsernameSchema.optional().openapi(SAME_USERNAME),
  firstname: NameSchema("firstname"),
  lastname: NameSchema("lastname"),
  email: OptionalEmail.openapi({ description: "Omitted or null removes the email" }),
}).openapi("ReplaceUser");

export const PatchUserSchema = bodyObject({
  username: UsernameSchema.optional().openapi(SAME_USERNAME),
  firstname: NameSchema("firstname").optional(),
  lastname: NameSchema("lastname").optional(),
  email: OptionalEmail.openapi({ description: "null removes the email" }),
})
  .refine(
    (body) =>
      body.firstname !== undefined || body.lastname !== undefined || body.email !== undefined,
    { message: "must change at least one of firstname, lastname, email" },
  )
  .openapi("PatchUser", {
    description: "At least one of firstname, lastname, email (RFC 7396 merge patch semantics)",
    anyOf: [{ required: ["firstname"] }, { required: ["lastname"] }, { required: ["email"] }],
  });

const StoredNameSchema = (example: string) =>
  z.string().openapi({ example, pattern: STORED_NAME_PATTERN.source });

export const UserSchema = z
  .strictObject({
    username: UsernameSchema,
    firstname: StoredNameSchema("Alice"),
    lastname: StoredNameSchema("Liddell"),
    email: z
      .string()
      .optional()
      .openapi({ example: "alice@example.com", pattern: EMAIL_PATTERN.source, maxLength: 254 }),
    createdAt: z.string().openapi({ format: "date-time", example: "2026-01-01T12:00:00.000Z" }),
    updatedAt: z.string().openapi({ format: "date-time", example: "2026-01-01T12:00:00.000Z" }),
  })
  .openapi("User");

export const UserPageSchema = z
  .strictObject({
    items: z.array(UserSchema).openapi({ maxItems: PAGE_LIMIT_MAX }),
    nextCursor: z.string().nullable().openapi({
      description: "Pass as `cursor` for the next page; null on the last page",
      pattern: USERNAME_PATTERN.source,
    }),
  })
  .openapi("UserPage");

export const UsernameParamsSchema = z.object({
  username: UsernameSchema.openapi({ param: { name: "username", in: "path" } }),
});

/**
 * The page cursor: the last username of the previous page. Any valid
 * username is a valid cursor ("the users after this name"), so the
 * document's pattern is the whole rule.
 */
export function encodeCursor(username: string): string {
  return username;
}

const LIMIT_MESSAGE = `must be an integer from 1 to ${PAGE_LIMIT_MAX}`;

/** A decimal integer as the query string carries it; anything else stays a string and fails. */
const queryInteger = (value: unknown) =>
  typeof value === "string" && /^[1-9][0-9]{0,2}$/.test(value) ? Number(value) : value;

export const ListUsersQuerySchema = z.strictObject({
  limit: z
    .preprocess(
      queryInteger,
      z
        .number({
          error: (issue) =>
            Array.isArray(issue.input)
              ? `must be given once, as an integer from 1 to ${PAGE_LIMIT_MAX}`
              : LIMIT_MESSAGE,
        })
        .int(LIMIT_MESSAGE)
        .min(1, LIMIT_MESSAGE)
        .max(PAGE_LIMIT_MAX, LIMIT_MESSAGE),
    )
    .default(PAGE_LIMIT_DEFAULT)
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Page size, 1-${PAGE_LIMIT_MAX}, written as a decimal integer without sign or leading zeros`,
      example: 20,
    }),
  cursor: z
    .string({ error: "must be given once" })
    .regex(USERNAME_PATTERN, "must be a nextCursor returned by this API")
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "The `nextCursor` of the previous page",
      pattern: USERNAME_PATTERN.source,
      example: "alice",
    }),
});

const conditionHeader = (name: "if-match" | "if-none-match", description: string) =>
  z
    .string()
    .regex(
      ENTITY_TAG_CONDITION_PATTERN,
      'must be * or a comma-separated list of entity tags such as "abc" or W/"abc"',
    )
    .transform(parseEntityTagCondition)
    .optional()
    .openapi({
      param: { name, in: "header" },
      description,
      pattern: ENTITY_TAG_CONDITION_PATTERN.source,
      example: '"3f786850e387550fdab836ed7e6dc881de23001b"',
    });

/** If-None-Match on GET: 304 when the representation still matches (weak comparison). */
export const ReadConditionsSchema = z.object({
  "if-none-match": conditionHeader(
    "if-none-match",
    "304 Not Modified when the current ETag matches one of these tags (weak comparison), or `*`",
  ),
});

/** If-Match and If-None-Match on writes: 412 when they do not hold (checked atomically with the write). */
export const WriteConditionsSchema = z.object({
  "if-match": conditionHeader(
    "if-match",
    "Write only if the current ETag is one of these tags (strong comparison) or, for `*`, if the user exists; else 412",
  ),
  "if-none-match": conditionHeader(
    "if-none-match",
    "Write only if the current ETag is none of these tags (weak comparison); `*` always fails for an existing user; else 412",
  ),
});

/** The strong entity tag of a user representation (see `lib/entity-tag.ts`). */
export const ETAG_PATTERN = /^"[0-9a-f]{40}"$/;

export type User = z.infer<typeof UserSchema>;
