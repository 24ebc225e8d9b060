import { OpenAPIHono } from "@hono/zod-openapi";
import type { TokenVerifier } from "../../auth/token-verifier.js";
import { registerRoute } from "../../lib/openapi-route.js";
import type { AppBindings } from "../../lib/types.js";
import { validationHook } from "../../lib/validation-hook.js";
import { createUserHandlers, type UserHandlerDeps } from "./users.handlers.js";
import * as routes from "./users.routes.js";

export interface UsersRouterDeps extends UserHandlerDeps {
  /** Longest wait for a request body; then 408. */
  readonly bodyTimeoutMs: number;
  /** Checks bearer tokens; undefined turns authentication off. */
  readonly verifyToken: TokenVerifier | undefined;
}

export function createUsersRouter({ bodyTimeoutMs, verifyToken, ...deps }: UsersRouterDeps) {
  const handlers = createUserHandlers(deps);
  const router = new OpenAPIHono<AppBindings>({ defaultHook: validationHook });
  const options = { bodyTimeoutMs, verifyToken };
  registerRoute(router, routes.createUser, handlers.createUser, options);
  registerRoute(router, routes.listUsers, handlers.listUsers, options);
  registerRoute(router, routes.getUser, handlers.getUser, options);
  registerRoute(router, routes.replaceUser, handlers.replaceUser, options);
  registerRoute(router, routes.patchUser, handlers.patchUser, options);
  registerRoute(router, routes.deleteUser, handlers.deleteUser, options);
  return router;
}
