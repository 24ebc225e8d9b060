import { OpenAPIHono } from "@hono/zod-openapi";
import { registerRoute } from "../../lib/openapi-route.js";
import type { AppBindings } from "../../lib/types.js";
import { validationHook } from "../../lib/validation-hook.js";
import { createUserHandlers, type UserHandlerDeps } from "./users.handlers.js";
import * as routes from "./users.routes.js";

export function createUsersRouter(deps: UserHandlerDeps) {
  const handlers = createUserHandlers(deps);
  const router = new OpenAPIHono<AppBindings>({ defaultHook: validationHook });
  registerRoute(router, routes.createUser, handlers.createUser);
  registerRoute(router, routes.listUsers, handlers.listUsers);
  registerRoute(router, routes.getUser, handlers.getUser);
  registerRoute(router, routes.replaceUser, handlers.replaceUser);
  registerRoute(router, routes.patchUser, handlers.patchUser);
  registerRoute(router, routes.deleteUser, handlers.deleteUser);
  return router;
}
