import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import type { UserStore } from "../store/user-store.js";

/** Latency buckets in seconds: fine below 10 ms where this service lives, coarse up to the 1 s SLO edge. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
] as const;

export interface HttpMetrics {
  readonly requests: Counter<"method" | "route" | "status">;
  readonly duration: Histogram<"method" | "route" | "status">;
}

/** Registers the HTTP metrics and the store gauge on `registry`. */
export function registerMetrics(registry: Registry, store: UserStore): HttpMetrics {
  new Gauge({
    name: "userapi_store_up",
    help: "1 when the user store (Redis) is reachable, 0 when it is not",
    registers: [registry],
    collect() {
      this.set(store.isAvailable() ? 1 : 0);
    },
  });
  return {
    requests: new Counter({
      name: "http_requests_total",
      help: "HTTP requests by method, route template and status",
      labelNames: ["method", "route", "status"],
      registers: [registry],
    }),
    duration: new Histogram({
      name: "http_request_duration_seconds",
      help: "HTTP request duration in seconds by method, route template and status",
      labelNames: ["method", "route", "status"],
      buckets: [...DURATION_BUCKETS],
      registers: [registry],
    }),
  };
}

/** Counts one finished request and records its duration. */
export function recordRequest(
  { requests, duration }: HttpMetrics,
  labels: { method: string; route: string; status: string },
  seconds: number,
): void {
  requests.inc(labels);
  duration.observe(labels, seconds);
}

/** The documented operations: route template (Hono syntax), method, and the statuses it can answer. */
export interface DocumentedOperation {
  readonly route: string;
  readonly method: string;
  readonly statuses: readonly string[];
}

/**
 * Creates every documented `http_requests_total` series at 0, so the first
 * error after a quiet period shows in `rate()` instead of appearing as a new
 * series whose first sample is lost.
 */
export function initializeRequestSeries(
  { requests }: HttpMetrics,
  operations: readonly DocumentedOperation[],
): void {
  for (const { route, method, statuses } of operations) {
    for (const status of statuses) requests.inc({ method, route, status }, 0);
  }
}
