/**
 * Slow and idle clients are bounded (server process, raw sockets): sockets
 * that send nothing, headers dripped in a line at a time and bodies dripped
 * a byte at a time are each cut off within their bound with a 408 problem
 * document, while a client next to them keeps getting quick answers; past
 * MAX_CONNECTIONS, new connections are refused until one closes.
 */
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApi } from "./support/api-process.js";

const REQUEST_TIMEOUT_MS = 2000;
const BODY_TIMEOUT_MS = 1000;
/** Node checks its request timers every REQUEST_TIMEOUT_MS / 4 (lib/server-limits.ts); plus slack for a loaded machine. */
const LATE_BY_MS = REQUEST_TIMEOUT_MS / 4 + 700;

interface Drip {
  /** ms from connect until the server closed the socket. */
  readonly closedAfter: Promise<number>;
  /** Everything the server sent. */
  received(): string;
  close(): void;
}

/** Connects and writes `first`, then `next()` every `everyMs` until the server closes the socket. */
function drip(port: number, first: string, next: () => string, everyMs: number): Drip {
  const socket: Socket = connect(port, "127.0.0.1");
  let text = "";
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  socket.on("connect", () => {
    if (first !== "") socket.write(first);
    timer = setInterval(() => {
      if (socket.writable) socket.write(next());
    }, everyMs);
  });
  socket.on("data", (chunk: Buffer) => {
    text += chunk.toString("latin1");
  });
  socket.on("error", () => undefined);
  const closedAfter = new Promise<number>((resolve) =>
    socket.on("close", () => {
      clearInterval(timer);
      resolve(performance.now() - started);
    }),
  );
  return { closedAfter, received: () => text, close: () => socket.destroy() };
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);

/** Normal requests every 50 ms while `during` runs; returns their statuses and slowest latency. */
async function meanwhile(baseUrl: string, during: Promise<unknown>) {
  let done = false;
  void during.finally(() => {
    done = true;
  });
  const statuses: number[] = [];
  let slowest = 0;
  let i = 0;
  while (!done) {
    const started = performance.now();
    const response =
      i++ % 2 === 0
        ? await fetch(`${baseUrl}/health`)
        : await fetch(`${baseUrl}/user`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ username: `steady${i}`, firstname: "S", lastname: "T" }),
          });
    await response.arrayBuffer();
    statuses.push(response.status);
    slowest = Math.max(slowest, performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { statuses, slowest };
}

describe("slow and idle clients", () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await startApi({
      env: {
        REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        BODY_TIMEOUT_MS: String(BODY_TIMEOUT_MS),
        // The header timeout (issue 9's variable) within the request timeout, as Node requires.
        HEADERS_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        LOG_LEVEL: "warn",
      },
    });
  });
  afterAll(async () => api?.stop());

  it("cuts off idle sockets, dripped headers and dripped bodies within their bounds and keeps serving", async () => {
    const idle = Array.from({ length: 50 }, () => drip(api.port, "", () => "", 1e9));
    const headers = Array.from({ length: 10 }, (_, i) =>
      drip(api.port, "GET /user HTTP/1.1\r\nHost: x\r\n", () => `X-Drip-${i}: 1\r\n`, 200),
    );
    const bodies = Array.from({ length: 10 }, () =>
      drip(
        api.port,
        "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{",
        () => " ",
        100,
      ),
    );
    const all = Promise.all([...idle, ...headers, ...bodies].map((d) => d.closedAfter));
    const steady = await meanwhile(api.baseUrl, all);

    const idleTimes = await Promise.all(idle.map((d) => d.closedAfter));
    const headerTimes = await Promise.all(headers.map((d) => d.closedAfter));
    const bodyTimes = await Promise.all(bodies.map((d) => d.closedAfter));
    const max = (values: number[]) => Math.round(Math.max(...values));
    console.log(
      `slow clients: idle closed by ${max(idleTimes)} ms, dripped headers by ${max(headerTimes)} ms, dripped bodies by ${max(bodyTimes)} ms; ${steady.statuses.length} normal requests meanwhile, slowest ${Math.round(steady.slowest)} ms`,
    );

    for (const time of [...idleTimes, ...headerTimes]) {
      expect(time).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
      expect(time).toBeLessThan(REQUEST_TIMEOUT_MS + LATE_BY_MS);
    }
    for (const time of bodyTimes) {
      expect(time).toBeGreaterThanOrEqual(BODY_TIMEOUT_MS - 50);
      expect(time).toBeLessThan(BODY_TIMEOUT_MS + 700);
    }
    for (const d of [...idle, ...headers]) {
      expect(statusOf(d.received())).toBe(408);
      expect(d.received()).toContain("application/problem+json");
      expect(d.received()).toContain('"title":"Request Timeout"');
    }
    for (const d of bodies) {
      expect(statusOf(d.received())).toBe(408);
      expect(d.received()).toMatch(/the request body was not received within 1000 ms/);
      expect(d.received()).toMatch(/\r\nx-request-id: [0-9a-f-]{36}\r\n/);
    }
    expect(steady.statuses.length).toBeGreaterThan(10);
    expect(steady.statuses.every((s) => s === 200 || s === 201)).toBe(true);
    expect(steady.slowest).toBeLessThan(1000);
    expect(api.child.exitCode).toBeNull();
  }, 30_000);
});

describe("the connection cap", () => {
  let api: ApiProcess;
  beforeAll(async () => {
    api = await startApi({ env: { MAX_CONNECTIONS: "20", LOG_LEVEL: "warn" } });
  });
  afterAll(async () => api?.stop());

  it("refuses connections past MAX_CONNECTIONS and accepts again once they close", async () => {
    // 30 keep-alive clients, each sending one request and holding its socket open.
    const clients = Array.from({ length: 30 }, () =>
      drip(api.port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", () => "", 1e9),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const answered = clients.filter((c) => statusOf(c.received()) === 200).length;
    const refused = await Promise.all(
      clients.map((c) =>
        c.received() === ""
          ? Promise.race([
              c.closedAfter.then(() => true),
              new Promise((r) => setTimeout(() => r(false), 100)),
            ])
          : false,
      ),
    );
    console.log(
      `connection cap 20: ${answered} of 30 answered, ${refused.filter(Boolean).length} refused`,
    );
    // The test's own keep-alive fetch connection may hold one of the 20 places.
    expect(answered).toBeGreaterThanOrEqual(19);
    expect(answered).toBeLessThanOrEqual(20);
    expect(refused.filter(Boolean).length).toBe(30 - answered);

    for (const client of clients) client.close();
    await Promise.all(clients.map((c) => c.closedAfter));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
  });
});
