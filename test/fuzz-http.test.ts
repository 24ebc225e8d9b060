/**
 * Property-based fuzzing of the HTTP surface (fast-check, fixed seeds; set
 * FUZZ_SEED to replay or explore). Two subjects: `createApp` in process over
 * a real RedisUserStore (many runs, fast), and the server process over real
 * HTTP with keep-alive, raw paths and chunked bodies (fewer runs).
 *
 * Every response: never 5xx, errors are problem+json whose `status` matches,
 * no stack traces. Afterwards: the index zset equals the set of user hashes,
 * every hash is a complete valid user, and the store holds exactly what the
 * API's 2xx answers said; Object.prototype is untouched.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { createApp } from "../api/app.js";
import { IMPLEMENTED_METHODS } from "../api/middleware/request-guards.js";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { testApp } from "./support/app.js";
import {
  applyToModel,
  type FuzzRequest,
  fuzzSeed,
  malformedRequestArbitrary,
  type ObservedResponse,
  requestArbitrary,
  responseProblems,
  type UserModel,
} from "./support/http-arbitraries.js";
import { type HttpOutcome, keepAliveAgent, send, sendRaw } from "./support/http-client.js";
import { consistencyProblems, type RawUsers, readRawUsers } from "./support/redis-inspect.js";
import { type RedisServer, startRedisServer } from "./support/redis-server.js";
import { createRedisSubject } from "./support/stores.js";

const IN_PROCESS = { seed: 20_260_601, runs: 2500 };
const OVER_HTTP = { seed: 20_260_602, runs: 400 };
const MALFORMED = { seed: 20_260_603, runs: 150 };

/** The store must hold exactly the users the API's answers described. */
function modelProblems(raw: RawUsers, model: UserModel): string[] {
  const problems = consistencyProblems(raw);
  const stored = [...raw.hashes.keys()].sort();
  const expected = [...model.users.keys()].sort();
  if (stored.join() !== expected.join()) {
    problems.push(`stored users [${stored}] != acknowledged [${expected}]`);
  }
  for (const [name, want] of model.users) {
    const hash = raw.hashes.get(name);
    if (
      hash !== undefined &&
      (hash.firstname !== want.firstname ||
        hash.lastname !== want.lastname ||
        hash.email !== want.email)
    ) {
      problems.push(`${name}: stored ${JSON.stringify(hash)}, API said ${JSON.stringify(want)}`);
    }
  }
  return problems;
}

const explain = (request: FuzzRequest, response: ObservedResponse, problems: string[]) =>
  `${problems.join("; ")}\n  request: ${JSON.stringify(request).slice(0, 600)}\n  response: ${response.status} ${response.body.slice(0, 300)}`;

const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort().join();

describe("HTTP fuzzing in process (createApp over RedisUserStore)", () => {
  let subject: Awaited<ReturnType<typeof createRedisSubject>>;
  let app: ReturnType<typeof createApp>;

  beforeAll(async () => {
    subject = await createRedisSubject();
    app = testApp(subject.store);
  });
  afterAll(async () => subject?.dispose());

  it("never answers 5xx, always problem+json errors, and keeps the store consistent", async () => {
    const seed = fuzzSeed(IN_PROCESS.seed);
    const model: UserModel = { users: new Map() };
    const prototypeBefore = prototypeKeys();
    const statuses = new Map<number, number>();
    console.log(
      `fuzz in process: seed ${seed}, ${IN_PROCESS.runs} runs (FUZZ_SEED=${seed} replays)`,
    );

    await fc.assert(
      fc.asyncProperty(requestArbitrary(false), async (request) => {
        const response = await app.request(request.path, {
          method: request.method,
          headers: request.headers,
          ...(request.body === undefined ? {} : { body: request.body }),
        });
        const observed = {
          status: response.status,
          headers: response.headers,
          body: await response.text(),
        };
        statuses.set(observed.status, (statuses.get(observed.status) ?? 0) + 1);
        const problems = responseProblems(request, observed);
        if (problems.length > 0) throw new Error(explain(request, observed, problems));
        applyToModel(model, request, observed);
      }),
      { seed, numRuns: IN_PROCESS.runs },
    );

    console.log(`fuzz in process: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    // The runs did real work: users were created, and most requests were rejected for a reason.
    expect(statuses.get(201) ?? 0).toBeGreaterThan(5);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(IN_PROCESS.runs / 10);
    expect(prototypeKeys()).toBe(prototypeBefore);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(modelProblems(await readRawUsers(inject("redisUrl"), subject.namespace), model)).toEqual(
      [],
    );
  }, 120_000);
});

describe("HTTP fuzzing over the wire (server process, real Redis)", () => {
  let redis: RedisServer;
  let api: ApiProcess;

  beforeAll(async () => {
    redis = await startRedisServer();
    api = await startApi({ env: { REDIS_URL: redis.url, LOG_LEVEL: "warn" } });
    await waitForStatus(api, "/ready", 200, 5000);
  });
  afterAll(async () => {
    await api?.stop();
    await redis?.stop();
  });

  it("never answers 5xx, never crashes, and keeps the store consistent", async () => {
    const seed = fuzzSeed(OVER_HTTP.seed);
    const model: UserModel = { users: new Map() };
    const agent = keepAliveAgent(1);
    const statuses = new Map<number, number>();
    let previous: (FuzzRequest & { chunks: number }) | undefined;
    console.log(`fuzz over HTTP: seed ${seed}, ${OVER_HTTP.runs} runs (FUZZ_SEED=${seed} replays)`);
    try {
      await fc.assert(
        fc.asyncProperty(
          requestArbitrary(true),
          fc.integer({ min: 0, max: 3 }),
          async (request, chunks) => {
            const body = request.body;
            // Sometimes chunked (no Content-Length), in up to three pieces.
            const sendBody =
              body !== undefined && chunks > 0
                ? (async function* () {
                    const bytes = Buffer.from(body, "utf8");
                    const size = Math.ceil(bytes.length / chunks) || 1;
                    for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
                  })()
                : body;
            const outcome: HttpOutcome = await send(agent, api.port, {
              method: request.method,
              path: request.path,
              headers: request.headers,
              timeoutMs: 5000,
              ...(sendBody === undefined ? {} : { body: sendBody }),
            });
            if (outcome.status === undefined) {
              throw new Error(
                `no response (${outcome.error}); server exit ${api.child.exitCode}\n  request: ${JSON.stringify(request).slice(0, 600)}`,
              );
            }
            const observed = {
              status: outcome.status,
              headers: {
                get: (name: string) => {
                  const value = outcome.headers?.[name];
                  return Array.isArray(value) ? value.join(", ") : value;
                },
              },
              body: outcome.body ?? "",
            };
            statuses.set(observed.status, (statuses.get(observed.status) ?? 0) + 1);
            const problems = responseProblems(request, observed);
            if (problems.length > 0) {
              // The connection is shared, so the request before may be the cause.
              throw new Error(
                `${explain(request, observed, problems)}\n  previous request: ${JSON.stringify(previous).slice(0, 600)}`,
              );
            }
            previous = { ...request, chunks };
            applyToModel(model, request, observed);
          },
        ),
        // Runs share a keep-alive connection, so shrinking would blame the wrong request.
        { seed, numRuns: OVER_HTTP.runs, endOnFailure: true },
      );
    } finally {
      agent.destroy();
    }

    console.log(`fuzz over HTTP: statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    expect(statuses.get(201) ?? 0).toBeGreaterThan(2);
    expect(api.child.exitCode).toBeNull();
    // The server buffers log lines for up to 200 ms: let the last ones arrive.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await fetch(`${api.baseUrl}/health`)).status).toBe(200);
    const errors = api.lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
    expect(modelProblems(await readRawUsers(redis.url), model)).toEqual([]);
  }, 120_000);
});

describe("malformed HTTP/1.1 requests (server process)", () => {
  let api: ApiProcess;

  beforeAll(async () => {
    // The parser boundary needs no Redis: the in-memory store keeps this run independent.
    api = await startApi({ env: { LOG_LEVEL: "warn" } });
  });
  afterAll(async () => api?.stop());

  it("answers 4xx or closes, never 5xx, never hangs, and keeps serving", async () => {
    const seed = fuzzSeed(MALFORMED.seed);
    let answered = 0;
    console.log(`fuzz malformed: seed ${seed}, ${MALFORMED.runs} runs (FUZZ_SEED=${seed} replays)`);
    await fc.assert(
      fc.asyncProperty(malformedRequestArbitrary, async (raw) => {
        const exchange = await sendRaw(api.port, raw);
        const where = `request ${JSON.stringify(raw.slice(0, 300))}\n  answer ${JSON.stringify(exchange.text.slice(0, 300))}`;
        if (exchange.timedOut) throw new Error(`connection not closed within 2 s\n  ${where}`);
        // 501 answers a request line whose method no resource implements; any other 5xx is a fault.
        const unimplemented = [...raw.matchAll(/([!#$%&'*+.^_`|~0-9A-Za-z-]+) \S* HTTP\/\d/g)].some(
          ([, method]) => !IMPLEMENTED_METHODS.has(method ?? ""),
        );
        if (
          exchange.statuses.some((status) => status >= 500 && !(status === 501 && unimplemented))
        ) {
          throw new Error(`5xx\n  ${where}`);
        }
        if (api.child.exitCode !== null) throw new Error(`server exited\n  ${where}`);
        const health = await fetch(`${api.baseUrl}/health`, { signal: AbortSignal.timeout(1000) });
        if (health.status !== 200) throw new Error(`/health ${health.status} after\n  ${where}`);
        answered += exchange.statuses.length > 0 ? 1 : 0;
        // Errors found by Node's parser too (the server's clientError handler) are problem+json.
        const errorAnswers = exchange.statuses.filter((status) => status >= 400).length;
        const problemDocuments = exchange.text.split("application/problem+json").length - 1;
        if (problemDocuments < errorAnswers) {
          throw new Error(`an error answer is not problem+json\n  ${where}`);
        }
      }),
      { seed, numRuns: MALFORMED.runs },
    );
    console.log(
      `fuzz malformed: ${answered} of ${MALFORMED.runs} answered, every error as problem+json`,
    );
    expect(api.child.exitCode).toBeNull();
    const errors = api.lines.filter((line) => (JSON.parse(line) as { level: number }).level >= 50);
    expect(errors).toEqual([]);
  }, 60_000);

  /*
   * Regression (found by this suite): a chunked body cut off by the client
   * (it disconnects, or the chunk framing is broken) reaches the app as an
   * "aborted" ECONNRESET stream error. It used to be a 500 with an error log,
   * so any client could raise the error-rate alert; it is now a 400 logged at info.
   */
  it("counts a client that aborts a chunked body as a client error, not a 500", async () => {
    const server500s = async () => {
      const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
      const line = metrics.match(
        /^http_requests_total\{method="POST",route="\/user",status="500"\} (\d+)$/m,
      );
      return Number(line?.[1] ?? 0);
    };
    const before = await server500s();
    const exchange = await sendRaw(
      api.port,
      "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
        "Transfer-Encoding: chunked\r\n\r\n5\r\nab",
    );
    expect(exchange.statuses).toEqual([400]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await server500s()).toBe(before);
  });

  it("rejects a request that carries both Content-Length and Transfer-Encoding (no smuggling)", async () => {
    const smuggled = "GET /user/smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    const raw =
      "POST /user HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" +
      `Content-Length: ${5 + smuggled.length}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${smuggled}`;
    const exchange = await sendRaw(api.port, raw);
    expect(exchange.statuses).toEqual([400]);
    expect(api.lines.some((line) => line.includes("/user/smuggled"))).toBe(false);
  });
});
