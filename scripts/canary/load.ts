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

export function startLoad(options: LoadOptions): LoadGenerator {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxInFlight = Math.max(4, options.rate * 2);
  const statuses: Record<string, number> = {};
  const versions: Record<string, number> = {};
  const created: string[] = [];
  const prefix = `canary${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  const auth: Record<string, string> =
    options.token === undefined ? {} : { authorization: `Bearer ${options.token}` };

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
