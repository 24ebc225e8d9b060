/**
 * A local weighted router: an HTTP proxy in front of two API processes that
 * does what the Istio ingress gateway and the tracks' sidecars do for the
 * canary, so the driver can be proven end to end without a cluster:
 *
 * - splits requests between the tracks by weight (settable at run time),
 * - injects faults per track like Istio's `fault.abort` (a status for a
 *   percentage of requests, answered by the proxy; the app never sees them),
 * - exports, per track, the metrics a sidecar exports on the inbound side
 *   (`istio_requests_total` and `istio_request_duration_milliseconds`, with
 *   `reporter="destination"`), so the canary's `mesh` queries run unchanged.
 *
 * Admin API (its own port): PUT /weights {"v1":75,"v2":25}; GET /weights;
 * PUT /faults/<track> {"status":503,"percentage":50}; DELETE /faults/<track>;
 * GET /metrics/<track> (Prometheus text format).
 */
import {
  Agent,
  createServer,
  type IncomingMessage,
  request,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, Histogram, Registry } from "prom-client";
import { z } from "zod";
import type { Track } from "./analysis.js";
import type { TrackWeights } from "./splitter.js";

/** Istio's default request-duration buckets (milliseconds). */
const ISTIO_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000,
  1800000, 3600000,
];

const WeightsSchema = z
  .object({ v1: z.int().min(0).max(100), v2: z.int().min(0).max(100) })
  .strict()
  .refine((w) => w.v1 + w.v2 === 100, { error: "v1 + v2 must be 100" });
const FaultSchema = z
  .object({ status: z.int().min(200).max(599), percentage: z.number().min(0).max(100) })
  .strict();

export type Fault = z.output<typeof FaultSchema>;

export interface RouterOptions {
  readonly upstreams: Readonly<Record<Track, string>>;
  /** @default all on v1 */
  readonly weights?: TrackWeights;
  /** Random source in [0, 1) (a test may fix it). @default Math.random */
  readonly random?: () => number;
}

export interface WeightedRouter {
  /** Where clients send traffic. */
  readonly url: string;
  /** The admin API (weights, faults, metrics). */
  readonly adminUrl: string;
  weights(): TrackWeights;
  /** Every weight change accepted, in order (the admin API's and setWeights'). */
  history(): readonly TrackWeights[];
  setWeights(weights: TrackWeights): void;
  setFault(track: Track, fault: Fault | undefined): void;
  /** Requests routed per track since the start. */
  routed(): Readonly<Record<Track, number>>;
  stop(): Promise<void>;
}

interface TrackMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"reporter" | "response_code" | "response_flags">;
  readonly duration: Histogram<"reporter" | "response_code" | "response_flags">;
}

function trackMetrics(): TrackMetrics {
  const registry = new Registry();
  const labelNames = ["reporter", "response_code", "response_flags"] as const;
  return {
    registry,
    requests: new Counter({
      name: "istio_requests_total",
      help: "Requests (sidecar view)",
      labelNames,
      registers: [registry],
    }),
    duration: new Histogram({
      name: "istio_request_duration_milliseconds",
      help: "Request duration in ms (sidecar view)",
      labelNames,
      buckets: ISTIO_BUCKETS,
      registers: [registry],
    }),
  };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  let body = "";
  for await (const chunk of req) body += chunk;
  return JSON.parse(body);
}

export async function startRouter(options: RouterOptions): Promise<WeightedRouter> {
  const random = options.random ?? Math.random;
  let weights: TrackWeights = { ...(options.weights ?? { v1: 100, v2: 0 }) };
  const faults: Partial<Record<Track, Fault>> = {};
  const history: TrackWeights[] = [];
  const metrics = { v1: trackMetrics(), v2: trackMetrics() };
  const routed: Record<Track, number> = { v1: 0, v2: 0 };
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });

  const record = (track: Track, status: number, flags: string, started: number) => {
    const labels = {
      reporter: "destination",
      response_code: String(status),
      response_flags: flags,
    };
    metrics[track].requests.inc(labels);
    metrics[track].duration.observe(labels, performance.now() - started);
  };

  const proxy = createServer((req: IncomingMessage, res: ServerResponse) => {
    const started = performance.now();
    const track: Track = random() * 100 < weights.v1 ? "v1" : "v2";
    routed[track]++;
    const fault = faults[track];
    if (fault !== undefined && random() * 100 < fault.percentage) {
      // What Envoy's fault filter answers: the app never sees the request.
      req.resume();
      res.writeHead(fault.status, { "content-type": "text/plain" }).end("fault filter abort");
      record(track, fault.status, "FI", started);
      return;
    }
    const target = new URL(req.url ?? "/", options.upstreams[track]);
    const upstream = request(
      target,
      { method: req.method, headers: { ...req.headers, host: target.host }, agent },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
        answer.on("end", () => record(track, answer.statusCode ?? 502, "-", started));
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(503, { "content-type": "text/plain" });
      res.end("upstream connect error");
      record(track, 503, "UF", started);
    });
    req.pipe(upstream);
  });

  const admin = createServer((req, res) => {
    const reply = (status: number, body: unknown) =>
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    const path = new URL(req.url ?? "/", "http://admin").pathname;
    const handle = async () => {
      if (path === "/weights" && req.method === "GET") return reply(200, weights);
      if (path === "/weights" && req.method === "PUT") {
        const parsed = WeightsSchema.safeParse(await readJson(req));
        if (!parsed.success)
          return reply(400, { error: parsed.error.issues.map((i) => i.message).join("; ") });
        weights = parsed.data;
        history.push(weights);
        return reply(200, weights);
      }
      const match = /^\/(faults|metrics)\/(v1|v2)$/.exec(path);
      const track = match?.[2] as Track | undefined;
      if (match?.[1] === "metrics" && track && req.method === "GET") {
        const text = await metrics[track].registry.metrics();
        return res
          .writeHead(200, { "content-type": metrics[track].registry.contentType })
          .end(text);
      }
      if (match?.[1] === "faults" && track && req.method === "PUT") {
        const parsed = FaultSchema.safeParse(await readJson(req));
        if (!parsed.success)
          return reply(400, { error: parsed.error.issues.map((i) => i.message).join("; ") });
        faults[track] = parsed.data;
        return reply(200, parsed.data);
      }
      if (match?.[1] === "faults" && track && req.method === "DELETE") {
        delete faults[track];
        return reply(200, {});
      }
      return reply(404, { error: `no ${req.method} ${path}` });
    };
    handle().catch((error: Error) => reply(400, { error: error.message }));
  });

  const [url, adminUrl] = await Promise.all([listen(proxy), listen(admin)]);
  return {
    url,
    adminUrl,
    weights: () => weights,
    history: () => [...history],
    setWeights(next) {
      weights = WeightsSchema.parse(next);
      history.push(weights);
    },
    setFault(track, fault) {
      if (fault === undefined) delete faults[track];
      else faults[track] = FaultSchema.parse(fault);
    },
    routed: () => ({ ...routed }),
    async stop() {
      const closed = (server: Server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      await Promise.all([closed(proxy), closed(admin)]);
      agent.destroy();
    },
  };
}
