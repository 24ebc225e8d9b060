/**
 * `--load`: steady user traffic for the canary to judge, at a bounded rate
 * and with a bounded number of requests in flight. A mix of what users do:
 * create a user, read one that exists, read one that does not (404 counts as
 * success: only 5xx is an error), list. Sends `Authorization: Bearer <token>`
 * when a token is given, and never `x-version`, so the weights decide.
 */

export interface LoadOptions {
  readonly baseUrl: string;
  /** Requests per second. */
  readonly rate: number;
  readonly token?: string;
  /** Per-request timeout. @default 5000 */
  readonly timeoutMs?: number;
}

export interface LoadSummary {
  readonly sent: number;
  /** Answers by status ("network" for no answer). */
  readonly statuses: Readonly<Record<string, number>>;
  /** Answers by `x-app-version` header. */
  readonly versions: Readonly<Record<string, number>>;
}

export interface LoadGenerator {
  summary(): LoadSummary;
  /** Stops sending and waits for the requests in flight. */
  stop(): Promise<LoadSummary>;
}

const bearer = (token: string | undefined): Record<string, string> =>
  token === undefined ? {} : { authorization: `Bearer ${token}` };

/**
 * Checks, before any weight moves, that the load will be real user traffic:
 * `GET /user?limit=1` must answer 200 within `waitMs`. A 401 or 403 (no or a
 * bad token through the mesh) would otherwise count as success, since only
 * 5xx are errors, and a rollout judged on refusals proves nothing.
 */
export async function preflight(
  options: LoadOptions,
  waitMs: number,
): Promise<{ readonly ok: true } | { readonly ok: false; readonly reason: string }> {
  const deadline = performance.now() + waitMs;
  let reason = "no answer";
  do {
    try {
      const response = await fetch(`${options.baseUrl}/user?limit=1`, {
        headers: bearer(options.token),
        signal: AbortSignal.timeout(options.timeoutMs ?? 5000),
      });
      await response.arrayBuffer();
      if (response.status === 200) return { ok: true };
      reason = `GET /user?limit=1 answered ${response.status}${
        response.status === 401 || response.status === 403
          ? options.token === undefined
            ? " (no token: give --token or USERAPI_TOKEN)"
            : " (the token is refused)"
          : ""
      }`;
      if (response.status === 401 || response.status === 403) break;
    } catch (error) {
      reason = `GET /user?limit=1 failed: ${(error as Error & { cause?: Error }).cause?.message ?? (error as Error).message}`;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  } while (performance.now() < deadline);
  return { ok: false, reason };
}

export function startLoad(options: LoadOptions): LoadGenerator {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxInFlight = Math.max(4, options.rate * 2);
  const statuses: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const created: string[] = [];
  const prefix = `canary${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const auth = bearer(options.token);

  const request = (n: number): [string, RequestInit] => {
    switch (n % 4) {
      case 0: {
        const username = `${prefix}-${n}`.slice(0, 32);
        created.push(username);
        if (created.length > 100) created.shift();
        return [
          "/user",
          {
            method: "POST",
            headers: { ...auth, "content-type": "application/json" },
            body: JSON.stringify({ username, firstname: "Canary", lastname: "Load" }),
          },
        ];
      }
      case 1:
        return [`/user/${created.at(-1) ?? "canary-missing"}`, { headers: auth }];
      case 2:
        return ["/user/canary-missing", { headers: auth }];
      default:
        return ["/user?limit=5", { headers: auth }];
    }
  };

  const fire = () => {
    if (inFlight.size >= maxInFlight) {
      statuses.skipped = (statuses.skipped ?? 0) + 1;
      return;
    }
    const [path, init] = request(sent++);
    const done: Promise<void> = fetch(options.baseUrl + path, {
      ...init,
      signal: AbortSignal.timeout(timeoutMs),
    })
      .then(async (response) => {
        await response.arrayBuffer();
        statuses[response.status] = (statuses[response.status] ?? 0) + 1;
        const version = response.headers.get("x-app-version") ?? "none";
        versions[version] = (versions[version] ?? 0) + 1;
      })
      .catch(() => {
        statuses.network = (statuses.network ?? 0) + 1;
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };

  // A fixed tick of at most 50 ms, several requests per tick at high rates.
  const tickMs = Math.max(10, Math.min(50, Math.floor(1000 / options.rate)));
  const started = performance.now();
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - started) / 1000) * options.rate);
    while (sent + (statuses.skipped ?? 0) < due) fire();
  }, tickMs);

  const summary = (): LoadSummary => ({
    sent,
    statuses: { ...statuses },
    versions: { ...versions },
  });
  return {
    summary,
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...inFlight]);
      return summary();
    },
  };
}
