/**
 * Schema-driven contract test: requests are generated from `/openapi.json`
 * itself (fast-check arbitraries derived from its JSON Schemas, see
 * `support/http-openapi.ts`), some kept valid and some mutated, and sent to
 * the app over a real Redis (many) and to the server process over HTTP
 * (fewer). For every request:
 *
 * - the document calls it valid ⇔ the server accepts it (no 400, 413, 415):
 *   valid requests are never refused, refused requests are invalid per the
 *   document, and accepted requests are valid per the document (ajv);
 * - the response is documented for the operation: its status, the headers
 *   the document lists (present when required, matching their schema) and
 *   the body (media type and schema).
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_BODY_BYTES } from "../api/app.js";
import { type ApiProcess, startApi, waitForStatus } from "./support/api-process.js";
import { type AnyJson, testApp } from "./support/app.js";
import { createTestKey, fileAuthEnv, jwksFile, jwksOf, mint } from "./support/auth.js";
import { fuzzSeed } from "./support/http-arbitraries.js";
import { keepAliveAgent, send } from "./support/http-client.js";
import {
  OpenApiOracle,
  type Operation,
  type WireRequest,
  type WireResponse,
} from "./support/http-openapi.js";
import { type RedisServer, startRedisServer } from "./support/redis-server.js";
import { createRedisSubject } from "./support/stores.js";

const IN_PROCESS = { seed: 20_261_101, valid: 2000, mutated: 2000 };
const OVER_HTTP = { seed: 20_261_102, valid: 250, mutated: 250 };

/** A few usernames the runs reuse, so users exist and reads, writes and deletes reach them. */
const POOL = ["alice", "bob.b", "c-3po"];

/** Statuses that mean the server refused the request as invalid. */
const REFUSED = new Set([400, 413, 415]);

/** Values at the edges of the rules, where the document and the server used to disagree (issue 11). */
const BOUNDARY_VALUES = [
  ` ${"x".repeat(100)} `,
  "x".repeat(100),
  "x".repeat(101),
  "😀".repeat(100),
  "\u00a0Ann\u2028",
  "Ann\u0085",
  "a@b.c",
  "a@127.0.0.1",
  "a@localhost",
  "a@example-.com",
  `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(61)}`,
  `${"a".repeat(64)}@${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(62)}`,
];

const text = (max: number) =>
  fc.oneof(
    fc.string({ unit: "grapheme", maxLength: max }),
    fc.string({ unit: "binary-ascii", maxLength: max }),
    fc.constantFrom("", " ", "\u0000", "\ud800", "A", "0", "-1", "1e2", "05"),
    fc.constantFrom(...BOUNDARY_VALUES),
  );

type Mutation =
  | { kind: "path"; value: string }
  | { kind: "query"; name: string; value: string }
  | { kind: "repeat-query" }
  | { kind: "header"; name: string; value: string }
  | { kind: "drop-field"; index: number }
  | { kind: "set-field"; name: string; value: unknown }
  | { kind: "body"; value: unknown }
  | { kind: "content-type"; value: string };

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant("path" as const),
    value: fc.oneof(text(40), fc.constantFrom("Alice", "ab", "a".repeat(33), "a b", "a/b")),
  }),
  fc.record({
    kind: fc.constant("query" as const),
    name: fc.constantFrom("limit", "cursor", "sort", "LIMIT", "x"),
    value: text(20),
  }),
  fc.record({ kind: fc.constant("repeat-query" as const) }),
  fc.record({
    kind: fc.constant("header" as const),
    name: fc.constantFrom("if-match", "if-none-match"),
    value: fc.oneof(
      fc.constantFrom("*", '"x"', 'W/"x"', "x", '"a" "b"', ", ,"),
      // What a header value can carry: visible ASCII and spaces, no edge whitespace.
      fc
        .string({
          unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
          maxLength: 20,
        })
        .map((s) => s.trim()),
    ),
  }),
  fc.record({ kind: fc.constant("drop-field" as const), index: fc.nat() }),
  fc.record({
    kind: fc.constant("set-field" as const),
    name: fc.constantFrom("username", "firstname", "lastname", "email", "role", "createdAt"),
    value: fc.oneof(text(30), fc.jsonValue({ maxDepth: 1 }), fc.constant(null)),
  }),
  fc.record({
    kind: fc.constant("set-field" as const),
    name: fc.constantFrom("firstname", "lastname", "email"),
    value: fc.constantFrom(...BOUNDARY_VALUES),
  }),
  fc.record({ kind: fc.constant("body" as const), value: fc.jsonValue({ maxDepth: 2 }) }),
  fc.record({
    kind: fc.constant("content-type" as const),
    value: fc.constantFrom(
      "text/plain",
      "application/merge-patch+json",
      "application/json; charset=latin1",
      "application/problem+json",
    ),
  }),
);

/** Applies one mutation; the result may or may not still be valid, which the oracle decides. */
function mutate(request: WireRequest, mutation: Mutation): WireRequest {
  const [path = "", query = ""] = request.target.split(/\?(.*)/s);
  const params = new URLSearchParams(query);
  const withTarget = (newPath: string, search: URLSearchParams) => {
    const s = search.toString();
    return { ...request, target: s === "" ? newPath : `${newPath}?${s}` };
  };
  const body = request.body === undefined ? undefined : (JSON.parse(request.body) as AnyJson);
  const withBody = (value: unknown) =>
    request.body === undefined ? request : { ...request, body: JSON.stringify(value) };
  switch (mutation.kind) {
    case "path": {
      // Dot segments and empty segments address other resources (the URL is normalised first).
      // A lone surrogate cannot be percent-encoded as UTF-8 (fetch would refuse the URL too).
      const wellFormed = !/[\uD800-\uDFFF]/u.test(mutation.value);
      if (
        !request.operation.path.includes("{") ||
        /^\.{0,2}$/.test(mutation.value) ||
        !wellFormed
      ) {
        return request;
      }
      return withTarget(path.replace(/[^/]+$/, encodeURIComponent(mutation.value)), params);
    }
    case "query":
      params.set(mutation.name, mutation.value);
      return withTarget(path, params);
    case "repeat-query": {
      const first = [...params][0];
      if (first !== undefined) params.append(first[0], first[1]);
      return withTarget(path, params);
    }
    case "header":
      return { ...request, headers: { ...request.headers, [mutation.name]: mutation.value } };
    case "drop-field": {
      if (body === null || typeof body !== "object" || Array.isArray(body)) return request;
      const keys = Object.keys(body);
      if (keys.length === 0) return request;
      const { [keys[mutation.index % keys.length] as string]: _, ...rest } = body;
      return withBody(rest);
    }
    case "set-field":
      return body === undefined ? request : withBody({ ...body, [mutation.name]: mutation.value });
    case "body":
      return withBody(mutation.value);
    case "content-type":
      return request.body === undefined
        ? request
        : { ...request, headers: { ...request.headers, "content-type": mutation.value } };
  }
}

/** Everything wrong with one exchange; empty when the server and the document agree. */
function disagreements(oracle: OpenApiOracle, request: WireRequest, response: WireResponse) {
  const invalid = oracle.requestProblems(request, MAX_BODY_BYTES);
  const refused = REFUSED.has(response.status);
  const problems: string[] = [];
  if (refused && invalid.length === 0)
    problems.push(`valid per the document, refused ${response.status}`);
  if (!refused && invalid.length > 0) {
    problems.push(`accepted (${response.status}) though invalid: ${invalid.join("; ")}`);
  }
  problems.push(...oracle.responseProblems(request, response));
  if (problems.length === 0) return problems;
  return [
    ...problems,
    `request ${JSON.stringify({ method: request.method, target: request.target, headers: request.headers, body: request.body }).slice(0, 600)}`,
    `response ${response.status} ${response.body.slice(0, 300)}`,
  ];
}

function requestArbitrary(oracle: OpenApiOracle, mutated: boolean): fc.Arbitrary<WireRequest> {
  const operation = fc.constantFrom(...oracle.operations);
  const usernameSchema = oracle.operations
    .flatMap((op) => op.parameters)
    .find((p) => p.in === "path" && p.name === "username")?.schema;
  const username = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...POOL) },
    { weight: 1, arbitrary: oracle.arbitrary(usernameSchema) as fc.Arbitrary<string> },
  );
  const valid = operation.chain((op: Operation) => oracle.validRequest(op, { username }));
  // Creates mostly use the pool too, so the other operations find users.
  const pooledCreates = fc
    .tuple(valid, fc.constantFrom(...POOL), fc.boolean())
    .map(([request, name, usePool]) => {
      if (
        request.operation.operationId !== "createUser" ||
        !usePool ||
        request.body === undefined
      ) {
        return request;
      }
      return { ...request, body: JSON.stringify({ ...JSON.parse(request.body), username: name }) };
    });
  if (!mutated) return pooledCreates;
  return fc
    .tuple(pooledCreates, fc.array(mutationArbitrary, { minLength: 1, maxLength: 2 }))
    .map(([request, mutations]) => mutations.reduce(mutate, request));
}

class Tally {
  readonly statuses = new Map<number, number>();
  requests = 0;
  invalid = 0;
  add(status: number, invalid: boolean) {
    this.requests++;
    if (invalid) this.invalid++;
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
  }
  toString() {
    const statuses = JSON.stringify(
      Object.fromEntries([...this.statuses].sort(([a], [b]) => a - b)),
    );
    return `${this.requests} requests (${this.invalid} invalid per the document), statuses ${statuses}`;
  }
}

describe("the server does what /openapi.json says, in process over Redis", () => {
  let subject: Awaited<ReturnType<typeof createRedisSubject>>;
  let app: ReturnType<typeof testApp>;
  let oracle: OpenApiOracle;

  beforeAll(async () => {
    subject = await createRedisSubject();
    app = testApp(subject.store);
    oracle = new OpenApiOracle(await (await app.request("/openapi.json")).json());
  });
  afterAll(async () => subject?.dispose());

  const exchange = async (request: WireRequest): Promise<WireResponse> => {
    const response = await app.request(request.target, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
    });
    return { status: response.status, headers: response.headers, body: await response.text() };
  };

  it("generates only requests the document calls valid, and the server accepts every one", async () => {
    const seed = fuzzSeed(IN_PROCESS.seed);
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(oracle, false), async (request) => {
        expect(oracle.requestProblems(request, MAX_BODY_BYTES)).toEqual([]);
        const response = await exchange(request);
        tally.add(response.status, false);
        expect(disagreements(oracle, request, response)).toEqual([]);
      }),
      { seed, numRuns: IN_PROCESS.valid },
    );
    console.log(`openapi contract, valid, in process: seed ${seed}, ${tally}`);
    expect(tally.statuses.get(200) ?? 0).toBeGreaterThan(IN_PROCESS.valid / 10);
    for (const status of [201, 204, 304, 404, 412])
      expect(tally.statuses.get(status)).toBeGreaterThan(0);
  }, 120_000);

  it("accepts a mutated request exactly when the document calls it valid", async () => {
    const seed = fuzzSeed(IN_PROCESS.seed + 1);
    const tally = new Tally();
    await fc.assert(
      fc.asyncProperty(requestArbitrary(oracle, true), async (request) => {
        const response = await exchange(request);
        tally.add(response.status, oracle.requestProblems(request, MAX_BODY_BYTES).length > 0);
        expect(disagreements(oracle, request, response)).toEqual([]);
      }),
      { seed, numRuns: IN_PROCESS.mutated },
    );
    console.log(`openapi contract, mutated, in process: seed ${seed}, ${tally}`);
    expect(tally.invalid).toBeGreaterThan(IN_PROCESS.mutated / 5);
    expect(tally.requests - tally.invalid).toBeGreaterThan(IN_PROCESS.mutated / 10);
  }, 120_000);
});

/**
 * Who sends the over-HTTP requests when the server verifies tokens: mostly a
 * caller with both scopes (so the contract is checked as with auth off), and
 * callers whose requests must be refused with 401/403 before anything else.
 */
type Caller = "admin" | "anonymous" | "reader" | "self";

/** Whether `caller` may send `request` (SPEC "Authentication"). */
function callerMay(caller: Caller, request: WireRequest): boolean {
  const { path } = request.operation;
  const method = request.operation.method.toLowerCase();
  if (!path.startsWith("/user") || method === "options") return true;
  const read = method === "get" || method === "head";
  switch (caller) {
    case "admin":
      return true;
    case "anonymous":
      return false;
    case "reader":
      return read;
    case "self": {
      if (path !== "/user/{username}") return false;
      const segment = request.target.split("?")[0]?.split("/")[2] ?? "";
      return decodeURIComponent(segment) === "alice";
    }
  }
}

describe.each([{ mode: "authentication off" }, { mode: "authentication on, with tokens" }])(
  "the server does what /openapi.json says, over HTTP (server process, real Redis, $mode)",
  ({ mode }) => {
    const withAuth = mode.startsWith("authentication on");
    let redis: RedisServer;
    let api: ApiProcess;
    let oracle: OpenApiOracle;
    let jwks: ReturnType<typeof jwksFile> | undefined;
    const tokens = new Map<Caller, string>();
    const agent = keepAliveAgent(1);

    beforeAll(async () => {
      redis = await startRedisServer();
      let authEnv = {};
      if (withAuth) {
        const key = await createTestKey("ES256");
        jwks = jwksFile(jwksOf(key));
        authEnv = fileAuthEnv(jwks.path);
        tokens.set("admin", await mint(key, { sub: "ops", scope: "users:read users:write" }));
        tokens.set("reader", await mint(key, { sub: "ops", scope: "users:read" }));
        tokens.set("self", await mint(key, { sub: "alice" }));
      }
      api = await startApi({ env: { REDIS_URL: redis.url, LOG_LEVEL: "warn", ...authEnv } });
      await waitForStatus(api, "/ready", 200, 5000);
      oracle = new OpenApiOracle(await (await fetch(`${api.baseUrl}/openapi.json`)).json());
    });
    afterAll(async () => {
      agent.destroy();
      await api?.stop();
      await redis?.stop();
      jwks?.remove();
    });

    const callers: fc.Arbitrary<Caller> = withAuth
      ? fc.oneof(
          { weight: 5, arbitrary: fc.constant("admin" as const) },
          {
            weight: 1,
            arbitrary: fc.constantFrom("anonymous" as const, "reader" as const, "self" as const),
          },
        )
      : fc.constant("anonymous" as const);

    const exchange = async (request: WireRequest, caller: Caller): Promise<WireResponse> => {
      const token = tokens.get(caller);
      const outcome = await send(agent, api.port, {
        method: request.method,
        path: request.target,
        headers:
          token === undefined
            ? request.headers
            : { ...request.headers, authorization: `Bearer ${token}` },
        timeoutMs: 5000,
        ...(request.body === undefined ? {} : { body: request.body }),
      });
      if (outcome.status === undefined) throw new Error(`no response: ${outcome.error}`);
      const headers = outcome.headers ?? {};
      return {
        status: outcome.status,
        headers: { get: (name: string) => headers[name.toLowerCase()]?.toString() },
        body: outcome.body ?? "",
      };
    };

    it("agrees with the document on valid and mutated requests", async () => {
      const seed = fuzzSeed(OVER_HTTP.seed);
      const tally = new Tally();
      let refusedByAuth = 0;
      const property = (mutated: boolean) =>
        fc.asyncProperty(requestArbitrary(oracle, mutated), callers, async (request, caller) => {
          const response = await exchange(request, caller);
          const invalid = oracle.requestProblems(request, MAX_BODY_BYTES).length > 0;
          tally.add(response.status, invalid);
          if (withAuth && !callerMay(caller, request)) {
            // Refused before the request is looked at: valid or not, 401 without a token, else 403.
            refusedByAuth++;
            expect(response.status).toBe(caller === "anonymous" ? 401 : 403);
            expect(oracle.responseProblems(request, response)).toEqual([]);
            return;
          }
          expect(disagreements(oracle, request, response)).toEqual([]);
        });
      await fc.assert(property(false), { seed, numRuns: OVER_HTTP.valid, endOnFailure: true });
      await fc.assert(property(true), {
        seed: seed + 1,
        numRuns: OVER_HTTP.mutated,
        endOnFailure: true,
      });
      console.log(
        `openapi contract over HTTP (${mode}): seed ${seed}, ${tally}, ${refusedByAuth} refused by auth`,
      );
      expect(tally.statuses.get(200) ?? 0).toBeGreaterThan(20);
      if (withAuth) {
        expect(tally.statuses.get(401) ?? 0).toBeGreaterThan(0);
        expect(tally.statuses.get(403) ?? 0).toBeGreaterThan(0);
      } else {
        expect(tally.statuses.get(401)).toBeUndefined();
      }
      expect(api.child.exitCode).toBeNull();
    }, 120_000);
  },
);
