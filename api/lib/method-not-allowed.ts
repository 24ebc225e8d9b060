/**
 * Tells a path that exists under other methods (405 + Allow) from a path
 * that does not exist (404), using the routes the app registered.
 */
import type { RouterRoute } from "hono/types";

/** Methods registered for a path, with HEAD wherever GET is; empty when no route matches. */
export type AllowedMethods = (path: string) => readonly string[];

const PARAM = /:[A-Za-z0-9_]+/g;

export function allowedMethodsFor(routes: readonly RouterRoute[]): AllowedMethods {
  const byPath = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of routes) {
    if (method === "ALL") continue;
    let entry = byPath.get(path);
    if (entry === undefined) {
      const source = path
        .split(PARAM)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
        .join("[^/]+");
      entry = { pattern: new RegExp(`^${source}$`), methods: new Set() };
      byPath.set(path, entry);
    }
    entry.methods.add(method.toUpperCase());
    if (method.toUpperCase() === "GET") entry.methods.add("HEAD");
  }
  const entries = [...byPath.values()];
  return (path) => {
    const methods = new Set<string>();
    for (const { pattern, methods: registered } of entries) {
      if (pattern.test(path)) for (const m of registered) methods.add(m);
    }
    return [...methods].sort();
  };
}
