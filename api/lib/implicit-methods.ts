/**
 * The methods HTTP gives every resource without a handler of its own:
 * HEAD wherever GET is (Hono answers it from the GET route), and OPTIONS
 * on every path (204 with `Allow`, plus `Accept-Patch` where PATCH is).
 * Both are documented next to the routes they derive from, so the
 * document lists every method the server answers with a 2xx.
 */
import { type OpenAPIHono, type RouteConfig, z } from "@hono/zod-openapi";
import { noQuery } from "../middleware/no-query.js";
import { allowedMethodsFor } from "./method-not-allowed.js";
import { badRequest, problemResponses } from "./responses.js";
import type { AppBindings } from "./types.js";

const ALLOW_HEADER = {
  Allow: {
    schema: { type: "string" as const, pattern: "^[A-Z]+(, [A-Z]+)*$" },
    required: true,
    description: "The methods this path answers",
  },
};

/** Call after every route is registered and before the document is built. */
export function registerImplicitMethods(app: OpenAPIHono<AppBindings>, patchTypes: string): void {
  const documented = app.openAPIRegistry.definitions.flatMap((definition) =>
    definition.type === "route" ? [definition.route] : [],
  );
  for (const route of documented.filter((r) => r.method === "get")) {
    app.openAPIRegistry.registerPath(headOf(route));
  }

  const allowedMethods = allowedMethodsFor(app.routes);
  const documentedPaths = new Set(documented.map((route) => route.path));
  const paths = new Set(app.routes.filter((r) => r.method !== "ALL").map((r) => r.path));
  for (const path of paths) {
    const allow = [...new Set([...allowedMethods(samplePath(path)), "OPTIONS"])].sort();
    const headers: Record<string, string> = { allow: allow.join(", ") };
    if (allow.includes("PATCH")) headers["accept-patch"] = patchTypes;
    app.options(path, noQuery, (c) => {
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
      return c.body(null, 204);
    });
    const openApiPath = path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const template = documented.find((route) => route.path === openApiPath);
    if (!documentedPaths.has(openApiPath) || template === undefined) continue;
    const params = anyParams(openApiPath);
    app.openAPIRegistry.registerPath({
      method: "options",
      path: openApiPath,
      operationId: optionsOperationId(openApiPath),
      tags: template.tags ?? [],
      summary: "The methods this path answers (Allow)",
      description:
        "Answers 204 with `Allow` (and `Accept-Patch` where PATCH is allowed); path parameters are not checked.",
      ...(params === undefined ? {} : { request: { params } }),
      responses: {
        ...badRequest("unknownQuery"),
        ...problemResponses(),
        204: {
          description: "No content; `Allow` lists the methods",
          headers: {
            ...ALLOW_HEADER,
            ...(headers["accept-patch"] === undefined
              ? {}
              : {
                  "Accept-Patch": {
                    schema: { type: "string" as const },
                    required: true,
                    description: "The media types PATCH accepts",
                  },
                }),
          },
        },
      },
    });
  }
}

/** A concrete path for a route template, to ask the 405 table which methods it has. */
const samplePath = (template: string) => template.replace(/:([A-Za-z0-9_]+)/g, "x");

/** `options` + the path in PascalCase: `/user/{username}` → `optionsUserByUsername`. */
export function optionsOperationId(path: string): string {
  const words = path
    .split("/")
    .filter((segment) => segment !== "")
    .map((segment) =>
      segment.startsWith("{")
        ? `By${capitalize(segment.slice(1, -1))}`
        : segment
            .split(/[^A-Za-z0-9]+/)
            .map(capitalize)
            .join(""),
    );
  return `options${words.length === 0 ? "Root" : words.join("")}`;
}

const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

/** Path parameters of OPTIONS are not validated: any value gets the path's `Allow`. */
const anyParams = (path: string) => {
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] as string);
  return names.length === 0
    ? undefined
    : z.object(
        Object.fromEntries(
          names.map((name) => [name, z.string().openapi({ param: { name, in: "path" } })]),
        ),
      );
};

/** HEAD: the GET operation's statuses and headers, never a body. */
function headOf(route: RouteConfig): RouteConfig {
  const responses = Object.fromEntries(
    Object.entries(route.responses).map(([status, response]) => {
      if ("$ref" in response) return [status, response];
      const { content: _content, ...rest } = response;
      return [status, rest];
    }),
  );
  return {
    ...route,
    method: "head",
    operationId: `${route.operationId ?? "get"}Head`,
    summary: `${route.summary ?? ""} (headers only)`.trim(),
    description: "The GET operation's status and headers, without the body.",
    responses,
  };
}
