import type { Context } from "hono";
import {
  type EntityTagCondition,
  entityTagOf,
  ifNoneMatchHolds,
  type Preconditions,
} from "../../lib/entity-tag.js";
import { RequestValidationError } from "../../lib/problem.js";
import type { AppRouteHandler } from "../../lib/types.js";
import {
  type StoredUser,
  type UserChange,
  UserNotFoundError,
  type UserStore,
} from "../../store/user-store.js";
import type {
  CreateUserRoute,
  DeleteUserRoute,
  GetUserRoute,
  ListUsersRoute,
  PatchUserRoute,
  ReplaceUserRoute,
} from "./users.routes.js";
import { encodeCursor, PAGE_LIMIT_DEFAULT, type User } from "./users.schemas.js";

export interface UserHandlerDeps {
  readonly store: UserStore;
  /** Epoch milliseconds; injectable so tests control time. */
  readonly now: () => number;
}

/** Stored users carry epoch milliseconds; the API speaks ISO 8601 UTC. */
export function toUser(stored: StoredUser): User {
  return {
    username: stored.username,
    firstname: stored.firstname,
    lastname: stored.lastname,
    ...(stored.email === undefined ? {} : { email: stored.email }),
    createdAt: new Date(stored.createdAt).toISOString(),
    updatedAt: new Date(stored.updatedAt).toISOString(),
  };
}

export function createUserHandlers({ store, now }: UserHandlerDeps) {
  const createUser: AppRouteHandler<CreateUserRoute> = async (c) => {
    const { username, firstname, lastname, email } = c.req.valid("json");
    const created = await store.create(
      username,
      { firstname, lastname, ...(email == null ? {} : { email }) },
      now(),
    );
    c.header("location", `/user/${username}`);
    c.header("etag", entityTagOf(created));
    return c.json(toUser(created), 201);
  };

  const listUsers: AppRouteHandler<ListUsersRoute> = async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const page = await store.list({
      limit: limit ?? PAGE_LIMIT_DEFAULT,
      ...(cursor === undefined ? {} : { after: cursor }),
    });
    return c.json(
      {
        items: page.items.map(toUser),
        nextCursor: page.lastOfPage === null ? null : encodeCursor(page.lastOfPage),
      },
      200,
    );
  };

  const getUser: AppRouteHandler<GetUserRoute> = async (c) => {
    const { username } = c.req.valid("param");
    const ifNoneMatch = c.req.valid("header")["if-none-match"];
    const user = await store.get(username);
    if (user === null) throw new UserNotFoundError(username);
    const tag = entityTagOf(user);
    c.header("etag", tag);
    if (ifNoneMatch !== undefined && !ifNoneMatchHolds(ifNoneMatch, tag)) return c.body(null, 304);
    return c.json(toUser(user), 200);
  };

  const replaceUser: AppRouteHandler<ReplaceUserRoute> = async (c) => {
    const { username } = c.req.valid("param");
    const body = c.req.valid("json");
    assertSameUsername(body.username, username);
    const change: UserChange =
      body.email == null
        ? { set: { firstname: body.firstname, lastname: body.lastname }, remove: ["email"] }
        : {
            set: { firstname: body.firstname, lastname: body.lastname, email: body.email },
            remove: [],
          };
    return userResponse(c, await store.update(username, change, now(), preconditions(c)));
  };

  const patchUser: AppRouteHandler<PatchUserRoute> = async (c) => {
    const { username } = c.req.valid("param");
    const body = c.req.valid("json");
    assertSameUsername(body.username, username);
    const change: UserChange = {
      set: {
        ...(body.firstname === undefined ? {} : { firstname: body.firstname }),
        ...(body.lastname === undefined ? {} : { lastname: body.lastname }),
        ...(body.email == null ? {} : { email: body.email }),
      },
      remove: body.email === null ? ["email"] : [],
    };
    return userResponse(c, await store.update(username, change, now(), preconditions(c)));
  };

  const deleteUser: AppRouteHandler<DeleteUserRoute> = async (c) => {
    const { username } = c.req.valid("param");
    await store.delete(username, preconditions(c));
    return c.body(null, 204);
  };

  return { createUser, listUsers, getUser, replaceUser, patchUser, deleteUser };
}

/** The conditional headers of a write, already parsed by the route's header schema. */
function preconditions(c: {
  req: {
    valid(target: "header"): {
      "if-match"?: EntityTagCondition;
      "if-none-match"?: EntityTagCondition;
    };
  };
}): Preconditions {
  const headers = c.req.valid("header");
  return { ifMatch: headers["if-match"], ifNoneMatch: headers["if-none-match"] };
}

/** A user representation with its ETag, as PUT and PATCH answer. */
function userResponse(c: Context, user: StoredUser) {
  c.header("etag", entityTagOf(user));
  return c.json(toUser(user), 200);
}

/** Usernames are immutable: a body may repeat the path's username but never name another. */
function assertSameUsername(bodyUsername: string | undefined, pathUsername: string): void {
  if (bodyUsername !== undefined && bodyUsername !== pathUsername) {
    throw new RequestValidationError("the request body is invalid", [
      {
        path: "username",
        message: `must equal the username in the path ('${pathUsername}'); usernames cannot change`,
      },
    ]);
  }
}
