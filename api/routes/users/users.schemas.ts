/**
 * The user resource at the HTTP edge: every rule of the contract lives here,
 * and handlers receive data that already passed it.
 */
import { z } from "@hono/zod-openapi";
import { USERNAME_PATTERN } from "../../lib/username.js";

export { USERNAME_PATTERN };
export const NAME_MAX_CODE_POINTS = 100;
export const EMAIL_MAX_LENGTH = 254;
export const PAGE_LIMIT_DEFAULT = 20;
export const PAGE_LIMIT_MAX = 100;

const CONTROL_CHARACTER = /\p{Cc}/u;

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
    .refine((value) => !CONTROL_CHARACTER.test(value), "must not contain control characters")
    .transform((value) => value.trim())
    .refine((value) => {
      const length = [...value].length;
      return length >= 1 && length <= NAME_MAX_CODE_POINTS;
    }, `must be 1-${NAME_MAX_CODE_POINTS} characters after trimming`)
    .openapi({
      example: field === "firstname" ? "Alice" : "Liddell",
      minLength: 1,
      maxLength: 100,
    });

export const EmailSchema = requiredString("an email address")
  .max(EMAIL_MAX_LENGTH, `must be at most ${EMAIL_MAX_LENGTH} characters`)
  .pipe(z.email("must be a valid email address"))
  .openapi({ example: "alice@example.com", format: "email", maxLength: EMAIL_MAX_LENGTH });

/** `null` and omission both mean "no email". */
const OptionalEmail = EmailSchema.nullable().optional();

const bodyObject = <T extends z.ZodRawShape>(shape: T) =>
  z.strictObject(shape, {
    error: (issue) =>
      issue.code === "invalid_type" ? "the body must be a JSON object" : undefined,
  });

export const CreateUserSchema = bodyObject({
  username: UsernameSchema,
  firstname: NameSchema("firstname"),
  lastname: NameSchema("lastname"),
  email: OptionalEmail,
}).openapi("CreateUser");

export const ReplaceUserSchema = bodyObject({
  username: UsernameSchema.optional().openapi({
    description: "May be sent, but must equal the username in the path",
  }),
  firstname: NameSchema("firstname"),
  lastname: NameSchema("lastname"),
  email: OptionalEmail.openapi({ description: "Omitted or null removes the email" }),
}).openapi("ReplaceUser");

export const PatchUserSchema = bodyObject({
  username: UsernameSchema.optional().openapi({
    description: "May be sent, but must equal the username in the path",
  }),
  firstname: NameSchema("firstname").optional(),
  lastname: NameSchema("lastname").optional(),
  email: OptionalEmail.openapi({ description: "null removes the email" }),
})
  .refine(
    (body) =>
      body.firstname !== undefined || body.lastname !== undefined || body.email !== undefined,
    { message: "must change at least one of firstname, lastname, email" },
  )
  .openapi("PatchUser");

export const UserSchema = z
  .object({
    username: UsernameSchema,
    firstname: z.string().openapi({ example: "Alice" }),
    lastname: z.string().openapi({ example: "Liddell" }),
    email: z.string().optional().openapi({ example: "alice@example.com" }),
    createdAt: z.string().openapi({ format: "date-time", example: "2026-01-01T12:00:00.000Z" }),
    updatedAt: z.string().openapi({ format: "date-time", example: "2026-01-01T12:00:00.000Z" }),
  })
  .openapi("User");

export const UserPageSchema = z
  .object({
    items: z.array(UserSchema),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: "Pass as `cursor` for the next page; null on the last page" }),
  })
  .openapi("UserPage");

export const UsernameParamsSchema = z.object({
  username: UsernameSchema.openapi({ param: { name: "username", in: "path" } }),
});

/** Opaque page cursor: base64url of the last username of the previous page. */
export function encodeCursor(username: string): string {
  return Buffer.from(username, "utf8").toString("base64url");
}

/** The username inside a cursor, or undefined when it is not one this service issued. */
export function decodeCursor(cursor: string): string | undefined {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(cursor)) return undefined;
  const username = Buffer.from(cursor, "base64url").toString("utf8");
  return USERNAME_PATTERN.test(username) && encodeCursor(username) === cursor
    ? username
    : undefined;
}

export const ListUsersQuerySchema = z.object({
  limit: z
    .string({ error: `must be given once, as an integer from 1 to ${PAGE_LIMIT_MAX}` })
    .regex(/^\d{1,3}$/, `must be an integer from 1 to ${PAGE_LIMIT_MAX}`)
    .transform(Number)
    .refine(
      (limit) => limit >= 1 && limit <= PAGE_LIMIT_MAX,
      `must be an integer from 1 to ${PAGE_LIMIT_MAX}`,
    )
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Page size, 1-${PAGE_LIMIT_MAX} (default ${PAGE_LIMIT_DEFAULT})`,
      example: "20",
    }),
  cursor: z
    .string({ error: "must be given once" })
    .transform((cursor, ctx) => {
      const username = decodeCursor(cursor);
      if (username === undefined) {
        ctx.addIssue({ code: "custom", message: "is not a cursor returned by this API" });
        return z.NEVER;
      }
      return username;
    })
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "The `nextCursor` of the previous page",
    }),
});

export type User = z.infer<typeof UserSchema>;
