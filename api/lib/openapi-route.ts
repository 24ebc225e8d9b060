import type { OpenAPIHono, RouteConfig } from "@hono/zod-openapi";
import type { Context, Handler } from "hono";
import type { ZodType } from "zod";
import { accessRuleOf } from "../auth/access.js";
import { requireAccess } from "../auth/require-access.js";
import type { TokenVerifier } from "../auth/token-verifier.js";
import { readJsonBody } from "../middleware/json-body.js";
import type { AppBindings, AppRouteHandler } from "./types.js";
import { validationProblem } from "./validation-hook.js";

type Target = "param" | "query" | "header";

/** Reads the raw value of one validation target, as @hono/zod-openapi would. */
const READERS: Record<Target, (c: Context, names: readonly string[]) => unknown> = {
  param: (c) => c.req.param(),
  query: (c) =>
    Object.fromEntries(
      Object.entries(c.req.queries()).map(([name, values]) => [
        name,
        values.length === 1 ? values[0] : values,
      ]),
    ),
  // Only the declared headers: building an object of every header costs more than it tells.
  header: (c, names) => {
    const value: Record<string, string> = {};
    for (const name of names) {
      const sent = c.req.header(name);
      if (sent !== undefined) value[name] = sent;
    }
    return value;
  },
};

/**
 * Registers a route: its full definition goes into the OpenAPI document;
 * the handler runs behind one synchronous validation of the path, the
 * query and the declared headers (in that order) and, when the route has a
 * body, `readJsonBody` (strict JSON, RFC 9110 media types, a read
 * deadline). This replaces @hono/zod-openapi's validators, which parse each
 * target asynchronously, copy every request header, and match body media
 * types with a regular expression that refuses `application/json ;
 * charset=utf-8`. Handlers still read `c.req.valid(target)`.
 *
 * With a token verifier, a route that declares `security` gets the access
 * guard (`auth/require-access.ts`) in front of everything else, its own
 * middleware included: the rule enforced is the one the document shows.
 */
export function registerRoute<R extends RouteConfig>(
  router: OpenAPIHono<AppBindings>,
  route: R,
  handler: AppRouteHandler<R>,
  {
    bodyTimeoutMs,
    verifyToken,
  }: { readonly bodyTimeoutMs: number; readonly verifyToken?: TokenVerifier | undefined },
): void {
  const { middleware: _middleware, hide: _hide, ...documented } = route;
  router.openAPIRegistry.registerPath(documented);

  const request = route.request ?? {};
  const checks = (
    [
      ["param", request.params],
      ["query", request.query],
      ["header", request.headers],
    ] as const
  ).flatMap(([target, schema]) => {
    if (schema === undefined) return [];
    const zod = schema as ZodType & { shape?: Record<string, unknown> };
    return [{ target, schema: zod, names: Object.keys(zod.shape ?? {}) }];
  });

  const body = request.body;
  const mediaTypes = body === undefined ? [] : Object.keys(body.content);
  const bodySchema = (body?.content[mediaTypes[0] ?? ""] as { schema: ZodType } | undefined)
    ?.schema;
  const bodyOptions = {
    mediaTypes,
    acceptHeaders:
      route.method === "patch"
        ? ({ "accept-patch": mediaTypes.join(", ") } as Record<string, string>)
        : {},
    timeoutMs: bodyTimeoutMs,
  };

  const validated: Handler<AppBindings> = async (c, next) => {
    for (const { target, schema, names } of checks) {
      const result = schema.safeParse(READERS[target](c, names));
      if (!result.success) return validationProblem(c, target, result.error);
      c.req.addValidatedData(target, result.data as object);
    }
    if (bodySchema !== undefined) {
      const refused = await readJsonBody(c, bodySchema, bodyOptions);
      if (refused !== undefined) return refused;
    }
    return (handler as unknown as Handler<AppBindings>)(c, next);
  };
  const rule = accessRuleOf(route);
  const guard =
    verifyToken === undefined || rule === undefined ? [] : [requireAccess(verifyToken, rule)];
  router.openapi(
    {
      ...route,
      middleware: [...guard, ...[route.middleware ?? []].flat()],
      request: {},
      hide: true,
    },
    validated as never,
  );
}
