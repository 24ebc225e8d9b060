import { createRoute, z } from "@hono/zod-openapi";
import { jsonContent, problemResponses } from "../../lib/responses.js";

const tags = ["meta"];

export const ServiceInfoSchema = z
  .object({
    name: z.string().openapi({ example: "userapi" }),
    version: z.string().openapi({ example: "1.0.0" }),
    docs: z.string().openapi({ example: "/docs" }),
  })
  .openapi("ServiceInfo");

export const HealthSchema = z.object({ status: z.literal("ok") }).openapi("Health");

export const ReadinessSchema = z
  .object({
    status: z.enum(["ok", "unavailable"]),
    checks: z.object({ redis: z.enum(["ok", "down"]) }),
  })
  .openapi("Readiness");

export const ServingSchema = z
  .object({ status: z.enum(["ok", "draining"]) })
  .openapi("Serving", { example: { status: "ok" } });

export const serviceInfo = createRoute({
  method: "get",
  path: "/",
  tags,
  summary: "Service name, version and where the docs are",
  responses: { 200: jsonContent(ServiceInfoSchema, "Service information"), ...problemResponses() },
});

export const health = createRoute({
  method: "get",
  path: "/health",
  tags,
  summary: "Liveness: the process serves requests (never touches Redis)",
  responses: { 200: jsonContent(HealthSchema, "Alive"), ...problemResponses() },
});

export const ready = createRoute({
  method: "get",
  path: "/ready",
  tags,
  summary: "Readiness: the store answers; 503 while it does not or while shutting down",
  responses: {
    200: jsonContent(ReadinessSchema, "Ready to serve /user requests"),
    503: jsonContent(ReadinessSchema, "Not ready: the store is down or the process is draining"),
    ...problemResponses(),
  },
});

export const serving = createRoute({
  method: "get",
  path: "/serving",
  tags,
  summary: "Serving: the process accepts traffic (503 once shutdown began; never touches Redis)",
  description:
    "The Kubernetes readiness probe. It does not depend on Redis, so a Redis outage keeps " +
    "every pod in the load balancer and clients get the API's own 503 with Retry-After on " +
    "/user routes instead of a proxy's 'no healthy upstream'. `/ready` still reports Redis.",
  responses: {
    200: jsonContent(ServingSchema, "Accepting traffic"),
    503: jsonContent(ServingSchema, "Draining: shutdown began, send traffic elsewhere"),
    ...problemResponses(),
  },
});

export const metrics = createRoute({
  method: "get",
  path: "/metrics",
  tags,
  summary: "Prometheus metrics (text exposition format)",
  responses: {
    200: {
      description: "Metrics",
      content: { "text/plain": { schema: z.string().openapi({ example: "http_requests_total" }) } },
    },
    ...problemResponses(),
  },
});

export type ServiceInfoRoute = typeof serviceInfo;
export type HealthRoute = typeof health;
export type ReadyRoute = typeof ready;
export type ServingRoute = typeof serving;
export type MetricsRoute = typeof metrics;
