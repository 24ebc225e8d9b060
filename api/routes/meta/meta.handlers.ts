import type { Registry } from "prom-client";
import type { AppRouteHandler } from "../../lib/types.js";
import type { UserStore } from "../../store/user-store.js";
import type {
  HealthRoute,
  MetricsRoute,
  ReadyRoute,
  ServiceInfoRoute,
  ServingRoute,
} from "./meta.routes.js";

export interface MetaHandlerDeps {
  readonly store: UserStore;
  readonly version: string;
  readonly registry: Registry;
  /** True once shutdown began: `/serving` and `/ready` fail so traffic moves elsewhere. */
  readonly isDraining: () => boolean;
}

/** The readiness answer must come within 1 s even if the store stalls. */
const READY_TIMEOUT_MS = 900;

export function createMetaHandlers({ store, version, registry, isDraining }: MetaHandlerDeps) {
  const info = { name: "userapi", version, docs: "/docs" };

  const serviceInfo: AppRouteHandler<ServiceInfoRoute> = (c) => c.json(info, 200);

  const health: AppRouteHandler<HealthRoute> = (c) => c.json({ status: "ok" as const }, 200);

  const ready: AppRouteHandler<ReadyRoute> = async (c) => {
    const redis: "ok" | "down" = (await pingWithin(store, READY_TIMEOUT_MS)) ? "ok" : "down";
    if (redis === "ok" && !isDraining()) {
      return c.json({ status: "ok" as const, checks: { redis } }, 200);
    }
    return c.json({ status: "unavailable" as const, checks: { redis } }, 503);
  };

  const serving: AppRouteHandler<ServingRoute> = (c) =>
    isDraining()
      ? c.json({ status: "draining" as const }, 503)
      : c.json({ status: "ok" as const }, 200);

  const metrics: AppRouteHandler<MetricsRoute> = async (c) => {
    const body = await registry.metrics();
    return c.text(body, 200, { "content-type": registry.contentType });
  };

  return { serviceInfo, health, ready, serving, metrics };
}

async function pingWithin(store: UserStore, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([store.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
