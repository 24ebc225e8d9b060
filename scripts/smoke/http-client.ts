/**
 * A small HTTP client on node:http(s): keep-alive connections, a per-request
 * timeout, and a Host override (fetch does not let callers set Host).
 */
import http from "node:http";
import https from "node:https";

export interface HttpResponse {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  readonly json: unknown;
}

export interface HttpRequest {
  readonly method?: string;
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: unknown;
}

export interface HttpClient {
  request(req: HttpRequest): Promise<HttpResponse>;
  close(): void;
}

export function createHttpClient(options: {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly host?: string | undefined;
}): HttpClient {
  const base = new URL(options.baseUrl);
  const secure = base.protocol === "https:";
  const agent = secure
    ? new https.Agent({ keepAlive: true, maxSockets: 8 })
    : new http.Agent({ keepAlive: true, maxSockets: 8 });
  const transport = secure ? https : http;
  const prefix = base.pathname.replace(/\/+$/, "");

  return {
    request(req) {
      const payload = req.body === undefined ? undefined : Buffer.from(JSON.stringify(req.body));
      const headers: Record<string, string> = { accept: "application/json", ...req.headers };
      if (payload) {
        headers["content-type"] = "application/json";
        headers["content-length"] = String(payload.length);
      }
      if (options.host) headers.host = options.host;
      return new Promise<HttpResponse>((resolve, reject) => {
        const request = transport.request(
          {
            protocol: base.protocol,
            hostname: base.hostname,
            port: base.port,
            path: `${prefix}${req.path}`,
            method: req.method ?? "GET",
            headers,
            agent,
            timeout: options.timeoutMs,
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("error", reject);
            res.on("end", () => {
              const text = Buffer.concat(chunks).toString("utf8");
              let json: unknown;
              try {
                json = text ? JSON.parse(text) : undefined;
              } catch {
                json = undefined;
              }
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
            });
          },
        );
        request.on("timeout", () =>
          request.destroy(new Error(`timed out after ${options.timeoutMs} ms`)),
        );
        request.on("error", reject);
        request.end(payload);
      });
    },
    close() {
      agent.destroy();
    },
  };
}

/** The single value of a response header ("" when absent). */
export function headerValue(res: HttpResponse, name: string): string {
  const value = res.headers[name.toLowerCase()];
  return Array.isArray(value) ? (value[0] ?? "") : (value ?? "");
}
