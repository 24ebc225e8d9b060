import { createRoute, z } from "@hono/zod-openapi";
import { badRequest, jsonContent, problemResponses } from "../../lib/responses.js";
import { noQuery } from "../../middleware/no-query.js";

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
  operationId: "getServiceInfo",
  tags,
  middleware: [noQuery] as const,
  summary: "Service name, version and where the docs are",
  description: "The same version the `x-app-version` header carries.",
  responses: {
    200: jsonContent(ServiceInfoSchema, "Service information"),
    ...badRequest("unknownQuery"),
    ...problemResponses(),
  },
});

export const health = createRoute({
  method: "get",
  path: "/health",
  operationId: "getHealth",
  tags,
  middleware: [noQuery] as const,
  summary: "Liveness: the process serves requests (never touches Redis)",
  description:
    "For liveness probes: 200 whenever the process can answer, whatever the state of Redis.",
  responses: {
    200: jsonContent(HealthSchema, "Alive"),
    ...badRequest("unknownQuery"),
    ...problemResponses(),
  },
});

export const ready = createRoute({
  method: "get",
  path: "/ready",
  operationId: "getReadiness",
  tags,
  middleware: [noQuery] as const,
  summary: "Readiness: the store answers; 503 while it does not or while shutting down",
  description:
    "Pings Redis with a 900 ms bound; answers `application/json` in both states (not a problem document).",
  responses: {
    200: jsonContent(ReadinessSchema, "Ready to serve /user requests"),
    503: jsonContent(ReadinessSchema, "Not ready: the store is down or the process is draining"),
    ...badRequest("unknownQuery"),
    ...problemResponses(),
  },
});

export const serving = createRoute({
  method: "get",
  path: "/serving",
  operationId: "getServing",
  tags,
  middleware: [noQuery] as const,
  summary: "Serving: the process accepts traffic (503 once shutdown began; never touches Redis)",
  description:
    "The Kubernetes readiness probe. It does not depend on Redis, so a Redis outage keeps " +
    "every pod in the load balancer and clients get the API's own 503 with Retry-After on " +
    "/user routes instead of a proxy's 'no healthy upstream'. `/ready` still reports Redis.",
  responses: {
    200: jsonContent(ServingSchema, "Accepting traffic"),
    503: jsonContent(ServingSchema, "Draining: shutdown began, send traffic elsewhere"),
    ...badRequest("unknownQuery"),
    ...problemResponses(),
  },
});

export const metrics = createRoute({
  method: "get",
  path: "/metrics",
  operationId: "getMetrics",
  tags,
  middleware: [noQuery] as const,
  summary: "Prometheus metrics (text exposition format)",
  description:
    "Request counts and durations by route template, the store gauge and the Node.js process metrics.",
  responses: {
    200: {
      description: "Metrics",
      content: { "text/plain": { schema: z.string().openapi({ example: "http_requests_total" }) } },
    },
    ...badRequest("unknownQuery"),
    ...problemResponses(),
  },
});

export type ServiceInfoRoute = typeof serviceInfo;
export type HealthRoute = typeof health;
export type ReadyRoute = typeof ready;
export type ServingRoute = typeof serving;
export type MetricsRoute = typeof metrics;
