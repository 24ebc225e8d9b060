/**
 * `/openapi.json` and `/docs` (Swagger UI). Swagger UI's files are served
 * from the `swagger-ui-dist` package, not a CDN, so the page works offline,
 * in a cluster without egress, and under a CSP of `'self'`.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { SwaggerUI } from "@hono/swagger-ui";
import type { OpenAPIHono } from "@hono/zod-openapi";
import {
  BEARER_SCHEME,
  SELF_SERVICE_EXTENSION,
  USERS_READ,
  USERS_WRITE,
} from "../../auth/access.js";
import { ALLOWED_ALGORITHMS } from "../../auth/token-verifier.js";
import { problem } from "../../lib/problem.js";
import { badRequest, problemResponses } from "../../lib/responses.js";
import type { AppBindings } from "../../lib/types.js";
import type { DocumentedOperation } from "../../middleware/metrics.js";
import { noQuery } from "../../middleware/no-query.js";

export const DOCS_PATH = "/docs";
export const OPENAPI_PATH = "/openapi.json";
const ASSETS_BASE = `${DOCS_PATH}/assets`;

const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};

/** Renders the page once; returns it with a CSP that allows its one inline script by hash. */
function renderDocsPage(title: string): { html: string; csp: string } {
  const body = SwaggerUI({ url: OPENAPI_PATH, baseUrl: ASSETS_BASE }).toString();
  const html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title></head>
<body>${body}</body>
</html>`;
  const hashes = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map(
    (match) =>
      `'sha256-${createHash("sha256")
        .update(match[1] ?? "")
        .digest("base64")}'`,
  );
  const csp = [
    "default-src 'none'",
    `script-src 'self' ${hashes.join(" ")}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join("; ");
  return { html, csp };
}

export interface DocsOptions {
  readonly title: string;
  readonly version: string;
}

type OpenAPIObject = ReturnType<OpenAPIHono["getOpenAPI31Document"]>;

const HTTP_METHODS = ["get", "head", "post", "put", "patch", "delete", "options"] as const;

/** The operations of an OpenAPI document, with Hono-style route templates. */
export function documentedOperations(document: OpenAPIObject): DocumentedOperation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method] !== undefined).map((method) => ({
      route: path.replace(/\{([^}]+)\}/g, ":$1"),
      method: method.toUpperCase(),
      statuses: Object.keys(item[method]?.responses ?? {}).filter((s) => /^\d{3}$/.test(s)),
    })),
  );
}

/** Statuses any request can get that no single operation describes. */
const GLOBAL_RESPONSES = {
  NotFound: [404, "No resource at this path (unknown paths)", "no resource at this path"],
  MethodNotAllowed: [
    405,
    "The path exists but does not answer this method; `Allow` lists the methods it does",
    "PUT is not allowed on this resource",
  ],
  RequestTimeout: [
    408,
    "The request was not received in time",
    "the request was not received in time",
  ],
  UriTooLong: [
    414,
    "The request target is longer than the server accepts",
    "the request target is longer than 8192 bytes",
  ],
  ExpectationFailed: [
    417,
    "An `Expect` other than 100-continue",
    "the server supports no expectation but 100-continue, not 'bogus'",
  ],
  HeaderFieldsTooLarge: [
    431,
    "The request headers are too large",
    "the request headers are too large",
  ],
  NotImplemented: [
    501,
    "A method the server implements on no resource",
    "BREW is not implemented by this server",
  ],
} as const;

const DESCRIPTION = `User management API. Every error is RFC 9457 \`application/problem+json\`.

Besides the responses each operation lists, any request can get: 404 for an unknown path,
405 with \`Allow\` for a method the path does not answer, 501 for a method the server
implements nowhere, 408, 414, 417 and 431 when the request itself is refused before routing
(see \`components.responses\`), 413 for a body over 16 KiB and 500. Query parameters an
operation does not list are rejected with 400. Every response carries \`x-app-version\` and
\`x-request-id\`.

The user operations need a bearer JWT (see the \`${BEARER_SCHEME}\` security scheme); the
meta operations are open.`;

const BEARER_DESCRIPTION = `A JWT (RFC 7519) in \`Authorization: Bearer <token>\` (RFC 6750), signed with
${ALLOWED_ALGORITHMS.join(", ")} by a key of the server's JWKS, with the configured \`iss\` and \`aud\`,
an \`exp\` (and \`nbf\` if any) within a small clock tolerance.

Scopes, in the space-separated \`scope\` claim (each operation's security requirement names the one it needs):
- \`${USERS_READ}\`: GET (and HEAD) \`/user\` and \`/user/{username}\`;
- \`${USERS_WRITE}\`: POST, PUT, PATCH and DELETE.

Self-service: on the operations marked \`${SELF_SERVICE_EXTENSION}: username\`, a token whose \`sub\`
equals the path's \`username\` needs no scope (GET, PUT, PATCH and DELETE of one's own user).

Errors: 401 with \`WWW-Authenticate: Bearer\` (plus \`error="invalid_token"\` when a token was sent),
400 \`invalid_request\` for a malformed Authorization header, 403 \`insufficient_scope\` naming the scope,
503 with \`Retry-After\` when the keys cannot be fetched (the server never lets a request through
unverified). A server started without \`AUTH_*\` outside production (development) checks no token.`;

/** Refusals any request can get, whatever the operation: referenced from every operation. */
const REFUSALS = {
  408: "RequestTimeout",
  414: "UriTooLong",
  417: "ExpectationFailed",
  431: "HeaderFieldsTooLarge",
} as const;

/** The document with every operation also listing `REFUSALS`. */
function withRefusals(document: OpenAPIObject): OpenAPIObject {
  const refusals = Object.fromEntries(
    Object.entries(REFUSALS).map(([status, name]) => [
      status,
      { $ref: `#/components/responses/${name}` },
    ]),
  );
  const paths = Object.fromEntries(
    Object.entries(document.paths ?? {}).map(([path, item]) => [
      path,
      Object.fromEntries(
        Object.entries(item).map(([method, operation]) => [
          method,
          HTTP_METHODS.includes(method as (typeof HTTP_METHODS)[number])
            ? { ...operation, responses: byStatus({ ...refusals, ...operation.responses }) }
            : operation,
        ]),
      ),
    ]),
  );
  return { ...document, paths };
}

const byStatus = <T>(responses: Record<string, T>) =>
  Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));

export interface PublishedDocs {
  /** Builds the document (call once every route is registered) and returns its operations. */
  publish(): DocumentedOperation[];
}

/**
 * Registers `/openapi.json`, the docs page and its assets. The document is
 * built by `publish()`, after the remaining routes (OPTIONS) are registered.
 */
export function registerDocs(
  app: OpenAPIHono<AppBindings>,
  { title, version }: DocsOptions,
): PublishedDocs {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: OPENAPI_PATH,
    operationId: "getOpenApiDocument",
    tags: ["meta"],
    summary: "This OpenAPI 3.1 document",
    description:
      "Generated from the zod schemas that validate requests, so it states every rule the server enforces.",
    responses: {
      200: {
        description: "OpenAPI document",
        content: { "application/json": { schema: { type: "object" } } },
      },
      ...badRequest("unknownQuery"),
      ...problemResponses(),
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: DOCS_PATH,
    operationId: "getDocs",
    tags: ["meta"],
    summary: "Swagger UI for this API",
    description: "Served from this server (no CDN) under a strict Content-Security-Policy.",
    responses: {
      200: { description: "HTML page", content: { "text/html": { schema: { type: "string" } } } },
      ...badRequest("unknownQuery"),
      ...problemResponses(),
    },
  });
  app.openAPIRegistry.registerComponent("securitySchemes", BEARER_SCHEME, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: BEARER_DESCRIPTION,
  });
  for (const [name, [status, description, detail]] of Object.entries(GLOBAL_RESPONSES)) {
    app.openAPIRegistry.registerComponent("responses", name, {
      description,
      ...(status === 405
        ? {
            headers: {
              Allow: {
                schema: { type: "string" },
                required: true,
                description: "The methods of the path",
              },
            },
          }
        : {}),
      content: {
        "application/problem+json": {
          schema: { $ref: "#/components/schemas/Problem" },
          example: problem(status, detail),
        },
      },
    });
  }

  let documentJson = "";
  app.get(OPENAPI_PATH, noQuery, (c) => {
    c.header("content-type", "application/json; charset=utf-8");
    return c.body(documentJson, 200);
  });

  const page = renderDocsPage(`${title} ${version}`);
  app.get(DOCS_PATH, noQuery, (c) => {
    c.header("content-security-policy", page.csp);
    return c.html(page.html, 200);
  });

  const assetDir = dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  const cache = new Map<string, Promise<Buffer>>();
  app.get(`${ASSETS_BASE}/swagger-ui-dist/:file`, async (c) => {
    const file = c.req.param("file");
    const type = ASSETS[file];
    if (type === undefined) return c.notFound();
    let content = cache.get(file);
    if (content === undefined) {
      content = readFile(join(assetDir, file));
      cache.set(file, content);
    }
    c.header("content-type", type);
    c.header("cache-control", "public, max-age=86400");
    return c.body(new Uint8Array(await content), 200);
  });

  return {
    publish() {
      // Built once: the routes are fixed after createApp.
      const document = app.getOpenAPI31Document({
        openapi: "3.1.0",
        info: {
          title,
          version,
          description: DESCRIPTION,
          contact: { name: "userapi maintainers", url: "https://github.com/userapi-dev/userapi" },
          license: { name: "MIT", url: "https://spdx.org/licenses/MIT.html" },
        },
        servers: [{ url: "/", description: "The server that serves this document" }],
        // Open unless an operation says otherwise: the meta routes need no token.
        security: [],
        tags: [
          { name: "users", description: "The user resource" },
          { name: "meta", description: "Service information, probes, metrics and these docs" },
        ],
      });
      // Series for the statuses the app's routes answer; refusals before routing are labelled "unmatched".
      const operations = documentedOperations(document);
      documentJson = JSON.stringify(withRefusals(document));
      return operations;
    },
  };
}
