import { createRoute } from "@hono/zod-openapi";
import { requires, USERS_READ, USERS_WRITE } from "../../auth/access.js";
import { accessResponses, badRequest, jsonContent, problemResponses } from "../../lib/responses.js";
import { noQuery } from "../../middleware/no-query.js";
import {
  CreateUserSchema,
  ETAG_PATTERN,
  ListUsersQuerySchema,
  PatchUserSchema,
  ReadConditionsSchema,
  ReplaceUserSchema,
  UsernameParamsSchema,
  UserPageSchema,
  UserSchema,
  WriteConditionsSchema,
} from "./users.schemas.js";

const tags = ["users"];

export const JSON_MEDIA_TYPE = "application/json";
export const MERGE_PATCH_MEDIA_TYPE = "application/merge-patch+json";

/** A required JSON body; the route registration reads it strictly (`lib/openapi-route.ts`). */
const jsonBody = <T>(schema: T) => ({
  required: true,
  content: { [JSON_MEDIA_TYPE]: { schema } } as { "application/json": { schema: T } },
});

/** PATCH also takes RFC 7396 merge patches: the same document, the same semantics. */
const patchBody = <T>(schema: T) => ({
  required: true,
  content: { [JSON_MEDIA_TYPE]: { schema }, [MERGE_PATCH_MEDIA_TYPE]: { schema } } as {
    "application/json": { schema: T };
    "application/merge-patch+json": { schema: T };
  },
});

const ETagHeader = {
  ETag: {
    schema: { type: "string" as const, pattern: ETAG_PATTERN.source },
    required: true,
    description: "Strong entity tag of this representation; send it in If-Match to update safely",
  },
};

const userResponse = (description: string) => ({
  ...jsonContent(UserSchema, description),
  headers: ETagHeader,
});

export const createUser = createRoute({
  method: "post",
  path: "/user",
  operationId: "createUser",
  ...requires(USERS_WRITE),
  tags,
  summary: "Create a user",
  description:
    "Creates the user atomically: of concurrent creates of one username exactly one gets 201, the others 409. Answers with `Location` and the `ETag` of the new representation. Needs `users:write`.",
  middleware: [noQuery] as const,
  request: { body: jsonBody(CreateUserSchema) },
  responses: {
    201: {
      ...jsonContent(UserSchema, "Created"),
      headers: {
        Location: {
          schema: { type: "string" as const, pattern: "^/user/[a-z0-9][a-z0-9_.-]{2,31}$" },
          required: true,
          description: "/user/{username}",
        },
        ...ETagHeader,
      },
    },
    ...accessResponses(USERS_WRITE),
    ...badRequest("authorization", "body", "json", "unknownQuery"),
    ...problemResponses(409, 415, 503),
  },
});

export const listUsers = createRoute({
  method: "get",
  path: "/user",
  operationId: "listUsers",
  ...requires(USERS_READ),
  tags,
  summary: "List users in ascending username order, one page at a time",
  description:
    "Pass the `nextCursor` of a page as `cursor` to get the next one; `nextCursor` is null on the last page. Query parameters not listed here are 400. Needs `users:read`.",
  request: { query: ListUsersQuerySchema },
  responses: {
    200: jsonContent(UserPageSchema, "A page of users"),
    ...accessResponses(USERS_READ),
    ...badRequest("authorization", "query"),
    ...problemResponses(503),
  },
});

export const getUser = createRoute({
  method: "get",
  path: "/user/{username}",
  operationId: "getUser",
  ...requires(USERS_READ, { selfParameter: "username" }),
  tags,
  summary: "Get one user",
  description:
    "Answers with the `ETag` of the representation; with a matching `If-None-Match`, 304 and no body. Needs `users:read`, or a token whose `sub` is this username.",
  middleware: [noQuery] as const,
  request: { params: UsernameParamsSchema, headers: ReadConditionsSchema },
  responses: {
    200: userResponse("The user"),
    304: {
      description: "Not modified: If-None-Match matched the current ETag",
      headers: ETagHeader,
    },
    ...accessResponses(USERS_READ, "username"),
    ...badRequest("authorization", "path", "unknownQuery", "headers"),
    ...problemResponses(404, 503),
  },
});

export const replaceUser = createRoute({
  method: "put",
  path: "/user/{username}",
  operationId: "replaceUser",
  ...requires(USERS_WRITE, { selfParameter: "username" }),
  tags,
  summary: "Replace firstname, lastname and email (an omitted email is removed)",
  description:
    "Send the `ETag` you read as `If-Match` so a concurrent change is not overwritten: when it no longer matches, 412 and nothing is written (checked atomically with the write). Needs `users:write`, or a token whose `sub` is this username.",
  middleware: [noQuery] as const,
  request: {
    params: UsernameParamsSchema,
    headers: WriteConditionsSchema,
    body: jsonBody(ReplaceUserSchema),
  },
  responses: {
    200: userResponse("The updated user"),
    ...accessResponses(USERS_WRITE, "username"),
    ...badRequest("authorization", "path", "unknownQuery", "headers", "body", "json"),
    ...problemResponses(404, 412, 415, 503),
  },
});

export const patchUser = createRoute({
  method: "patch",
  path: "/user/{username}",
  operationId: "patchUser",
  ...requires(USERS_WRITE, { selfParameter: "username" }),
  tags,
  summary: "Change only the given fields (email: null removes the email)",
  description:
    "A JSON merge patch (RFC 7396) of firstname, lastname and email, as `application/json` or `application/merge-patch+json`. `If-Match` works as for PUT. Needs `users:write`, or a token whose `sub` is this username.",
  middleware: [noQuery] as const,
  request: {
    params: UsernameParamsSchema,
    headers: WriteConditionsSchema,
    body: patchBody(PatchUserSchema),
  },
  responses: {
    200: userResponse("The updated user"),
    ...accessResponses(USERS_WRITE, "username"),
    ...badRequest("authorization", "path", "unknownQuery", "headers", "body", "json"),
    ...problemResponses(404, 412, 415, 503),
  },
});

export const deleteUser = createRoute({
  method: "delete",
  path: "/user/{username}",
  operationId: "deleteUser",
  ...requires(USERS_WRITE, { selfParameter: "username" }),
  tags,
  summary: "Delete a user",
  description:
    "With `If-Match`, deletes only the representation you read (412 otherwise). Needs `users:write`, or a token whose `sub` is this username.",
  middleware: [noQuery] as const,
  request: { params: UsernameParamsSchema, headers: WriteConditionsSchema },
  responses: {
    204: { description: "Deleted" },
    ...accessResponses(USERS_WRITE, "username"),
    ...badRequest("authorization", "path", "unknownQuery", "headers"),
    ...problemResponses(404, 412, 503),
  },
});

export type CreateUserRoute = typeof createUser;
export type ListUsersRoute = typeof listUsers;
export type GetUserRoute = typeof getUser;
export type ReplaceUserRoute = typeof replaceUser;
export type PatchUserRoute = typeof patchUser;
export type DeleteUserRoute = typeof deleteUser;
