/**
 * Authentication and authorization of the real server process over HTTP,
 * with real keys generated here and tokens signed (or forged) with them:
 * every attack of issue 12, the scope and self-service matrix, the JWKS
 * file rotation, a JWKS URL that is down, slow, broken and rotated, and
 * fuzzed Authorization headers that must never get a 5xx.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ApiProcess, startApi } from "./support/api-process.js";
import {
  createTestKey,
  fileAuthEnv,
  hmacWithPublicKey,
  type JwksServer,
  jwksFile,
  jwksOf,
  mint,
  startJwksServer,
  TEST_AUDIENCE,
  TEST_ISSUER,
  type TestKey,
  unsecuredToken,
} from "./support/auth.js";
import { fuzzSeed } from "./support/http-arbitraries.js";
import { keepAliveAgent, send } from "./support/http-client.js";

const COOLDOWN_MS = 1000;
const USER = { firstname: "Ada", lastname: "Lovelace" };

interface Answer {
  readonly status: number;
  readonly challenge: string | undefined;
  readonly body: string;
  readonly retryAfter: string | undefined;
}

function client(api: () => ApiProcess) {
  const agent = keepAliveAgent(4);
  const call = async (
    method: string,
    path: string,
    options: { token?: string; headers?: Record<string, string | string[]>; body?: unknown } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string | string[]> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] = "application/json";
    const outcome = await send(agent, api().port, {
      method,
      path,
      headers: headers as Record<string, string>,
      timeoutMs: 5000,
      ...(options.body === undefined
        ? {}
        : { body: typeof options.body === "string" ? options.body : JSON.stringify(options.body) }),
    });
    if (outcome.status === undefined) throw new Error(`no response: ${outcome.error}`);
    return {
      status: outcome.status,
      challenge: outcome.headers?.["www-authenticate"] as string | undefined,
      body: outcome.body ?? "",
      retryAfter: outcome.headers?.["retry-after"] as string | undefined,
    };
  };
  return { call, close: () => agent.destroy() };
}

describe("authentication with a JWKS file (server process over HTTP)", () => {
  let es256: TestKey;
  let rs256: TestKey;
  let eddsa: TestKey;
  let untrusted: TestKey;
  let file: ReturnType<typeof jwksFile>;
  let api: ApiProcess;
  const http = client(() => api);
  const call = http.call;
  let admin: string;

  beforeAll(async () => {
    [es256, rs256, eddsa, untrusted] = await Promise.all([
      createTestKey("ES256"),
      createTestKey("RS256"),
      createTestKey("EdDSA"),
      createTestKey("ES256"),
    ]);
    file = jwksFile(jwksOf(es256, rs256, eddsa));
    api = await startApi({
      env: fileAuthEnv(file.path, {
        AUTH_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
        LOG_LEVEL: "warn",
      }),
    });
    admin = await mint(es256, { scope: "users:read users:write" });
    expect(
      (await call("POST", "/user", { token: admin, body: { username: "alice", ...USER } })).status,
    ).toBe(201);
  });
  afterAll(async () => {
    http.close();
    await api?.stop();
    file?.remove();
  });

  it.each(["ES256", "RS256", "EdDSA"] as const)("accepts a valid %s token", async (alg) => {
    const key = { ES256: es256, RS256: rs256, EdDSA: eddsa }[alg];
    const answer = await call("GET", "/user/alice", {
      token: await mint(key, { scope: "users:read" }),
    });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toMatchObject({ username: "alice" });
  });

  it("asks for a token without an error code when none was sent (also for another scheme)", async () => {
    for (const headers of [{}, { authorization: "Basic YWxpY2U6c2VjcmV0" }] as Record<
      string,
      string
    >[]) {
      const answer = await call("GET", "/user", { headers });
      expect(answer.status).toBe(401);
      expect(answer.challenge).toBe('Bearer realm="userapi"');
      expect(JSON.parse(answer.body)).toMatchObject({ status: 401, title: "Unauthorized" });
    }
  });

  /** Each attack, the status it must get, and the words of the description. */
  const attacks: [string, () => Promise<string>, RegExp][] = [
    [
      "an expired token (past the 30 s tolerance)",
      () => mint(es256, { scope: "users:read", expiresIn: -60 }),
      /expired/,
    ],
    [
      "a token not valid yet (nbf past the tolerance)",
      () => mint(es256, { scope: "users:read", notBefore: 120 }),
      /not valid yet/,
    ],
    [
      "a token of another issuer",
      () => mint(es256, { scope: "users:read", iss: "https://evil.test/" }),
      /wrong issuer/,
    ],
    [
      "a token for another audience",
      () => mint(es256, { scope: "users:read", aud: "other-api" }),
      /wrong audience/,
    ],
    [
      "a token without exp",
      () => mint(es256, { scope: "users:read", expiresIn: null }),
      /no valid expiry/,
    ],
    [
      "alg none",
      async () => unsecuredToken({ scope: "users:read users:write" }),
      /algorithm is not accepted/,
    ],
    [
      "HS256 signed with the RSA public key (PEM)",
      async () => hmacWithPublicKey(rs256, rs256.publicPem, { scope: "users:write" }),
      /algorithm is not accepted/,
    ],
    [
      "HS256 signed with the public JWK",
      async () =>
        hmacWithPublicKey(es256, JSON.stringify(es256.publicJwk), { scope: "users:write" }),
      /algorithm is not accepted/,
    ],
    [
      "a trusted kid on a token signed by another key",
      () => mint(untrusted, { scope: "users:read", kid: es256.kid }),
      /signature is invalid/,
    ],
    ["an unknown kid", () => mint(untrusted, { scope: "users:read" }), /no trusted key/],
    [
      "a payload changed after signing (scope raised)",
      async () => {
        const [header, , signature] = (
          await mint(es256, { sub: "mallory", scope: "users:read" })
        ).split(".");
        const payload = Buffer.from(
          JSON.stringify({
            sub: "mallory",
            scope: "users:write",
            iss: TEST_ISSUER,
            aud: TEST_AUDIENCE,
            exp: 4e9,
          }),
        ).toString("base64url");
        return `${header}.${payload}.${signature}`;
      },
      /signature is invalid/,
    ],
    ["a token that is not a JWT", async () => "abc.def", /not a well-formed/],
  ];

  it.each(attacks)("refuses %s with 401 invalid_token", async (_name, token, description) => {
    const answer = await call("GET", "/user/alice", { token: await token() });
    expect(answer.status).toBe(401);
    expect(answer.challenge).toMatch(
      /^Bearer realm="userapi", error="invalid_token", error_description="[^"\\]+"$/,
    );
    expect(answer.challenge).toMatch(description);
    expect(answer.body).not.toMatch(/eyJ|BEGIN|"kid"|"x"|"n"/);
    expect(JSON.parse(answer.body)).toMatchObject({
      status: 401,
      detail: expect.stringMatching(description),
    });
  });

  it("accepts exp and nbf within the clock tolerance", async () => {
    expect(
      (
        await call("GET", "/user/alice", {
          token: await mint(es256, { scope: "users:read", expiresIn: -10 }),
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await call("GET", "/user/alice", {
          token: await mint(es256, { scope: "users:read", notBefore: 10 }),
        })
      ).status,
    ).toBe(200);
  });

  it.each([
    ["Bearer", {}],
    ["Bearer a b", {}],
    ["Bearer tok,en", {}],
    ["Bearer ÿ", {}],
  ])("refuses the malformed header %j with 400 invalid_request", async (authorization) => {
    const answer = await call("GET", "/user/alice", { headers: { authorization } });
    expect(answer.status).toBe(400);
    expect(answer.challenge).toMatch(
      /^Bearer realm="userapi", error="invalid_request", error_description="/,
    );
  });

  it("refuses two Authorization headers and a token in the URI with 400 invalid_request", async () => {
    const two = await call("GET", "/user/alice", {
      headers: { authorization: [`Bearer ${admin}`, `Bearer ${admin}`] },
    });
    expect(two.status).toBe(400);
    expect(two.challenge).toMatch(
      /error="invalid_request", error_description="send exactly one Authorization header"/,
    );
    const inUri = await call("GET", `/user?access_token=${admin}`);
    expect(inUri.status).toBe(400);
    expect(inUri.challenge).toMatch(/not in the URI/);
  });

  describe("scopes and self-service", () => {
    /** [token, method, path, allowed] where allowed means neither 401 nor 403. */
    type Row = [string, string, string, boolean];
    const tokens: Record<string, () => Promise<string>> = {
      "no scope": () => mint(es256, { sub: "svc" }),
      "users:read": () => mint(es256, { sub: "svc", scope: "users:read" }),
      "users:write": () => mint(es256, { sub: "svc", scope: "users:write" }),
      "sub alice": () => mint(es256, { sub: "alice" }),
      "sub alice, users:read": () => mint(es256, { sub: "alice", scope: "users:read" }),
    };
    const rows: Row[] = [
      ["no scope", "GET", "/user", false],
      ["no scope", "GET", "/user/alice", false],
      ["no scope", "HEAD", "/user/alice", false],
      ["no scope", "POST", "/user", false],
      ["no scope", "DELETE", "/user/alice", false],
      ["users:read", "GET", "/user", true],
      ["users:read", "GET", "/user/alice", true],
      ["users:read", "HEAD", "/user/alice", true],
      ["users:read", "POST", "/user", false],
      ["users:read", "PUT", "/user/alice", false],
      ["users:read", "PATCH", "/user/alice", false],
      ["users:read", "DELETE", "/user/alice", false],
      ["users:write", "GET", "/user", false],
      ["users:write", "GET", "/user/alice", false],
      ["users:write", "POST", "/user", true],
      ["users:write", "PUT", "/user/alice", true],
      ["users:write", "PATCH", "/user/alice", true],
      ["sub alice", "GET", "/user/alice", true],
      ["sub alice", "HEAD", "/user/alice", true],
      ["sub alice", "PUT", "/user/alice", true],
      ["sub alice", "PATCH", "/user/alice", true],
      ["sub alice", "GET", "/user", false],
      ["sub alice", "POST", "/user", false],
      ["sub alice", "GET", "/user/bob.b", false],
      ["sub alice", "PUT", "/user/bob.b", false],
      ["sub alice", "PATCH", "/user/bob.b", false],
      ["sub alice", "DELETE", "/user/bob.b", false],
      ["sub alice, users:read", "GET", "/user/bob.b", true],
      ["sub alice, users:read", "PATCH", "/user/bob.b", false],
    ];
    const bodyFor = (method: string, path: string) =>
      method === "POST"
        ? { username: `u${Math.random().toString(36).slice(2, 10)}`, ...USER }
        : method === "PUT"
          ? { ...USER, username: path.split("/")[2] }
          : method === "PATCH"
            ? { firstname: "Ada" }
            : undefined;

    it.each(rows)("%s: %s %s allowed=%s", async (token, method, path, allowed) => {
      const answer = await call(method, path, {
        token: await tokens[token]?.(),
        body: bodyFor(method, path),
      });
      if (allowed) {
        expect([401, 403]).not.toContain(answer.status);
        expect(answer.status).toBeLessThan(500);
        return;
      }
      expect(answer.status).toBe(403);
      const scope = method === "GET" || method === "HEAD" ? "users:read" : "users:write";
      expect(answer.challenge).toMatch(
        new RegExp(`error="insufficient_scope", error_description="[^"]+", scope="${scope}"$`),
      );
    });

    it("lets a user delete their own user without users:write, and no one else's", async () => {
      await call("POST", "/user", { token: admin, body: { username: "carol", ...USER } });
      const mallory = await mint(es256, { sub: "mallory" });
      expect((await call("DELETE", "/user/carol", { token: mallory })).status).toBe(403);
      const carol = await mint(es256, { sub: "carol" });
      expect((await call("DELETE", "/user/carol", { token: carol })).status).toBe(204);
      expect((await call("GET", "/user/carol", { token: admin })).status).toBe(404);
    });
  });

  it("tells a caller without the right nothing about whether a user exists", async () => {
    const reader = await mint(es256, { sub: "mallory" });
    const [existing, missing] = await Promise.all([
      call("GET", "/user/alice", { token: reader }),
      call("GET", "/user/nobody", { token: reader }),
    ]);
    expect([existing.status, missing.status]).toEqual([403, 403]);
    expect(existing.body).toBe(missing.body);
    const [anonExisting, anonMissing] = await Promise.all([
      call("DELETE", "/user/alice"),
      call("DELETE", "/user/nobody"),
    ]);
    expect([anonExisting.status, anonMissing.status]).toEqual([401, 401]);
  });

  it("authenticates before it reads the body, the query or the path", async () => {
    expect((await call("POST", "/user", { body: "{not json" })).status).toBe(401);
    expect(
      (await call("POST", "/user", { headers: { "content-type": "text/plain" }, body: "x" }))
        .status,
    ).toBe(401);
    expect((await call("GET", "/user/alice?sort=x")).status).toBe(401);
    expect((await call("GET", "/user/NOT_VALID")).status).toBe(401);
    const reader = await mint(es256, { scope: "users:read" });
    expect((await call("POST", "/user", { token: reader, body: "{not json" })).status).toBe(403);
    expect((await call("GET", "/user/alice?sort=x", { token: reader })).status).toBe(400);
  });

  it("keeps the meta routes, OPTIONS and 405 open", async () => {
    for (const path of ["/", "/health", "/ready", "/metrics", "/openapi.json", "/docs"]) {
      expect((await call("GET", path)).status, path).toBe(200);
    }
    expect((await call("OPTIONS", "/user/alice")).status).toBe(204);
    expect((await call("POST", "/user/alice")).status).toBe(405);
  });

  it("rotates keys by re-reading the file on an unknown kid, at most once per cooldown", async () => {
    const next = await createTestKey("ES256");
    file.write(jwksOf(next, es256));
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const token = await mint(next, { scope: "users:read" });
    expect((await call("GET", "/user/alice", { token })).status).toBe(200);
    // The old key leaves the set: its tokens stop working once the file is read again.
    file.write(jwksOf(next));
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    const another = await createTestKey("ES256");
    expect(
      (await call("GET", "/user/alice", { token: await mint(another, { scope: "users:read" }) }))
        .status,
    ).toBe(401);
    expect(
      (await call("GET", "/user/alice", { token: await mint(es256, { scope: "users:read" }) }))
        .status,
    ).toBe(401);
    // A broken file keeps the keys already trusted.
    file.write("{ not json");
    await new Promise((resolve) => setTimeout(resolve, COOLDOWN_MS + 100));
    expect(
      (await call("GET", "/user/alice", { token: await mint(another, { scope: "users:read" }) }))
        .status,
    ).toBe(401);
    expect((await call("GET", "/user/alice", { token })).status).toBe(200);
  });

  it("never answers a fuzzed Authorization header with a 5xx", async () => {
    const seed = fuzzSeed(20_261_201);
    // What a header value can carry: visible ASCII, space and tab, and bytes 0x80-0xff.
    const printable = fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.constantFrom("\t", "\u00ff", "\u0080"),
    );
    const segment = fc.string({ unit: fc.constantFrom(..."ABCxyz019-_.~+/=eyJ"), maxLength: 40 });
    const jwtish = fc
      .tuple(segment, segment, segment, fc.constantFrom(".", "..", ""))
      .map(([a, b, c, dot]) => `${a}.${b}${dot}${c}`);
    const header = fc.oneof(
      fc
        .tuple(
          fc.constantFrom(
            "Bearer",
            "bearer",
            "BEARER",
            "Bearer ",
            "Basic",
            "Digest",
            "",
            "Bearer\t",
          ),
          fc.oneof(jwtish, fc.string({ unit: printable, maxLength: 60 })),
        )
        .map(([scheme, rest]) => `${scheme} ${rest}`),
      fc.string({ unit: printable, maxLength: 80 }),
      fc.constantFrom(
        `Bearer ${admin}x`,
        `Bearer ${admin.split(".").slice(0, 2).join(".")}`,
        `Bearer ${Buffer.from('{"alg":"RS256","kid":"x","crit":["b64"],"b64":false}').toString("base64url")}.e30.AA`,
        `Bearer ${Buffer.from('{"alg":"ES256","kid":{"$ne":1}}').toString("base64url")}.e30.AA`,
        `Bearer ${Buffer.from('{"alg":"ES256","jwk":{"kty":"oct","k":"AA"}}').toString("base64url")}.e30.AA`,
        `Bearer ${"a".repeat(8000)}`,
      ),
    );
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(
        header,
        fc.constantFrom("GET /user", "GET /user/alice", "DELETE /user/alice", "POST /user"),
        async (value, target) => {
          const [method = "GET", path = "/"] = target.split(" ");
          const clean = value.replace(/^\s+|\s+$/g, "");
          const answer = await call(method, path, {
            headers: clean === "" ? {} : { authorization: clean },
          });
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          expect([400, 401]).toContain(answer.status);
          expect(answer.challenge).toMatch(/^Bearer realm="userapi"/);
        },
      ),
      { seed, numRuns: 300 },
    );
    console.log(
      `fuzzed Authorization headers: seed ${seed}, statuses ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(api.child.exitCode).toBeNull();
  }, 60_000);
});

describe("authentication with a JWKS URL (server process, loopback identity provider)", () => {
  let key: TestKey;
  let idp: JwksServer;
  let api: ApiProcess;
  const http = client(() => api);
  const call = http.call;
  const TIMEOUT_MS = 300;
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const timed = async (promise: Promise<Answer>) => {
    const started = performance.now();
    const answer = await promise;
    return { ...answer, ms: performance.now() - started };
  };

  beforeAll(async () => {
    key = await createTestKey("ES256");
    idp = await startJwksServer({ kind: "down" });
    api = await startApi({
      env: {
        AUTH_JWKS_URL: idp.url,
        AUTH_ISSUER: TEST_ISSUER,
        AUTH_AUDIENCE: TEST_AUDIENCE,
        AUTH_JWKS_TIMEOUT_MS: String(TIMEOUT_MS),
        AUTH_JWKS_COOLDOWN_MS: String(COOLDOWN_MS),
        LOG_LEVEL: "warn",
      },
    });
  });
  afterAll(async () => {
    http.close();
    await api?.stop();
    await idp?.close();
  });

  it("fails closed with 503 and Retry-After while the provider is down, slow or broken, then recovers", async () => {
    const token = await mint(key, { scope: "users:read" });
    const down = await timed(call("GET", "/user", { token }));
    expect(down.status).toBe(503);
    expect(down.retryAfter).toBe("1");
    expect(JSON.parse(down.body)).toMatchObject({
      status: 503,
      detail: expect.stringMatching(/keys are unavailable/),
    });
    // Within the retry window the server answers at once and does not fetch again.
    const hits = idp.hits();
    expect((await call("GET", "/user", { token })).status).toBe(503);
    expect(idp.hits()).toBe(hits);

    await wait(1100);
    idp.set({ kind: "slow", delayMs: 3000, jwks: jwksOf(key) });
    const slow = await timed(call("GET", "/user", { token }));
    expect(slow.status).toBe(503);
    expect(slow.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(slow.ms).toBeLessThan(TIMEOUT_MS + 1500);

    for (const mode of [{ kind: "garbage" }, { kind: "status", status: 500 }] as const) {
      await wait(1100);
      idp.set(mode);
      expect((await call("GET", "/user", { token })).status, mode.kind).toBe(503);
    }

    await wait(1100);
    idp.set({ kind: "ok", jwks: jwksOf(key) });
    expect((await call("GET", "/user", { token })).status).toBe(200);
    expect(api.lines.join("\n")).toMatch(/could not get the JWKS/);
    expect(api.stderr()).toBe("");
  });

  it("keeps using the cached keys while the provider is down", async () => {
    idp.set({ kind: "down" });
    expect(
      (await call("GET", "/user", { token: await mint(key, { scope: "users:read" }) })).status,
    ).toBe(200);
    idp.set({ kind: "ok", jwks: jwksOf(key) });
  });

  it("fetches again for an unknown kid (rotation), at most once per cooldown", async () => {
    const next = await createTestKey("RS256");
    idp.set({ kind: "ok", jwks: jwksOf(key, next) });
    await wait(COOLDOWN_MS + 100);
    expect(
      (await call("GET", "/user", { token: await mint(next, { scope: "users:read" }) })).status,
    ).toBe(200);
    const hits = idp.hits();
    const strangers = await Promise.all(Array.from({ length: 5 }, () => createTestKey("ES256")));
    for (const stranger of strangers) {
      const answer = await call("GET", "/user", {
        token: await mint(stranger, { scope: "users:read" }),
      });
      expect(answer.status).toBe(401);
    }
    expect(idp.hits() - hits).toBeLessThanOrEqual(1);
  });
});
