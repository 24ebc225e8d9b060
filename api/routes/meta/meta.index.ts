import { OpenAPIHono } from "@hono/zod-openapi";
import type { AppBindings } from "../../lib/types.js";
import { validationHook } from "../../lib/validation-hook.js";
import { createMetaHandlers, type MetaHandlerDeps } from "./meta.handlers.js";
import * as routes from "./meta.routes.js";

export function createMetaRouter(deps: MetaHandlerDeps) {
  const handlers = createMetaHandlers(deps);
  return new OpenAPIHono<AppBindings>({ defaultHook: validationHook })
    .openapi(routes.serviceInfo, handlers.serviceInfo)
    .openapi(routes.health, handlers.health)
    .openapi(routes.ready, handlers.ready)
    .openapi(routes.serving, handlers.serving)
    .openapi(routes.metrics, handlers.metrics);
}
