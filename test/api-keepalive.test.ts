// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON
/**
 * The keep-alive race, on the real server process: started with the
 * environment dist/ gives the API container, it keeps an idle connection
 * open past the idle timeout of Envoy's pool in front of it (the
 * DestinationRule's, read from dist/ as well), and still serves a request
 * on it. A short KEEP_ALIVE_TIMEOUT_MS run shows the variable is what
 * closes idle connections (never earlier), and a short HEADERS_TIMEOUT_MS
 * run shows what Node 20's header timeout measures on a reused connection:
 * the time from the request's first byte, not the idle time before it.
 * test/manifests-lifecycle.test.ts holds the same relation on the YAML.
 */
import { connect, type Socket } from "node:net";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { readManifests } from "../charts/lib/checks.js";
import { API_NAME } from "../charts/lib/labels.js";
import { type ApiProcess, startApi } from "./support/api-process.js";
import { createTestKey, fileAuthEnv, jwksFile, jwksOf } from "./support/auth.js";

const root = resolve(import.meta.dirname, "..");
const dist: any[] = readManifests(join(root, "dist")).map((e) => e.doc);

/** The API container's literal env from dist/, minus where to listen and which Redis. */
let localJwks: ReturnType<typeof jwksFile>;
beforeAll(async () => {
  localJwks = jwksFile(jwksOf(await createTestKey("ES256")));
});
afterAll(() => localJwks?.remove());

function distEnv(): Record<string, string> {
  const deployment = dist.find(
    (d) => d.kind === "Deployment" && d.metadata.name === `${API_NAME}-v1`,
  );
  const container = deployment.spec.template.spec.containers.find((c: any) => c.name === API_NAME);
  const env: Record<string, string> = Object.fromEntries(
    container.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]),
  );
  // The JWKS path is the pod's mount: verify with a local key set instead, same issuer and audience.
  for (const local of [
    "HOST",
    "PORT",
    "REDIS_URL",
    "AUTH_JWKS_FILE",
    "AUTH_JWKS_URL",
    "AUTH_DISABLED",
  ]) {
    delete env[local];
  }
  return {
    ...env,
    ...fileAuthEnv(localJwks.path, {
      AUTH_ISSUER: env.AUTH_ISSUER ?? "userapi-dev",
      AUTH_AUDIENCE: env.AUTH_AUDIENCE ?? "userapi",
    }),
    REDIS_URL: inject("redisUrl"),
    APP_VERSION: "keepalive",
    LOG_LEVEL: "warn",
  };
}

/** Idle timeout of Envoy's pools to the API, from dist/'s DestinationRule. */
function meshIdleMs(): number {
  const rule = dist.find((d) => d.kind === "DestinationRule");
  const text: string = rule.spec.trafficPolicy.connectionPool.http.idleTimeout;
  const match = /^(\d+)s$/.exec(text);
  if (match === null) throw new Error(`unexpected idleTimeout ${text}`);
  return Number(match[1]) * 1000;
}

/** A raw HTTP/1.1 connection: write bytes, wait for a response head, see when it closes. */
class RawConnection {
  private buffer = "";
  private readonly waiters: (() => void)[] = [];
  closedAt: number | undefined;
  readonly closed: Promise<number>;
  private constructor(private readonly socket: Socket) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => {
      this.buffer += chunk;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.closed = new Promise((resolve) =>
      socket.on("close", () => {
        this.closedAt = performance.now();
        for (const wake of this.waiters.splice(0)) wake();
        resolve(this.closedAt);
      }),
    );
    socket.on("error", () => {});
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => resolve(new RawConnection(socket)));
      socket.once("error", reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Resolves with the next complete response (head and Content-Length body), or throws on close. */
  async response(timeoutMs = 5000): Promise<{ status: number; headers: string; body: string }> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const end = this.buffer.indexOf("\r\n\r\n");
      if (end >= 0) {
        const head = this.buffer.slice(0, end);
        const length = Number(/content-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (this.buffer.length >= end + 4 + length) {
          const body = this.buffer.slice(end + 4, end + 4 + length);
          this.buffer = this.buffer.slice(end + 4 + length);
          return { status: Number(head.split(" ")[1]), headers: head, body };
        }
      }
      if (this.closedAt !== undefined)
        throw new Error(`connection closed; got ${JSON.stringify(this.buffer)}`);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error("no response in time");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const GET_HEALTH = "GET /health HTTP/1.1\r\nHost: userapi\r\n\r\n";
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("the API server's idle keep-alive connections (real process)", () => {
  let api: ApiProcess | undefined;
  let connection: RawConnection | undefined;
  afterEach(async () => {
    connection?.destroy();
    await api?.stop();
    api = undefined;
  });

  it("with dist/'s environment, outlives the mesh's idle timeout and serves the connection after it", async () => {
    api = await startApi({ env: distEnv() });
    connection = await RawConnection.open(api.port);
    connection.write(GET_HEALTH);
    const first = await connection.response();
    expect(first.status).toBe(200);
    // The server's own statement of how long it keeps the connection.
    expect(first.headers).toMatch(/keep-alive: timeout=65/i);

    const idle = meshIdleMs();
    await sleep(idle + 1000);
    // Envoy would still reuse this connection until `idle`; the app has not closed it.
    expect(connection.closedAt).toBeUndefined();
    connection.write(GET_HEALTH);
    expect((await connection.response()).status).toBe(200);
  }, 90_000);

  it("closes an idle connection only after KEEP_ALIVE_TIMEOUT_MS", async () => {
    const keepAliveMs = 1500;
    api = await startApi({
      env: { ...distEnv(), KEEP_ALIVE_TIMEOUT_MS: String(keepAliveMs), HEADERS_TIMEOUT_MS: "1000" },
    });
    connection = await RawConnection.open(api.port);
    connection.write(GET_HEALTH);
    await connection.response();
    const answeredAt = performance.now();
    const closedAt = await connection.closed;
    const idleMs = closedAt - answeredAt;
    console.log(
      `idle connection closed after ${idleMs.toFixed(0)} ms (KEEP_ALIVE_TIMEOUT_MS=${keepAliveMs})`,
    );
    expect(idleMs).toBeGreaterThanOrEqual(keepAliveMs - 50);
    // Node 20 adds up to ~1 s to the advertised timeout before the socket closes.
    expect(idleMs).toBeLessThan(keepAliveMs + 4000);
  }, 30_000);

  it("times headers from the request's first byte on a reused connection, not from the idle time before it", async () => {
    const headersMs = 1000;
    api = await startApi({
      env: { ...distEnv(), KEEP_ALIVE_TIMEOUT_MS: "10000", HEADERS_TIMEOUT_MS: String(headersMs) },
    });
    connection = await RawConnection.open(api.port);
    connection.write(GET_HEALTH);
    expect((await connection.response()).status).toBe(200);

    // Idle for longer than the header timeout: the next request is still served.
    await sleep(headersMs + 1000);
    connection.write(GET_HEALTH);
    expect((await connection.response()).status).toBe(200);

    // A request whose headers never finish gets a 408 about HEADERS_TIMEOUT_MS after its
    // first byte (Node checks every second, see api/main.ts).
    const startedAt = performance.now();
    connection.write("GET /health HTTP/1.1\r\nHost: userapi\r\n");
    const timedOut = await connection.response(10_000);
    const elapsed = performance.now() - startedAt;
    console.log(
      `slow headers answered ${timedOut.status} after ${elapsed.toFixed(0)} ms (HEADERS_TIMEOUT_MS=${headersMs})`,
    );
    expect(timedOut.status).toBe(408);
    expect(elapsed).toBeGreaterThanOrEqual(headersMs - 50);
    expect(elapsed).toBeLessThan(headersMs + 4000);
  }, 30_000);
});
