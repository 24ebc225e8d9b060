/**
 * A keep-alive HTTP/1.1 client for fault tests. Unlike `fetch`, it reports
 * what happened on the wire: whether the request went out on a reused
 * keep-alive socket, whether any response bytes arrived, and the error code
 * (ECONNREFUSED, ECONNRESET, TIMEOUT), so tests can tell a refused new
 * connection from a request reset mid-flight.
 */
import { Agent, type IncomingHttpHeaders, request } from "node:http";
import { connect } from "node:net";

export interface HttpCall {
  readonly method: string;
  /** Sent as is (no normalisation), e.g. `/user/../x` or `/user/%2e%2e`. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** A string or bytes is sent with Content-Length; an iterable is sent chunked, piece by piece. */
  readonly body?: string | Uint8Array | AsyncIterable<Uint8Array>;
  /** Aborts the request (error "TIMEOUT") when no full answer came within this time. @default 1000 */
  readonly timeoutMs?: number;
}

export interface HttpOutcome {
  readonly method: string;
  readonly path: string;
  /** performance.now() when the request was issued and when it settled. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Present when a complete response arrived. */
  readonly status?: number;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: string;
  /** Error code when no complete response arrived: ECONNREFUSED, ECONNRESET, TIMEOUT, ... */
  readonly error?: string;
  /** The request was written to a keep-alive socket that an earlier request had used. */
  readonly reusedSocket: boolean;
  /** Response headers had arrived before the error (a reset mid-response). */
  readonly responseStarted: boolean;
}

/** An agent that keeps one socket per concurrent caller alive between requests. */
export function keepAliveAgent(maxSockets: number): Agent {
  return new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
}

function errorCode(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === "AbortError" || error.name === "TimeoutError") return "TIMEOUT";
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ABORT_ERR") return "TIMEOUT";
    return code ?? error.message;
  }
  return String(error);
}

/** Sends one request; never rejects: failures come back as `error`. */
export function send(agent: Agent, port: number, call: HttpCall): Promise<HttpOutcome> {
  const startedAt = performance.now();
  const timeoutMs = call.timeoutMs ?? 1000;
  return new Promise((resolve) => {
    let settled = false;
    let responseStarted = false;
    const req = request({
      host: "127.0.0.1",
      port,
      method: call.method,
      path: call.path,
      agent,
      signal: AbortSignal.timeout(timeoutMs),
      headers: {
        ...(typeof call.body === "string" || call.body instanceof Uint8Array
          ? { "content-length": String(Buffer.byteLength(call.body)) }
          : {}),
        // Node chunks bodies by default only for some methods (not DELETE or OPTIONS).
        ...(call.body !== undefined &&
        typeof call.body === "object" &&
        !(call.body instanceof Uint8Array)
          ? { "transfer-encoding": "chunked" }
          : {}),
        ...call.headers,
      },
    });
    const finish = (outcome: Omit<HttpOutcome, "method" | "path" | "startedAt" | "endedAt">) => {
      if (settled) return;
      settled = true;
      resolve({
        method: call.method,
        path: call.path,
        startedAt,
        endedAt: performance.now(),
        ...outcome,
      });
    };
    const fail = (error: unknown) =>
      finish({ error: errorCode(error), reusedSocket: req.reusedSocket, responseStarted });

    req.on("error", fail);
    req.on("response", (res) => {
      responseStarted = true;
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", fail);
      res.on("aborted", () => fail(Object.assign(new Error("aborted"), { code: "ECONNRESET" })));
      res.on("end", () => {
        if (!res.complete) {
          fail(Object.assign(new Error("incomplete response"), { code: "ECONNRESET" }));
          return;
        }
        finish({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          reusedSocket: req.reusedSocket,
          responseStarted,
        });
      });
    });

    const body = call.body;
    if (body === undefined || typeof body === "string" || body instanceof Uint8Array) {
      req.end(body);
      return;
    }
    void (async () => {
      try {
        for await (const piece of body) {
          if (settled) return;
          req.write(piece);
        }
        req.end();
      } catch (error) {
        req.destroy(error as Error);
      }
    })();
  });
}

/** A body that arrives in `pieces` parts, `delayMs` apart (keeps a request in flight). */
export async function* trickle(
  text: string,
  pieces: number,
  delayMs: number,
): AsyncIterable<Uint8Array> {
  const bytes = Buffer.from(text, "utf8");
  const size = Math.ceil(bytes.length / pieces);
  for (let offset = 0; offset < bytes.length; offset += size) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    yield bytes.subarray(offset, offset + size);
  }
}

/** Percentile (0-100) of a list of numbers, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export interface RawExchange {
  /** Status codes of every response the server wrote on the connection, in order. */
  readonly statuses: readonly number[];
  /** Everything the server sent (Latin-1 decoded). */
  readonly text: string;
  /** The server had not closed the connection within the timeout. */
  readonly timedOut: boolean;
}

/** Writes raw bytes on a fresh connection, half-closes it, and reads until the server closes. */
export function sendRaw(port: number, raw: string, timeoutMs = 2000): Promise<RawExchange> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, timeoutMs);
    socket.on("connect", () => socket.end(Buffer.from(raw, "latin1")));
    socket.on("data", (chunk: Buffer) => {
      text += chunk.toString("latin1");
    });
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearTimeout(timer);
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ statuses, text, timedOut });
    });
  });
}
