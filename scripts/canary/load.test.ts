import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { preflight, startLoad } from "./load.js";

describe("the --load traffic", () => {
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  let status = 200;
  let server: Server;
  let baseUrl = "";

  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? "", url: req.url ?? "", headers: req.headers });
      req.resume();
      res.writeHead(status, { "x-app-version": "v2" }).end("{}");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => server.close());

  it("sends user requests at the rate, with the bearer token and never x-version", async () => {
    seen.length = 0;
    const load = startLoad({ baseUrl, rate: 40, token: "t0k3n" });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const summary = await load.stop();
    // 40/s for one second, give or take a tick.
    expect(summary.sent).toBeGreaterThanOrEqual(30);
    expect(summary.sent).toBeLessThanOrEqual(45);
    expect(summary.statuses["200"]).toBe(summary.sent);
    expect(summary.versions).toEqual({ v2: summary.sent });
    expect(
      new Set(
        seen.map(
          (r) => `${r.method} ${r.url.replace(/\/user\/canary\w+-\d+$/, "/user/<created>")}`,
        ),
      ),
    ).toEqual(
      new Set([
        "POST /user",
        "GET /user/<created>",
        "GET /user/canary-missing",
        "GET /user?limit=5",
      ]),
    );
    for (const r of seen) {
      expect(r.headers.authorization).toBe("Bearer t0k3n");
      expect(r.headers["x-version"]).toBeUndefined();
    }
  });

  it("sends no Authorization header without a token", async () => {
    seen.length = 0;
    const load = startLoad({ baseUrl, rate: 20 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await load.stop();
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((r) => r.headers.authorization === undefined)).toBe(true);
  });

  it("preflight: passes on 200, and refuses a target that answers 403 at once", async () => {
    status = 200;
    expect(await preflight({ baseUrl, rate: 1 }, 1000)).toEqual({ ok: true });
    status = 403;
    const started = performance.now();
    expect(await preflight({ baseUrl, rate: 1 }, 10_000)).toEqual({
      ok: false,
      reason: "GET /user?limit=1 answered 403 (no token: give --token or USERAPI_TOKEN)",
    });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(await preflight({ baseUrl, rate: 1, token: "bad" }, 10_000)).toMatchObject({
      reason: /the token is refused/,
    });
    status = 200;
  });

  it("preflight: gives up on an unreachable target after the wait", async () => {
    const result = await preflight({ baseUrl: "http://127.0.0.1:9", rate: 1, timeoutMs: 200 }, 600);
    expect(result).toMatchObject({
      ok: false,
      reason: /GET \/user\?limit=1 failed: .*ECONNREFUSED/,
    });
  });
});
