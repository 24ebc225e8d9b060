import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { Logger } from "pino";

/** Per-request values set by middleware. */
export interface AppBindings {
  Variables: {
    requestId: string;
    logger: Logger;
  };
}

export type AppOpenAPI = OpenAPIHono<AppBindings>;

/** A handler bound to its route, so params and bodies keep their inferred types. */
export type AppRouteHandler<R extends RouteConfig> = RouteHandler<R, AppBindings>;
