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
import type { AppBindings } from "../../lib/types.js";
import type { DocumentedOperation } from "../../middleware/metrics.js";

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

/**
 * Registers the OpenAPI document and the docs page; call after every API
 * route is registered. Returns the documented operations.
 */
export function registerDocs(
  app: OpenAPIHono<AppBindings>,
  { title, version }: DocsOptions,
): DocumentedOperation[] {
  app.openAPIRegistry.registerPath({
    method: "get",
    path: OPENAPI_PATH,
    tags: ["meta"],
    summary: "This OpenAPI 3.1 document",
    responses: {
      200: { description: "OpenAPI document", content: { "application/json": { schema: {} } } },
    },
  });
  app.openAPIRegistry.registerPath({
    method: "get",
    path: DOCS_PATH,
    tags: ["meta"],
    summary: "Swagger UI for this API",
    responses: { 200: { description: "HTML page", content: { "text/html": { schema: {} } } } },
  });

  // Built once: the routes are fixed after createApp.
  const document = app.getOpenAPI31Document({
    openapi: "3.1.0",
    info: {
      title,
      version,
      description: "User management API. Errors are RFC 9457 application/problem+json.",
    },
  });
  const documentJson = JSON.stringify(document);
  app.get(OPENAPI_PATH, (c) => {
    c.header("content-type", "application/json; charset=utf-8");
    return c.body(documentJson, 200);
  });

  const page = renderDocsPage(`${title} ${version}`);
  app.get(DOCS_PATH, (c) => {
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
  return documentedOperations(document);
}
