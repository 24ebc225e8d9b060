import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppBindings } from "../../lib/types.js";
import { validationHook } from "../../lib/validation-hook.js";
import { createUserHandlers, type UserHandlerDeps } from "./users.handlers.js";
import * as routes from "./users.routes.js";

export function createUsersRouter(deps: UserHandlerDeps) {
  const handlers = createUserHandlers(deps);
  return new OpenAPIHono<AppBindings>({ defaultHook: validationHook })
    .openapi(routes.createUser, handlers.createUser)
    .openapi(routes.listUsers, handlers.listUsers)
    .openapi(routes.getUser, handlers.getUser)
    .openapi(routes.replaceUser, handlers.replaceUser)
    .openapi(routes.patchUser, handlers.patchUser)
    .openapi(routes.deleteUser, handlers.deleteUser);
}
