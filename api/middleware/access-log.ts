import { createMiddleware } from "hono/factory";
import type { Logger } from "pino";
import type { AppBindings } from "../lib/types.js";
import { methodLabel, routeLabel } from "./route-label.js";

/** One JSON line per request: method, route template, path, status, duration and request id. */
export function accessLog(logger: Logger) {
  return createMiddleware<AppBindings>(async (c, next) => {
    c.set("logger", logger);
    const start = performance.now();
    try {
      await next();
    } finally {
      if (logger.isLevelEnabled("info")) {
        logger.info(
          {
            reqId: c.get("requestId"),
            method: methodLabel(c.req.method),
            route: routeLabel(c),
            path: c.req.path.slice(0, 256),
            status: c.res.status,
            durationMs: Math.round((performance.now() - start) * 1000) / 1000,
          },
          "request",
        );
      }
    }
  });
}
