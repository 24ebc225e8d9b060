import type { Context } from "hono";
import { matchedRoutes } from "hono/route";

/** Label for requests that matched no route: raw paths would let clients create label values. */
export const UNMATCHED_ROUTE = "unmatched";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The route template that answered (e.g. `/user/:username`), never the raw path. */
export function routeLabel(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    // Middleware is registered with method ALL; the handler route has a concrete method.
    if (route !== undefined && route.method !== "ALL") return route.path;
  }
  return UNMATCHED_ROUTE;
}

/** Request method for labels: arbitrary client methods collapse into `OTHER`. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : "OTHER";
}
