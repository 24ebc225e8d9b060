import { createMiddleware } from "hono/factory";
import type { Logger } from "pino";
import type { AppBindings } from "../lib/types.js";
import { type HttpMetrics, recordRequest } from "./metrics.js";
import { resolveRequestId } from "./request-id.js";
import { setResponseHeaders } from "./response-headers.js";
import { methodLabel, routeLabel } from "./route-label.js";
import { standardHeaders } from "./standard-headers.js";

export interface RequestLifecycleOptions {
  readonly version: string;
  readonly logger: Logger;
  readonly metrics: HttpMetrics;
  /** True once shutdown began. */
  readonly isDraining: () => boolean;
}

/**
 * Everything that happens around every request, in one middleware so the
 * route label and the clock are read once: request id and standard headers
 * before the handler (headers set after it make Hono rebuild the response),
 * then one metrics sample and one JSON log line after it.
 */
export function requestLifecycle({
  version,
  logger,
  metrics,
  isDraining,
}: RequestLifecycleOptions) {
  const headers = standardHeaders(version);
  const logInfo = logger.isLevelEnabled("info");
  return createMiddleware<AppBindings>(async (c, next) => {
    const start = performance.now();
    const requestId = resolveRequestId(c.req.header("x-request-id"));
    c.set("requestId", requestId);
    c.set("logger", logger);
    setResponseHeaders(c, headers);
    setResponseHeaders(c, [["x-request-id", requestId]]);
    try {
      await next();
    } finally {
      // While draining, keep-alive clients must reconnect elsewhere instead of reusing
      // a socket the server is about to close; rare enough to pay the late header.
      if (isDraining()) c.header("connection", "close");
      const method = methodLabel(c.req.method);
      const route = routeLabel(c);
      const status = c.res.status;
      const durationMs = performance.now() - start;
      recordRequest(metrics, { method, route, status: String(status) }, durationMs / 1000);
      if (logInfo) {
        logger.info(
          {
            reqId: requestId,
            method,
            route,
            path: c.req.path.slice(0, 256),
            status,
            durationMs: Math.round(durationMs * 1000) / 1000,
          },
          "request",
        );
      }
    }
  });
}
