/**
 * The /user routes through the whole app (middleware, validation, errors),
 * once over the memory store and once over a real Redis.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  JSON_HEADERS,
  json,
  jsonRequest,
  TEST_VERSION,
  testApp,
} from "../../../test/support/app.js";
import { STORE_KINDS, type StoreSubject } from "../../../test/support/stores.js";

const alice = {
  username: "alice",
  firstname: "Alice",
  lastname: "Liddell",
  email: "a@example.com",
};
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe.each(STORE_KINDS)("/user routes over the $name store", (kind) => {
  let subject: StoreSubject;
  let app: ReturnType<typeof testApp>;

  beforeEach(async () => {
    subject = await kind.create();
    app = testApp(subject.store);
  });
  afterEach(async () => subject.dispose());

  const create = (body: unknown) => app.request("/user", jsonRequest("POST", body));

  async function expectProblem(response: Response, status: number) {
    expect(response.status).toBe(status);
    expect(response.headers.get("content-type")).toBe("application/problem+json");
    const body = await json(response);
    expect(body).toMatchObject({ type: "about:blank", status });
    expect(typeof body.title).toBe("string");
    expect(typeof body.detail).toBe("string");
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts:\d+|Error:/);
    return body as { errors?: { path: string; message: string }[] };
  }

  describe("POST /user", () => {
    it("returns 201 with Location and the stored user", async () => {
      const response = await create(alice);
      expect(response.status).toBe(201);
      expect(response.headers.get("location")).toBe("/user/alice");
      const user = await json(response);
      expect(user).toMatchObject(alice);
      expect(user.createdAt).toMatch(ISO_UTC);
      expect(user.updatedAt).toBe(user.createdAt);
    });

    it("returns 409 when the username exists, keeping the first user", async () => {
      await create(alice);
      await expectProblem(await create({ ...alice, firstname: "Other" }), 409);
      expect((await json(await app.request("/user/alice"))).firstname).toBe("Alice");
    });

    it("returns 400 with one error per field", async () => {
      const body = await expectProblem(
        await create({ username: "A", firstname: "", lastname: 3, email: "nope", extra: 1 }),
        400,
      );
      expect(body.errors?.map((e) => e.path).sort()).toEqual([
        "email",
        "extra",
        "firstname",
        "lastname",
        "username",
      ]);
      expect(body.errors?.every((e) => e.message.length > 0)).toBe(true);
    });

    it.each(["{", "", "nul", '{"a":}'])("returns 400 for malformed JSON %j", async (raw) => {
      await expectProblem(await create(raw), 400);
    });

    it.each([undefined, "text/plain", "application/x-www-form-urlencoded", "application/jsonx"])(
      "returns 415 for Content-Type %j",
      async (contentType) => {
        const headers: Record<string, string> = contentType ? { "content-type": contentType } : {};
        const response = await app.request("/user", {
          method: "POST",
          headers,
          body: JSON.stringify(alice),
        });
        await expectProblem(response, 415);
      },
    );

    it("accepts application/json with a charset", async () => {
      const response = await app.request("/user", {
        method: "POST",
        headers: { "content-type": "application/json; charset=utf-8" },
        body: JSON.stringify(alice),
      });
      expect(response.status).toBe(201);
    });

    it("returns 413 for a body over 16 KiB, sent with a length or chunked, and stores nothing", async () => {
      const big = JSON.stringify({ ...alice, firstname: "x".repeat(17_000) });
      await expectProblem(await create(big), 413);
      const chunked = new ReadableStream({
        start(controller) {
          for (let i = 0; i < 17; i++)
            controller.enqueue(new TextEncoder().encode(" ".repeat(1024)));
          controller.enqueue(new TextEncoder().encode(JSON.stringify(alice)));
          controller.close();
        },
      });
      const response = await app.request("/user", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunked,
        duplex: "half",
      } as RequestInit);
      await expectProblem(response, 413);
      expect((await app.request("/user/alice")).status).toBe(404);
    });

    it("accepts a body of exactly 16 KiB", async () => {
      const json = JSON.stringify(alice);
      const padded = json + " ".repeat(16_384 - Buffer.byteLength(json));
      expect(Buffer.byteLength(padded)).toBe(16_384);
      expect((await create(padded)).status).toBe(201);
    });
  });

  describe("GET /user/{username}", () => {
    it("returns the user", async () => {
      await create(alice);
      const response = await app.request("/user/alice");
      expect(response.status).toBe(200);
      expect(await json(response)).toMatchObject(alice);
    });

    it("returns 404 for an unknown user", async () => {
      await expectProblem(await app.request("/user/nobody"), 404);
    });

    it.each([
      "/user/AB",
      "/user/ab",
      "/user/Alice",
      "/user/%00abc",
      "/user/a%20bc",
      `/user/${"a".repeat(33)}`,
      "/user/..%2F..%2Fetc",
      "/user/%E2%80%AEabc",
    ])("returns 400 for the invalid username in %s", async (path) => {
      const body = await expectProblem(await app.request(path), 400);
      expect(body.errors?.[0]?.path).toBe("username");
    });
  });

  describe("PUT /user/{username}", () => {
    it("replaces the fields, removes an omitted email, keeps createdAt, moves updatedAt", async () => {
      const created = await json(await create(alice));
      const response = await app.request(
        "/user/alice",
        jsonRequest("PUT", { firstname: "Alicia", lastname: "L" }),
      );
      expect(response.status).toBe(200);
      const user = await json(response);
      expect(user).toEqual({
        username: "alice",
        firstname: "Alicia",
        lastname: "L",
        createdAt: created.createdAt,
        updatedAt: expect.stringMatching(ISO_UTC),
      });
      expect(user.updatedAt > created.updatedAt).toBe(true);
    });

    it("accepts the same username in the body and rejects another one", async () => {
      await create(alice);
      const same = { username: "alice", firstname: "A", lastname: "L" };
      expect((await app.request("/user/alice", jsonRequest("PUT", same))).status).toBe(200);
      const other = { ...same, username: "bob" };
      const body = await expectProblem(
        await app.request("/user/alice", jsonRequest("PUT", other)),
        400,
      );
      expect(body.errors?.[0]?.path).toBe("username");
    });

    it("returns 404 for an unknown user, 400 for a partial body, 415 for text", async () => {
      await expectProblem(
        await app.request("/user/ghost", jsonRequest("PUT", { firstname: "G", lastname: "H" })),
        404,
      );
      await create(alice);
      await expectProblem(
        await app.request("/user/alice", jsonRequest("PUT", { firstname: "G" })),
        400,
      );
      await expectProblem(
        await app.request("/user/alice", { method: "PUT", body: "firstname=G" }),
        415,
      );
    });
  });

  describe("PATCH /user/{username}", () => {
    it("changes only the given fields", async () => {
      await create(alice);
      const user = await json(
        await app.request("/user/alice", jsonRequest("PATCH", { lastname: "Pleasance" })),
      );
      expect(user).toMatchObject({ ...alice, lastname: "Pleasance" });
    });

    it("removes the email with email: null", async () => {
      await create(alice);
      const response = await app.request("/user/alice", jsonRequest("PATCH", { email: null }));
      expect(response.status).toBe(200);
      expect(await json(response)).not.toHaveProperty("email");
    });

    it("returns 400 for an empty patch and leaves the user unchanged", async () => {
      const created = await json(await create(alice));
      await expectProblem(await app.request("/user/alice", jsonRequest("PATCH", {})), 400);
      expect(await json(await app.request("/user/alice"))).toEqual(created);
    });

    it("returns 404 for an unknown user", async () => {
      await expectProblem(
        await app.request("/user/ghost", jsonRequest("PATCH", { firstname: "G" })),
        404,
      );
    });
  });

  describe("DELETE /user/{username}", () => {
    it("returns 204 and then 404", async () => {
      await create(alice);
      const response = await app.request("/user/alice", { method: "DELETE" });
      expect(response.status).toBe(204);
      expect(await response.text()).toBe("");
      await expectProblem(await app.request("/user/alice", { method: "DELETE" }), 404);
      await expectProblem(await app.request("/user/alice"), 404);
    });
  });

  describe("conditional requests (RFC 9110 §13)", () => {
    const ETAG = /^"[0-9a-f]{40}"$/;
    const write = (method: string, body: unknown, headers: Record<string, string>) =>
      app.request("/user/alice", {
        ...jsonRequest(method, body),
        headers: { ...JSON_HEADERS, ...headers },
      });

    it("sends a strong ETag with every representation, changing on every change", async () => {
      const created = await create(alice);
      const tags = [created.headers.get("etag")];
      tags.push((await app.request("/user/alice")).headers.get("etag"));
      expect(tags[1]).toBe(tags[0]);
      const put = await write("PUT", { firstname: "A", lastname: "L" }, {});
      tags.push(put.headers.get("etag"));
      const patch = await write("PATCH", { firstname: "A" }, {});
      tags.push(patch.headers.get("etag"));
      expect(tags.every((tag) => ETAG.test(tag ?? ""))).toBe(true);
      expect(new Set(tags).size).toBe(3);
      expect((await app.request("/user/alice")).headers.get("etag")).toBe(tags[3]);
    });

    it("answers 304 to If-None-Match with the current tag (weak comparison), 200 otherwise", async () => {
      const tag = (await create(alice)).headers.get("etag") ?? "";
      for (const value of [tag, `W/${tag}`, `"x", ${tag}`, "*"]) {
        const response = await app.request("/user/alice", { headers: { "if-none-match": value } });
        expect(response.status).toBe(304);
        expect(response.headers.get("etag")).toBe(tag);
        expect(await response.text()).toBe("");
      }
      const changed = await app.request("/user/alice", { headers: { "if-none-match": '"old"' } });
      expect(changed.status).toBe(200);
      const head = await app.request("/user/alice", {
        method: "HEAD",
        headers: { "if-none-match": tag },
      });
      expect(head.status).toBe(304);
    });

    it("writes with a matching If-Match and refuses a stale one with 412, changing nothing", async () => {
      const tag = (await create(alice)).headers.get("etag") ?? "";
      const first = await write("PATCH", { firstname: "First" }, { "if-match": tag });
      expect(first.status).toBe(200);
      for (const [method, body] of [
        ["PATCH", { firstname: "Second" }],
        ["PUT", { firstname: "Second", lastname: "L" }],
        ["DELETE", undefined],
      ] as const) {
        const stale = await app.request("/user/alice", {
          method,
          headers: { ...JSON_HEADERS, "if-match": tag },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        const problem = await expectProblem(stale, 412);
        expect(problem).toMatchObject({ title: "Precondition Failed" });
      }
      const now = await app.request("/user/alice");
      expect((await json(now)).firstname).toBe("First");
      expect(now.headers.get("etag")).toBe(first.headers.get("etag"));
    });

    it("uses the strong comparison for If-Match: W/ never matches", async () => {
      const tag = (await create(alice)).headers.get("etag") ?? "";
      await expectProblem(
        await write("PATCH", { firstname: "X" }, { "if-match": `W/${tag}` }),
        412,
      );
    });

    it("answers 412 to If-None-Match: * on a write to an existing user, 404 for a missing one", async () => {
      await create(alice);
      await expectProblem(
        await write("PUT", { firstname: "A", lastname: "L" }, { "if-none-match": "*" }),
        412,
      );
      const ghost = await app.request("/user/ghost", {
        method: "DELETE",
        headers: { "if-match": '"whatever"' },
      });
      await expectProblem(ghost, 404);
    });

    it("deletes with a matching If-Match", async () => {
      const tag = (await create(alice)).headers.get("etag") ?? "";
      const response = await app.request("/user/alice", {
        method: "DELETE",
        headers: { "if-match": tag },
      });
      expect(response.status).toBe(204);
    });

    it.each(["abc", '"unterminated', 'W/ "x"', '"a" "b"'])(
      "returns 400 naming the header for the malformed If-Match %j",
      async (value) => {
        await create(alice);
        const body = await expectProblem(
          await write("PATCH", { firstname: "X" }, { "if-match": value }),
          400,
        );
        expect(body.errors?.[0]?.path).toBe("if-match");
      },
    );
  });

  describe("exact request bodies", () => {
    const raw = (
      method: string,
      path: string,
      body: RequestInit["body"],
      contentType = "application/json",
      extra: Record<string, string> = {},
    ) => app.request(path, { method, headers: { "content-type": contentType, ...extra }, body });

    it.each([
      [
        "a lone surrogate",
        '{"username":"alice","firstname":"\\udfff","lastname":"L"}',
        /lone UTF-16 surrogate/,
      ],
      [
        "a duplicate key",
        '{"username":"alice","firstname":"A","firstname":"B","lastname":"L"}',
        /"firstname" twice/,
      ],
      [
        "an escaped duplicate key",
        '{"username":"alice","firstname":"A","\\u0066irstname":"B","lastname":"L"}',
        /"firstname" twice/,
      ],
    ])("returns 400 for %s and stores nothing", async (_, body, detail) => {
      const problem = await expectProblem(await raw("POST", "/user", body), 400);
      expect((problem as { detail: string }).detail).toMatch(detail);
      await expectProblem(await app.request("/user/alice"), 404);
    });

    it("returns 400 for invalid UTF-8 instead of replacing it", async () => {
      const bytes = Buffer.concat([
        Buffer.from('{"username":"alice","firstname":"'),
        Buffer.from([0xc3, 0x28]),
        Buffer.from('","lastname":"L"}'),
      ]);
      const problem = await expectProblem(await raw("POST", "/user", bytes), 400);
      expect((problem as { detail: string }).detail).toMatch(/UTF-8/);
    });

    it("returns 400 for a lone surrogate on PUT and PATCH too", async () => {
      await create(alice);
      await expectProblem(
        await raw("PUT", "/user/alice", '{"firstname":"\\ud800","lastname":"L"}'),
        400,
      );
      await expectProblem(await raw("PATCH", "/user/alice", '{"lastname":"x\\udc00"}'), 400);
      expect(await json(await app.request("/user/alice"))).toMatchObject(alice);
    });

    it.each([
      "application/json ; charset=utf-8",
      "application/json;",
      'Application/JSON;;charset="UTF-8"',
      "application/json; foo=bar",
    ])("accepts the JSON media type %j", async (contentType) => {
      expect((await raw("POST", "/user", JSON.stringify(alice), contentType)).status).toBe(201);
    });

    it.each([
      "application/json; charset=latin1",
      "application/json; charset=utf-16",
      "application/json; charset=utf-8; charset=latin1",
    ])("returns 415 for %j", async (contentType) => {
      const problem = await expectProblem(
        await raw("POST", "/user", JSON.stringify(alice), contentType),
        415,
      );
      expect((problem as { detail: string }).detail).toMatch(/must be UTF-8/);
    });

    it("takes application/merge-patch+json on PATCH only, and says so", async () => {
      await create(alice);
      const patched = await raw(
        "PATCH",
        "/user/alice",
        '{"email":null}',
        "application/merge-patch+json",
      );
      expect(patched.status).toBe(200);
      expect(await json(patched)).not.toHaveProperty("email");
      await expectProblem(
        await raw("PUT", "/user/alice", JSON.stringify(alice), "application/merge-patch+json"),
        415,
      );
      const refused = await raw("PATCH", "/user/alice", "x", "text/plain");
      await expectProblem(refused, 415);
      expect(refused.headers.get("accept-patch")).toBe(
        "application/json, application/merge-patch+json",
      );
    });

    it.each(["gzip", "br", "deflate, gzip"])(
      "returns 415 for Content-Encoding %s, naming it",
      async (coding) => {
        const response = await raw("POST", "/user", JSON.stringify(alice), "application/json", {
          "content-encoding": coding,
        });
        const problem = await expectProblem(response, 415);
        expect((problem as { detail: string }).detail).toContain(
          `does not decode Content-Encoding '${coding}'`,
        );
        expect(response.headers.get("accept-encoding")).toBe("identity");
        await expectProblem(await app.request("/user/alice"), 404);
      },
    );

    it("accepts Content-Encoding: identity", async () => {
      const response = await raw("POST", "/user", JSON.stringify(alice), "application/json", {
        "content-encoding": "identity",
      });
      expect(response.status).toBe(201);
    });
  });

  describe("query parameters", () => {
    it.each(["/user?sort=desc", "/user?LIMIT=5", "/user?limit=5&extra", "/user/alice?x=1"])(
      "returns 400 for an unknown parameter in %s",
      async (path) => {
        await create(alice);
        const body = await expectProblem(await app.request(path), 400);
        expect(body.errors?.[0]?.message).toBe("is not a query parameter of this operation");
      },
    );
  });

  describe("methods", () => {
    it.each([
      ["/user", "GET, HEAD, OPTIONS, POST", null],
      [
        "/user/alice",
        "DELETE, GET, HEAD, OPTIONS, PATCH, PUT",
        "application/json, application/merge-patch+json",
      ],
      ["/health", "GET, HEAD, OPTIONS", null],
    ])("answers OPTIONS %s with 204 and Allow", async (path, allow, acceptPatch) => {
      const response = await app.request(path, { method: "OPTIONS" });
      expect(response.status).toBe(204);
      expect(response.headers.get("allow")).toBe(allow);
      expect(response.headers.get("accept-patch")).toBe(acceptPatch);
      expect(response.headers.get("x-app-version")).toBe(TEST_VERSION);
    });

    it.each(["BREW", "PROPFIND", "MKCOL"])(
      "returns 501 for %s, a method no resource implements",
      async (method) => {
        const body = await expectProblem(await app.request("/user", { method }), 501);
        expect(body).toMatchObject({ title: "Not Implemented" });
      },
    );

    it("returns 414 for a target over 8 KiB", async () => {
      const body = await expectProblem(await app.request(`/user/${"a".repeat(9000)}`), 414);
      expect(body).toMatchObject({ title: "URI Too Long" });
    });
  });

  describe("GET /user", () => {
    it("pages through 45 users in ascending order with the default and a custom limit", async () => {
      const names = Array.from({ length: 45 }, (_, i) => `user${String(44 - i).padStart(2, "0")}`);
      for (const username of names) await create({ username, firstname: "F", lastname: "L" });

      const first = await json(await app.request("/user"));
      expect(first.items).toHaveLength(20);
      expect(typeof first.nextCursor).toBe("string");

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: string = cursor === null ? "?limit=10" : `?limit=10&cursor=${cursor}`;
        const page: { items: { username: string }[]; nextCursor: string | null } = await json(
          await app.request(`/user${query}`),
        );
        seen.push(...page.items.map((u) => u.username));
        cursor = page.nextCursor;
        pages++;
      } while (cursor !== null);
      expect(pages).toBe(5);
      expect(seen).toEqual([...names].sort());
    });

    it("returns an empty page and a null cursor with no users", async () => {
      expect(await json(await app.request("/user"))).toEqual({ items: [], nextCursor: null });
    });

    it.each([
      "limit=0",
      "limit=101",
      "limit=x",
      "limit=",
      "cursor=%%%",
      "cursor=Zm8",
      "limit=1&limit=2",
    ])("returns 400 for %s", async (query) => {
      await expectProblem(await app.request(`/user?${query}`), 400);
    });
  });

  describe("every response", () => {
    it("carries x-app-version and a generated x-request-id, errors included", async () => {
      for (const [path, init] of [
        ["/user", undefined],
        ["/user/nobody", undefined],
        ["/nowhere", undefined],
        ["/user", { method: "PUT" }],
        ["/user", jsonRequest("POST", "{")],
      ] as const) {
        const response = await app.request(path, init);
        expect(response.headers.get("x-app-version")).toBe(TEST_VERSION);
        expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
        expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      }
    });

    it("echoes a well-formed x-request-id and replaces a hostile one", async () => {
      const echoed = await app.request("/user", { headers: { "x-request-id": "abc.DEF_1-2" } });
      expect(echoed.headers.get("x-request-id")).toBe("abc.DEF_1-2");
      for (const hostile of ["a b", "x".repeat(129), "<script>", "ü"]) {
        const response = await app.request("/user", { headers: { "x-request-id": hostile } });
        expect(response.headers.get("x-request-id")).not.toBe(hostile);
        expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });

  describe("unknown routes and methods", () => {
    it("returns 404 problem for an unknown path", async () => {
      await expectProblem(await app.request("/users"), 404);
      await expectProblem(await app.request("/user/alice/extra"), 404);
    });

    it.each([
      ["PUT", "/user", "GET, HEAD, OPTIONS, POST"],
      ["DELETE", "/user", "GET, HEAD, OPTIONS, POST"],
      ["POST", "/user/alice", "DELETE, GET, HEAD, OPTIONS, PATCH, PUT"],
      ["POST", "/health", "GET, HEAD, OPTIONS"],
      ["DELETE", "/metrics", "GET, HEAD, OPTIONS"],
    ])("returns 405 with Allow for %s %s", async (method, path, allow) => {
      const response = await app.request(path, { method });
      await expectProblem(response, 405);
      expect(response.headers.get("allow")).toBe(allow);
    });
  });
});
