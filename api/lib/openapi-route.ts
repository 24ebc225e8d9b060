import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { Handler } from "hono";
import type { ZodType } from "zod";
import { readJsonBody } from "../middleware/json-body.js";
import type { AppBindings, AppRouteHandler } from "./types.js";

/**
 * Registers a route: its full definition goes into the OpenAPI document, its
 * handler behind @hono/zod-openapi's path, query and header validators, and
 * a request body (if the route has one) is read by `readJsonBody` after them,
 * instead of the library's body validator (see `middleware/json-body.ts`).
 * So a request is checked path → query → headers → body, and the body's
 * media types are exactly the ones the document lists.
 */
export function registerRoute<R extends RouteConfig>(
  router: OpenAPIHono<AppBindings>,
  route: R,
  handler: AppRouteHandler<R>,
  { bodyTimeoutMs }: { readonly bodyTimeoutMs: number },
): void {
  const body = route.request?.body;
  if (body === undefined) {
    router.openapi(route, handler);
    return;
  }
  const { middleware: _middleware, hide: _hide, ...documented } = route;
  router.openAPIRegistry.registerPath(documented);
  const mediaTypes = Object.keys(body.content);
  const content = body.content[mediaTypes[0] ?? ""] as { schema: ZodType };
  const acceptHeaders: Record<string, string> =
    route.method === "patch" ? { "accept-patch": mediaTypes.join(", ") } : {};
  const options = { mediaTypes, acceptHeaders, timeoutMs: bodyTimeoutMs };
  const { body: _body, ...request } = route.request ?? {};
  const withBody: Handler<AppBindings> = async (c, next) =>
    (await readJsonBody(c, content.schema, options)) ??
    (handler as unknown as Handler<AppBindings>)(c, next);
  router.openapi({ ...route, request, hide: true }, withBody as never);
}
