/**
 * The smoke test itself: one sequence of HTTP checks against a running API,
 * directly or through the Istio ingress gateway. Each check reports a result
 * as it finishes; the run stops early only when the API never becomes healthy.
 *
 * Only public paths are used (those the gateway publishes): /health, then
 * GET /user?limit=1 to prove Redis answers, then the checks. In split mode
 * they include the v1/v2 weights and x-version routing; in single mode (one
 * server: npm start, Compose) every answer must come from one version.
 *
 * With tokens (see tokens.ts) the /user calls carry them, and the
 * authentication checks run: without a token the API answers 401, but
 * through the mesh (split mode) Istio's AuthorizationPolicy refuses first
 * with 403; a tampered or unsigned token is 401 either way (the API, or
 * RequestAuthentication); a write with the read-only token reaches the API,
 * which answers 403 insufficient_scope.
 */
import {
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
  headerValue,
} from "./http-client.js";
import type { SmokeOptions } from "./options.js";
import { judgePinned, judgeSplit, TRACKS } from "./split.js";
import { type SmokeTokens, tamperedSignature, unsignedCopy } from "./tokens.js";

export interface CheckResult {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface SmokeDeps {
  readonly client: HttpClient;
  readonly report: (result: CheckResult) => void;
  /** Informational lines (which mode auto chose and why). */
  readonly note?: (line: string) => void;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** Tokens for /user: with them the authentication checks run; without, none is sent. */
  readonly tokens?: SmokeTokens | undefined;
}

/** A client that sends `Authorization: Bearer <token>` with every request (none without a token). */
export function withToken(client: HttpClient, token: string | undefined): HttpClient {
  if (token === undefined) return client;
  return {
    request: (req: HttpRequest) =>
      client.request({ ...req, headers: { ...req.headers, authorization: `Bearer ${token}` } }),
    close: () => client.close(),
  };
}

const VERSION_HEADER = "x-app-version";
const PARALLEL = 8;

/** A username that satisfies the API's rule and differs on every run. */
export function uniqueUsername(now = Date.now(), random = Math.random): string {
  const suffix = Math.floor(random() * 36 ** 4)
    .toString(36)
    .padStart(4, "0");
  return `smoke-${now.toString(36)}-${suffix}`;
}

function describe(res: HttpResponse): string {
  const body = res.text.length > 200 ? `${res.text.slice(0, 200)}…` : res.text;
  return `${res.status} ${body}`.trim();
}

/**
 * Auto mode's choice: split when the API answers as one of the canary's
 * tracks (v1, v2), single otherwise (e.g. the package version from npm start).
 */
export function chooseMode(
  mode: SmokeOptions["mode"],
  appVersion: string,
): { mode: "single" | "split"; reason: string } {
  if (mode !== "auto") return { mode, reason: `--mode ${mode}` };
  const track = (TRACKS as readonly string[]).includes(appVersion);
  return track
    ? { mode: "split", reason: `the API answers as ${appVersion}, a canary track` }
    : {
        mode: "single",
        reason: `the API answers as ${JSON.stringify(appVersion)}, not v1 or v2 (--mode split to require the canary)`,
      };
}

/** Runs every check; resolves to all results (also passed to `report` one by one). */
export async function runSmoke(options: SmokeOptions, deps: SmokeDeps): Promise<CheckResult[]> {
  const { client } = deps;
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const note = deps.note ?? (() => undefined);
  const results: CheckResult[] = [];
  const record = (name: string, ok: boolean, detail: string): boolean => {
    const result = { name, ok, detail };
    results.push(result);
    deps.report(result);
    return ok;
  };

  // Port-forwards and fresh pods take a moment: poll until the deadline.
  const deadline = now() + options.waitSeconds * 1000;
  const poll = async (
    path: string,
    accept: (res: HttpResponse) => boolean,
    via: HttpClient = client,
  ) => {
    let attempts = 0;
    let last = "no answer";
    let answer: HttpResponse | undefined;
    for (;;) {
      attempts++;
      try {
        const res = await via.request({ path });
        if (accept(res)) return { ok: true, attempts, last: describe(res), res };
        last = describe(res);
        answer = res;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      if (now() >= deadline) return { ok: false, attempts, last, res: answer };
      await sleep(1000);
    }
  };

  const health = await poll("/health", (res) => res.status === 200);
  if (
    !record("GET /health answers 200", health.ok, `${health.last} (attempt ${health.attempts})`)
  ) {
    return results;
  }
  // A page of users comes from Redis: this proves the store answers, through public paths only.
  const tokens = deps.tokens;
  const reader = withToken(client, tokens?.read);
  const store = await poll("/user?limit=1", (res) => res.status === 200, reader);
  const hint =
    !store.ok && !tokens && store.res?.status === 401
      ? ": the API requires a token, give --key-dir or SMOKE_WRITE_TOKEN and SMOKE_READ_TOKEN"
      : !store.ok && !tokens && store.res?.status === 403
        ? ": refused (RBAC?), the mesh requires a token, give --key-dir or SMOKE_WRITE_TOKEN and SMOKE_READ_TOKEN"
        : "";
  record(
    `GET /user?limit=1 answers 200 (Redis answers)${tokens ? " with the users:read token" : ""}`,
    store.ok,
    `${store.last.slice(0, 120)} (attempt ${store.attempts})${hint}`,
  );

  const chosen = chooseMode(
    options.mode,
    health.res ? headerValue(health.res, VERSION_HEADER) : "",
  );
  note(`${chosen.mode} mode: ${chosen.reason}`);

  if (tokens) {
    note(`authentication: tokens ${tokens.source}`);
    await authChecks(client, tokens, chosen.mode, record);
  } else {
    note("authentication: not tested (no --key-dir, SMOKE_WRITE_TOKEN or SMOKE_READ_TOKEN)");
  }

  await crudRoundTrip(withToken(client, tokens?.write), record);

  const plain = await fanOut(options.requests, () => client.request({ path: "/health" }));
  const failed = plain.filter((r) => !("res" in r) || r.res.status !== 200);
  record(
    `${options.requests} requests without x-version answer 200`,
    failed.length === 0,
    failed.length === 0 ? "all 200" : `${failed.length} failed, e.g. ${outcome(failed[0])}`,
  );
  const versions = plain.map((r) => ("res" in r ? headerValue(r.res, VERSION_HEADER) : "(error)"));

  if (chosen.mode === "single") {
    const seen = [...new Set(versions)];
    record(
      "every answer comes from one version",
      seen.length === 1 && seen[0] !== "" && seen[0] !== "(error)",
      `x-app-version: ${seen.map((v) => JSON.stringify(v)).join(", ")}`,
    );
    return results;
  }

  const verdict = judgeSplit(versions, options.v1Weight);
  record(
    `traffic split matches ${options.v1Weight}/${options.v2Weight} (v1/v2)`,
    verdict.ok,
    verdict.message,
  );

  for (const track of TRACKS) {
    const pinned = await fanOut(options.headerRequests, () =>
      client.request({ path: "/health", headers: { "x-version": track } }),
    );
    const answered = pinned.map((r) =>
      "res" in r ? headerValue(r.res, VERSION_HEADER) : "(error)",
    );
    const pinnedVerdict = judgePinned(track, answered);
    record(`x-version: ${track} is answered by ${track}`, pinnedVerdict.ok, pinnedVerdict.message);
  }
  return results;
}

type Outcome = { res: HttpResponse } | { error: string };

function outcome(o: Outcome | undefined): string {
  if (!o) return "";
  return "res" in o ? describe(o.res) : o.error;
}

/** `total` calls, at most PARALLEL in flight; errors are kept, not thrown. */
async function fanOut(total: number, call: () => Promise<HttpResponse>): Promise<Outcome[]> {
  const out: Outcome[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      try {
        out.push({ res: await call() });
      } catch (error) {
        out.push({ error: error instanceof Error ? error.message : String(error) });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(PARALLEL, total) }, worker));
  return out;
}

type Record_ = (name: string, ok: boolean, detail: string) => boolean;

/** `error="..."` of a Bearer challenge, "" when there is none. */
function bearerError(res: HttpResponse): string {
  return /\berror="([^"]*)"/.exec(headerValue(res, "www-authenticate"))?.[1] ?? "";
}

function describeRefusal(res: HttpResponse): string {
  const challenge = headerValue(res, "www-authenticate");
  return `${describe(res)}${challenge ? ` (WWW-Authenticate: ${challenge})` : ""}`;
}

async function authChecks(
  client: HttpClient,
  tokens: SmokeTokens,
  mode: "single" | "split",
  record: Record_,
): Promise<void> {
  const attempt = async (
    name: string,
    call: () => Promise<HttpResponse>,
    judge: (res: HttpResponse) => boolean,
  ) => {
    try {
      const res = await call();
      record(name, judge(res), describeRefusal(res));
    } catch (error) {
      record(name, false, error instanceof Error ? error.message : String(error));
    }
  };

  if (mode === "split") {
    // Through the mesh: the AuthorizationPolicy wants a request principal on /user.
    await attempt(
      "GET /user without a token is refused by the mesh with 403 (no request principal)",
      () => client.request({ path: "/user?limit=1" }),
      (res) => res.status === 403,
    );
  } else {
    await attempt(
      "GET /user without a token answers 401 with WWW-Authenticate: Bearer",
      () => client.request({ path: "/user?limit=1" }),
      (res) =>
        res.status === 401 &&
        /^Bearer\b/.test(headerValue(res, "www-authenticate")) &&
        bearerError(res) === "",
    );
  }
  const invalid = (res: HttpResponse) =>
    res.status === 401 && (mode === "split" || bearerError(res) === "invalid_token");
  const expectation = mode === "split" ? "401" : '401 error="invalid_token"';
  await attempt(
    `GET /user with a tampered signature answers ${expectation}`,
    () => withToken(client, tamperedSignature(tokens.read)).request({ path: "/user?limit=1" }),
    invalid,
  );
  await attempt(
    `GET /user with an unsigned token (alg none) answers ${expectation}`,
    () => withToken(client, unsignedCopy(tokens.read)).request({ path: "/user?limit=1" }),
    invalid,
  );
  // Reaches the API in both modes (the token is valid): the scope decides.
  await attempt(
    'POST /user with the users:read token answers 403 error="insufficient_scope"',
    () =>
      withToken(client, tokens.read).request({
        method: "POST",
        path: "/user",
        body: { username: uniqueUsername(), firstname: "Read", lastname: "Only" },
      }),
    (res) => res.status === 403 && bearerError(res) === "insufficient_scope",
  );
}

async function crudRoundTrip(client: HttpClient, record: Record_): Promise<void> {
  const username = uniqueUsername();
  const path = `/user/${username}`;
  const user = (res: HttpResponse) => (res.json ?? {}) as Record<string, unknown>;
  const hasVersion = (res: HttpResponse) => headerValue(res, VERSION_HEADER) !== "";
  let created = false;
  try {
    const create = await client.request({
      method: "POST",
      path: "/user",
      body: { username, firstname: "Smoke", lastname: "Test", email: `${username}@example.com` },
    });
    created = create.status === 201;
    const createOk =
      created &&
      headerValue(create, "location") === path &&
      user(create).username === username &&
      hasVersion(create);
    if (!record(`POST /user creates ${username}`, createOk, describe(create))) return;

    const read = await client.request({ path });
    record(
      "GET /user/{username} returns it",
      read.status === 200 && user(read).email === `${username}@example.com` && hasVersion(read),
      describe(read),
    );

    const put = await client.request({
      method: "PUT",
      path,
      body: { firstname: "Smoky", lastname: "Tested" },
    });
    record(
      "PUT replaces the names and drops the omitted email",
      put.status === 200 &&
        user(put).firstname === "Smoky" &&
        user(put).email === undefined &&
        hasVersion(put),
      describe(put),
    );

    const patch = await client.request({
      method: "PATCH",
      path,
      body: { email: `${username}@example.org` },
    });
    record(
      "PATCH changes only the given field",
      patch.status === 200 &&
        user(patch).email === `${username}@example.org` &&
        user(patch).firstname === "Smoky" &&
        hasVersion(patch),
      describe(patch),
    );

    const del = await client.request({ method: "DELETE", path });
    created = del.status !== 204;
    record("DELETE answers 204", del.status === 204 && hasVersion(del), describe(del));

    const gone = await client.request({ path });
    record("GET after DELETE answers 404", gone.status === 404, describe(gone));
  } catch (error) {
    record("CRUD round trip", false, error instanceof Error ? error.message : String(error));
  } finally {
    // Leave nothing behind when a step in the middle failed.
    if (created) await client.request({ method: "DELETE", path }).catch(() => undefined);
  }
}
