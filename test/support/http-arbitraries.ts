/**
 * fast-check arbitraries for HTTP requests aimed at the userapi surface:
 * mostly near-valid requests (so users really get created, changed and
 * deleted), mixed with hostile ones (broken JSON, huge and deeply nested
 * bodies, prototype-pollution keys, control characters, odd paths, query
 * strings, headers, content types and methods), plus the problem+json
 * checks every response must pass.
 */
import fc from "fast-check";
import { USERNAME_PATTERN } from "../../api/lib/username.js";
import { IMPLEMENTED_METHODS } from "../../api/middleware/request-guards.js";

export interface FuzzRequest {
  readonly method: string;
  /** Path and query, as sent on the request line. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** `FUZZ_SEED` reproduces a failing run; a fixed seed otherwise, so CI runs are repeatable. */
export function fuzzSeed(fallback: number): number {
  const fromEnv = Number(process.env.FUZZ_SEED);
  return Number.isSafeInteger(fromEnv) && process.env.FUZZ_SEED !== "" ? fromEnv : fallback;
}

/** A small pool, so creates collide (409), and gets, updates and deletes hit existing users. */
export const USERNAMES = ["alice", "bob.b", "c-3po", "d_x9", "zed.99"] as const;

const MAX_BODY_BYTES = 16 * 1024;

/** Latin-1 text without CR, LF and NUL: what a header value can carry. */
const headerText = (maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
      fc.constant("\t"),
    ),
    maxLength,
  });

/** Strings that stress validation: unicode, control characters, padding, boundary lengths. */
const nastyString = fc.oneof(
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\u0007b",
    "\u202eevil",
    "\ud800",
    "x".repeat(100),
    "x".repeat(101),
    ` ${"é".repeat(100)} `,
    "😀".repeat(100),
    "😀".repeat(101),
    "__proto__",
    "constructor",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a log4shell-style probe, meant literally.
    "${jndi:ldap://x}",
    "%s%n",
  ),
);

const username = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...USERNAMES) },
  { weight: 1, arbitrary: fc.stringMatching(USERNAME_PATTERN) },
  { weight: 1, arbitrary: nastyString },
);

const email = fc.oneof(
  fc.constantFrom("a@example.com", "x.y+z@sub.example.org"),
  fc.emailAddress(),
  nastyString,
  fc.constant(null),
  fc.constant(`${"a".repeat(245)}@example.com`),
);

/** A user the API accepts, so the runs create, change and delete real users. */
const validUser = fc.record(
  {
    username: fc.constantFrom(...USERNAMES),
    firstname: fc.constantFrom("Ann", " Bo ", "Zoë", "😀", "x".repeat(100)),
    lastname: fc.constantFrom("Lee", "O'Neil", "李"),
    email: fc.constantFrom("a@example.com", null),
  },
  { requiredKeys: ["firstname", "lastname"] },
);

/** A user-shaped object, sometimes with a field of the wrong type or an extra key. */
const userish = fc.record(
  {
    username,
    firstname: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom("Ann", " Bo ", "Zoë") },
      nastyString,
    ),
    lastname: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom("Lee", "O'Neil", "李") },
      nastyString,
    ),
    email,
    createdAt: fc.constantFrom("2020-01-01T00:00:00.000Z", 0),
    extra: fc.jsonValue({ maxDepth: 2 }),
  },
  { requiredKeys: [] },
);

/** Keys that try to reach Object.prototype through a JSON body. */
const POLLUTING_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"];

/** JSON text with a dangerous key spliced in (JSON.stringify would drop `__proto__`). */
const pollutingJson = fc
  .tuple(userish, fc.constantFrom(...POLLUTING_KEYS), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
  .map(([user, key, value, nested]) => {
    const inner = `{${JSON.stringify(key)}:${JSON.stringify(value ?? { polluted: true })}}`;
    const payload = nested
      ? `{"constructor":{"prototype":{"polluted":true}},${JSON.stringify(key)}:${inner}}`
      : inner;
    const base = JSON.stringify(user);
    return base === "{}" ? payload : `${base.slice(0, -1)},${JSON.stringify(key)}:${payload}}`;
  });

const deepNesting = fc
  .tuple(fc.integer({ min: 100, max: 8000 }), fc.constantFrom("[", '{"a":'))
  .map(([depth, open]) => {
    const close = open === "[" ? "]" : "}";
    const core = `${open.repeat(depth)}1${close.repeat(depth)}`;
    return `{"username":"alice","firstname":${core},"lastname":"x"}`;
  });

/** Bodies just under, at and over the 16 KiB limit. */
const sizedBody = fc
  .tuple(fc.integer({ min: -3, max: 3 }), fc.constantFrom("x", "é", "😀"))
  .map(([delta, unit]) => {
    const frame = JSON.stringify({ username: "alice", firstname: "", lastname: "x" });
    const target = MAX_BODY_BYTES + delta - Buffer.byteLength(frame);
    const unitBytes = Buffer.byteLength(unit);
    const filler = unit.repeat(Math.floor(target / unitBytes)) + "x".repeat(target % unitBytes);
    return JSON.stringify({ username: "alice", firstname: filler, lastname: "x" });
  });

export const bodyArbitrary: fc.Arbitrary<string | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 8, arbitrary: validUser.map((u) => JSON.stringify(u)) },
  { weight: 6, arbitrary: userish.map((u) => JSON.stringify(u)) },
  { weight: 2, arbitrary: fc.jsonValue().map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: pollutingJson },
  {
    weight: 2,
    arbitrary: fc.oneof(
      fc.string({ unit: "binary", maxLength: 60 }),
      fc.constantFrom("{", "{}", "[]", "null", "1", '"x"', '{"a":1,}', "{'a':1}", "NaN", "\u0000"),
      userish.chain((u) => {
        const text = JSON.stringify(u);
        return fc.nat({ max: text.length }).map((cut) => text.slice(0, cut));
      }),
    ),
  },
  { weight: 1, arbitrary: deepNesting },
  { weight: 1, arbitrary: sizedBody },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 17_000, max: 200_000 })
      .map((n) => JSON.stringify({ username: "alice", firstname: "x".repeat(n), lastname: "y" })),
  },
);

/** One path segment: valid names, traversal, broken or exotic percent-encoding, unicode, very long. */
const segment = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...USERNAMES) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "..",
      ".",
      "%2e%2e",
      "%2E%2E%2F%2E%2E",
      "%2F",
      "%00",
      "%ff",
      "%zz",
      "%",
      "%%",
      "%E2%80%AE",
      "%u0041",
      "ALICE",
      "al%69ce",
      "alice%20",
      "alice;x=1",
      "__proto__",
      "constructor",
      "user",
      "x".repeat(33),
      "a".repeat(5000),
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: "grapheme", maxLength: 20 }).map(encodeURIComponent) },
  {
    weight: 1,
    // Latin-1 characters: sent as single-byte escapes, which are not valid UTF-8.
    arbitrary: fc
      .string({
        unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
        minLength: 1,
        maxLength: 8,
      })
      .map((s) => `a${s}`),
  },
);

const pathArbitrary = fc.oneof(
  { weight: 5, arbitrary: fc.constant("/user") },
  { weight: 10, arbitrary: segment.map((s) => `/user/${s}`) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "/",
      "/health",
      "/ready",
      "/metrics",
      "/openapi.json",
      "/docs",
      "/docs/assets/swagger-ui-dist/swagger-ui.css",
      "/docs/assets/swagger-ui-dist/package.json",
      "/docs/assets/swagger-ui-dist/..%2F..%2Fpackage.json",
      "/user/",
      "//user",
      "/user//alice",
      "/USER",
      "/user/alice/extra",
      "/user/alice/",
      "/users",
    ),
  },
  {
    weight: 2,
    arbitrary: fc.array(segment, { minLength: 1, maxLength: 4 }).map((s) => `/${s.join("/")}`),
  },
);

const queryValue = fc.oneof(
  fc.constantFrom("0", "1", "20", "100", "101", "-1", "1e2", "0x10", " 5", "5 ", "", "%", "%zz"),
  fc.constantFrom(...USERNAMES),
  fc.constantFrom(...USERNAMES).map((u) => Buffer.from(u).toString("base64url")),
  fc.string({ unit: "grapheme", maxLength: 20 }).map(encodeURIComponent),
  fc.constant("a".repeat(3000)),
);

const queryArbitrary = fc.oneof(
  { weight: 3, arbitrary: fc.constant("") },
  {
    weight: 2,
    arbitrary: fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom("limit", "cursor", "__proto__", "constructor", "limit[]", "", "a"),
            fc.string({ unit: "grapheme-ascii", maxLength: 8 }).map(encodeURIComponent),
          ),
          fc.option(queryValue),
        ),
        { maxLength: 4 },
      )
      .map((pairs) => `?${pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join("&")}`),
  },
);

const CONTENT_TYPES = [
  "application/json",
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/json;charset=latin1",
  "application/json;",
  "application/problem+json",
  "application/jsonx",
  "application/vnd.api+json",
  "text/json",
  "text/plain",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/json, text/plain",
  "*/*",
  "application/json ; charset=utf-8",
  "application/merge-patch+json",
  "application/json; charset=utf-16",
];

const headersArbitrary = fc
  .record({
    "content-type": fc.oneof(
      { weight: 20, arbitrary: fc.constantFrom(...CONTENT_TYPES.slice(0, 2)) },
      { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      { weight: 1, arbitrary: headerText(60) },
    ),
    accept: fc.constantFrom("application/json", "text/html", "*/*", "application/xml"),
    "x-request-id": fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,128}$/), headerText(200)),
    "content-encoding": fc.constantFrom("gzip", "br", "identity", "x-nonsense"),
    "x-http-method-override": fc.constantFrom("DELETE", "PUT", "GET"),
    "if-match": fc.oneof(
      fc.constantFrom("*", '"stale"', 'W/"x"', '"a", "b"', "garbage", ""),
      headerText(40),
    ),
    "if-none-match": fc.oneof(fc.constantFrom("*", '"stale"', 'W/"x"', "nope"), headerText(40)),
    "accept-encoding": fc.constantFrom("gzip", "br, deflate", "*"),
    origin: fc.constantFrom("https://evil.example", "null"),
    extra: fc.tuple(fc.stringMatching(/^x-[a-z0-9-]{1,20}$/), headerText(100)),
  })
  .chain((all) =>
    fc
      .tuple(
        // Up to three headers besides the content type, which most requests carry.
        fc.subarray(
          Object.keys(all).filter((name) => name !== "content-type"),
          { maxLength: 3 },
        ),
        fc.oneof(
          { weight: 7, arbitrary: fc.constant(true) },
          { weight: 1, arbitrary: fc.constant(false) },
        ),
      )
      .map(([names, withType]) => {
        const headers: Record<string, string> = {};
        if (withType) headers["content-type"] = all["content-type"].trim();
        for (const name of names) {
          if (name === "extra") headers[all.extra[0]] = all.extra[1].trim();
          else headers[name] = (all[name as keyof typeof all] as string).trim();
        }
        return headers;
      }),
  );

/** Methods llhttp knows (a server process only sees these) plus, in process, anything token-shaped. */
export const WIRE_METHODS = [
  "GET",
  "HEAD",
  "POST",
  "PUT",
  "PATCH",
  "DELETE",
  "OPTIONS",
  "PURGE",
  "PROPFIND",
  "MKCOL",
  "LOCK",
  "SEARCH",
  "REPORT",
  "QUERY",
] as const;

/** Fetch's Request refuses these; they cannot reach `app.request`. */
const FORBIDDEN_METHODS = new Set(["CONNECT", "TRACE", "TRACK"]);

function methodArbitrary(onTheWire: boolean): fc.Arbitrary<string> {
  const common = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE");
  if (onTheWire) {
    return fc.oneof(
      { weight: 8, arbitrary: common },
      { weight: 2, arbitrary: fc.constantFrom(...WIRE_METHODS) },
    );
  }
  return fc.oneof(
    { weight: 8, arbitrary: common },
    { weight: 1, arbitrary: fc.constantFrom(...WIRE_METHODS, "patch", "get", "delete") },
    {
      weight: 1,
      arbitrary: fc
        .stringMatching(/^[A-Za-z]{1,12}$/)
        .filter((m) => !FORBIDDEN_METHODS.has(m.toUpperCase())),
    },
  );
}

/**
 * Percent-encodes what a strict HTTP parser refuses on a request line (space,
 * controls, non-ASCII); Latin-1 characters become `%E8`-style escapes that are
 * not valid UTF-8, which the router must survive too.
 */
function wireSafe(path: string): string {
  return path.replace(/[^\x21-\x7e]/gu, (char) => {
    const code = char.codePointAt(0) ?? 0;
    const bytes = code >= 0x80 && code <= 0xff ? [code] : [...Buffer.from(char, "utf8")];
    return bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`).join("");
  });
}

/**
 * A request; `onTheWire` limits it to what a Node server's HTTP parser lets
 * through to the app. Half are aimed at a route with its own method (so users
 * get created, changed and deleted), half are anything.
 */
export function requestArbitrary(onTheWire: boolean): fc.Arbitrary<FuzzRequest> {
  const member = fc.constantFrom(...USERNAMES).map((name) => `/user/${name}`);
  const aimed = fc.oneof(
    fc.record({ method: fc.constant("POST"), path: fc.constant("/user") }),
    fc.record({ method: fc.constantFrom("GET", "PUT", "PATCH", "DELETE"), path: member }),
    fc.record({ method: fc.constant("GET"), path: fc.constant("/user") }),
  );
  const anything = fc.record({ method: methodArbitrary(onTheWire), path: pathArbitrary });
  return fc
    .record({
      target: fc.oneof(aimed, anything),
      query: queryArbitrary,
      headers: headersArbitrary,
      body: bodyArbitrary,
    })
    .map(({ target: { method, path }, query, headers, body }) => {
      // GET and HEAD cannot carry a body in fetch; on the wire they could, but nothing reads it.
      const withBody =
        body !== undefined && method.toUpperCase() !== "GET" && method.toUpperCase() !== "HEAD";
      return { method, path: wireSafe(path + query), headers, ...(withBody ? { body } : {}) };
    });
}

export interface ObservedResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null | undefined };
  readonly body: string;
}

const STACK_TRACE = /\n\s+at |node:internal|\/work\/|file:\/\//;

/** Everything wrong with one response under the HTTP contract; empty when it is fine. */
export function responseProblems(request: FuzzRequest, response: ObservedResponse): string[] {
  const problems: string[] = [];
  const { status } = response;
  // 501 is the contract's answer to a method no resource implements, not a server fault.
  if (status >= 500 && !(status === 501 && !IMPLEMENTED_METHODS.has(request.method))) {
    problems.push(`status ${status}`);
  }
  const conditional =
    request.headers["if-match"] !== undefined || request.headers["if-none-match"] !== undefined;
  if ((status === 412 || status === 304) && !conditional)
    problems.push(`${status} without a condition`);
  const isUser = /^\{"username":.*"createdAt":/.test(response.body);
  if ((status === 200 || status === 201) && isUser) {
    if (!/^"[0-9a-f]{40}"$/.test(response.headers.get("etag") ?? ""))
      problems.push("user without ETag");
  }
  if (!response.headers.get("x-request-id")) problems.push("no x-request-id");
  if (!response.headers.get("x-app-version")) problems.push("no x-app-version");
  if (STACK_TRACE.test(response.body)) problems.push("body looks like a stack trace");
  const isHead = request.method.toUpperCase() === "HEAD";
  if (isHead && response.body !== "") problems.push("HEAD response has a body");
  if (status >= 400 && !isHead) {
    const type = response.headers.get("content-type");
    if (type !== "application/problem+json") problems.push(`error content-type ${type}`);
    try {
      const problem = JSON.parse(response.body) as Record<string, unknown>;
      if (problem.status !== status) problems.push(`problem.status ${problem.status} != ${status}`);
      for (const field of ["type", "title", "detail"]) {
        if (typeof problem[field] !== "string") problems.push(`problem.${field} missing`);
      }
      if (problem.errors !== undefined) {
        const errors = problem.errors as Array<{ path?: unknown; message?: unknown }>;
        if (
          !Array.isArray(errors) ||
          errors.some((e) => typeof e.path !== "string" || typeof e.message !== "string")
        ) {
          problems.push("problem.errors malformed");
        }
      }
    } catch {
      problems.push("error body is not JSON");
    }
  }
  if (status === 405 && !response.headers.get("allow")) problems.push("405 without Allow");
  if (status === 503 && response.headers.get("retry-after") === null)
    problems.push("503 without Retry-After");
  if (status === 201) {
    const created = JSON.parse(response.body) as { username?: string };
    if (response.headers.get("location") !== `/user/${created.username}`)
      problems.push("bad Location");
  }
  return problems;
}

/** What the API said a user is, from its 2xx answers: the store must agree at the end. */
export interface UserModel {
  readonly users: Map<string, { firstname: string; lastname: string; email?: string }>;
}

/** Updates the model from one answered request: 2xx bodies are users as they now are. */
export function applyToModel(
  model: UserModel,
  request: FuzzRequest,
  response: ObservedResponse,
): void {
  if (response.status === 204) {
    const segment = request.path.split("?")[0]?.split("/")[2] ?? "";
    model.users.delete(decodeURIComponent(segment));
    return;
  }
  if ((response.status !== 200 && response.status !== 201) || response.body === "") return;
  if (!response.headers.get("content-type")?.startsWith("application/json")) return;
  const body = JSON.parse(response.body) as { username?: unknown; createdAt?: unknown };
  if (typeof body.username !== "string" || typeof body.createdAt !== "string") return;
  const user = body as { username: string; firstname: string; lastname: string; email?: string };
  model.users.set(user.username, {
    firstname: user.firstname,
    lastname: user.lastname,
    ...(user.email === undefined ? {} : { email: user.email }),
  });
}

/** A valid request, as raw text, to mutate. */
const rawBase = fc.record({
  method: fc.constantFrom("GET", "POST", "PATCH", "DELETE"),
  target: fc.constantFrom("/user", "/user/alice", "/health", "/"),
  body: fc.constantFrom("", '{"username":"alice","firstname":"A","lastname":"B"}'),
});

/** One way to break an HTTP/1.1 request at the parser level. */
const rawMutation = fc.constantFrom(
  (r: string) => r.replace("HTTP/1.1", "HTTP/2.0"),
  (r: string) => r.replace("HTTP/1.1", "HTTX/1.1"),
  (r: string) => r.replace("HTTP/1.1", "HTTP/1.1 extra"),
  (r: string) => r.replaceAll("\r\n", "\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nBad Header: x\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\n: novalue\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nX-Fold: a\r\n b\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nX-Nul: a\u0000b\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", `\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
  (r: string) => r.replace("\r\n\r\n", "\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nContent-Length: -1\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nContent-Length: 99999999999999999999\r\n\r\n"),
  (r: string) =>
    r.replace("\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nTransfer-Encoding: xchunked\r\n\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"),
  (r: string) => r.replace("\r\n\r\n", "\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab"),
  (r: string) => r.replace(/ \/[^ ]*/, " /user/a\u00e8"),
  (r: string) => r.replace(/ \/[^ ]*/, " /user/a b"),
  (r: string) => r.replace(/ \/[^ ]*/, " http://evil.example/user"),
  (r: string) => r.replace(/ \/[^ ]*/, " *"),
  (r: string) => r.replace(/^[A-Z]+/, "G\u0000T"),
  (r: string) => r.replace(/^[A-Z]+/, "CONNECT"),
  (r: string) => r.replace("Host: x\r\n", ""),
  (r: string) => r.replace("Host: x\r\n", "Host: x\r\nHost: y\r\n"),
  (r: string) => `${r}GARBAGE / HTTP/1.1\r\n\r\n`,
);

/** Raw bytes of a request broken in one to three ways; the server must answer 4xx or close. */
export const malformedRequestArbitrary: fc.Arbitrary<string> = fc
  .tuple(rawBase, fc.array(rawMutation, { minLength: 1, maxLength: 3 }))
  .map(([{ method, target, body }, mutations]) => {
    const head = `${method} ${target} HTTP/1.1\r\nHost: x\r\n`;
    const framing =
      body === ""
        ? ""
        : `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n`;
    return mutations.reduce((raw, mutate) => mutate(raw), `${head}${framing}\r\n${body}`);
  });
