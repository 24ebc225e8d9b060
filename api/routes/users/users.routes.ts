import { createRoute } from "@hono/zod-openapi";
import { jsonContent, problemResponses } from "../../lib/responses.js";
import { requireJsonBody } from "../../middleware/require-json-body.js";
import {
  CreateUserSchema,
  ListUsersQuerySchema,
  PatchUserSchema,
  ReplaceUserSchema,
  UsernameParamsSchema,
  UserPageSchema,
  UserSchema,
} from "./users.schemas.js";

const tags = ["users"];

const jsonBody = <T>(schema: T) => ({
  required: true,
  content: { "application/json": { schema } },
});

export const createUser = createRoute({
  method: "post",
  path: "/user",
  tags,
  summary: "Create a user",
  middleware: [requireJsonBody] as const,
  request: { body: jsonBody(CreateUserSchema) },
  responses: {
    201: {
      ...jsonContent(UserSchema, "Created"),
      headers: { Location: { schema: { type: "string" }, description: "/user/{username}" } },
    },
    ...problemResponses(400, 409, 413, 415, 503),
  },
});

export const listUsers = createRoute({
  method: "get",
  path: "/user",
  tags,
  summary: "List users in ascending username order, one page at a time",
  request: { query: ListUsersQuerySchema },
  responses: {
    200: jsonContent(UserPageSchema, "A page of users"),
    ...problemResponses(400, 503),
  },
});

export const getUser = createRoute({
  method: "get",
  path: "/user/{username}",
  tags,
  summary: "Get one user",
  request: { params: UsernameParamsSchema },
  responses: {
    200: jsonContent(UserSchema, "The user"),
    ...problemResponses(400, 404, 503),
  },
});

export const replaceUser = createRoute({
  method: "put",
  path: "/user/{username}",
  tags,
  summary: "Replace firstname, lastname and email (an omitted email is removed)",
  middleware: [requireJsonBody] as const,
  request: { params: UsernameParamsSchema, body: jsonBody(ReplaceUserSchema) },
  responses: {
    200: jsonContent(UserSchema, "The updated user"),
    ...problemResponses(400, 404, 413, 415, 503),
  },
});

export const patchUser = createRoute({
  method: "patch",
  path: "/user/{username}",
  tags,
  summary: "Change only the given fields (email: null removes the email)",
  middleware: [requireJsonBody] as const,
  request: { params: UsernameParamsSchema, body: jsonBody(PatchUserSchema) },
  responses: {
    200: jsonContent(UserSchema, "The updated user"),
    ...problemResponses(400, 404, 413, 415, 503),
  },
});

export const deleteUser = createRoute({
  method: "delete",
  path: "/user/{username}",
  tags,
  summary: "Delete a user",
  request: { params: UsernameParamsSchema },
  responses: {
    204: { description: "Deleted" },
    ...problemResponses(400, 404, 503),
  },
});

export type CreateUserRoute = typeof createUser;
export type ListUsersRoute = typeof listUsers;
export type GetUserRoute = typeof getUser;
export type ReplaceUserRoute = typeof replaceUser;
export type PatchUserRoute = typeof patchUser;
export type DeleteUserRoute = typeof deleteUser;
