/**
 * Builds the HTTP application from its dependencies. No side effects: tests
 * create as many apps as they like, each with its own store and registry.
 */
import { OpenAPIHono } from "@hono/zod-openapi";
import type { Logger } from "pino";
import { Registry } from "prom-client";
import type { TokenVerifier } from "./auth/token-verifier.js";
import { handleError } from "./lib/error-handler.js";
import { registerImplicitMethods } from "./lib/implicit-methods.js";
import { allowedMethodsFor } from "./lib/method-not-allowed.js";
import { problemResponse } from "./lib/problem.js";
import { DEFAULT_BODY_TIMEOUT_MS } from "./lib/server-limits.js";
import type { AppBindings } from "./lib/types.js";
import { validationHook } from "./lib/validation-hook.js";
import { bodyLimit } from "./middleware/body-limit.js";
import { initializeRequestSeries, registerMetrics } from "./middleware/metrics.js";
import { requestGuards } from "./middleware/request-guards.js";
import { requestLifecycle } from "./middleware/request-lifecycle.js";
import { registerDocs } from "./routes/docs/docs.index.js";
import { createMetaRouter } from "./routes/meta/meta.index.js";
import { createUsersRouter } from "./routes/users/users.index.js";
import { JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE } from "./routes/users/users.routes.js";
import type { UserStore } from "./store/user-store.js";

const PATCH_MEDIA_TYPES = [JSON_MEDIA_TYPE, MERGE_PATCH_MEDIA_TYPE];

/** Every request body, however it is sent (chunked included), is capped here. */
export const MAX_BODY_BYTES = 16 * 1024;

export interface AppOptions {
  readonly store: UserStore;
  readonly logger: Logger;
  /** Sent as `x-app-version` and in `GET /`. */
  readonly version: string;
  /** Metrics registry; pass one with default process metrics in production. @default a fresh Registry */
  readonly registry?: Registry;
  /** Clock in epoch milliseconds. @default Date.now */
  readonly now?: () => number;
  /** True while shutting down, so `/ready` fails. @default () => false */
  readonly isDraining?: () => boolean;
  /** Longest wait for a request body once the app reads it; then 408. @default 10000 */
  readonly bodyTimeoutMs?: number;
  /**
   * Verifies the bearer tokens of the user operations (`auth/create-verifier.ts`).
   * Undefined means authentication off: main.ts passes undefined only when the
   * environment says so, and warns. @default undefined
   */
  readonly verifyToken?: TokenVerifier | undefined;
}

export function createApp(options: AppOptions): OpenAPIHono<AppBindings> {
  const { store, logger, version } = options;
  const registry = options.registry ?? new Registry();
  const isDraining = options.isDraining ?? (() => false);
  const app = new OpenAPIHono<AppBindings>({ defaultHook: validationHook });

  const metrics = registerMetrics(registry, store);
  app.use(requestLifecycle({ version, logger, metrics, isDraining }));
  app.use(requestGuards);
  app.use(
    bodyLimit(MAX_BODY_BYTES, (c) =>
      problemResponse(c, 413, `the request body must be at most ${MAX_BODY_BYTES} bytes`),
    ),
  );

  app.route(
    "/",
    createMetaRouter({
      store,
      version,
      registry,
      isDraining,
    }),
  );
  app.route(
    "/",
    createUsersRouter({
      store,
      now: options.now ?? Date.now,
      bodyTimeoutMs: options.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
      verifyToken: options.verifyToken,
    }),
  );
  const docs = registerDocs(app, { title: "userapi", version });
  registerImplicitMethods(app, PATCH_MEDIA_TYPES.join(", "));
  initializeRequestSeries(metrics, docs.publish());

  const allowedMethods = allowedMethodsFor(app.routes);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0 && !allowed.includes(c.req.method)) {
      return problemResponse(c, 405, `${c.req.method} is not allowed on this resource`, {
        headers: { allow: allowed.join(", ") },
      });
    }
    return problemResponse(c, 404, "no resource at this path");
  });
  app.onError(handleError);
  return app;
}
