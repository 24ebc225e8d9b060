import { afterEach, describe, expect, it } from "vitest";
import { type AnyJson, json, TEST_VERSION, testApp } from "../../../test/support/app.js";
import { MemoryUserStore } from "../../store/memory-user-store.js";
import { RedisUserStore } from "../../store/redis-user-store.js";

describe("meta routes", () => {
  const stores: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });

  it("GET / names the service, its version and the docs", async () => {
    const response = await testApp(new MemoryUserStore()).request("/");
    expect(await json(response)).toEqual({
      name: "userapi",
      version: TEST_VERSION,
      docs: "/docs",
    });
    expect(response.headers.get("x-app-version")).toBe(TEST_VERSION);
  });

  it("GET /health is ok even when the store is unreachable", async () => {
    const store = new RedisUserStore("redis://127.0.0.1:1", { namespace: "health" });
    stores.push(store);
    const response = await testApp(store).request("/health");
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: "ok" });
  });

  it("GET /ready reports the store", async () => {
    const ok = await testApp(new MemoryUserStore()).request("/ready");
    expect(ok.status).toBe(200);
    expect(await json(ok)).toEqual({ status: "ok", checks: { redis: "ok" } });

    const store = new RedisUserStore("redis://127.0.0.1:1", { namespace: "ready" });
    stores.push(store);
    store.connect();
    const started = performance.now();
    const down = await testApp(store).request("/ready");
    expect(performance.now() - started).toBeLessThan(1000);
    expect(down.status).toBe(503);
    expect(down.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(down)).toEqual({ status: "unavailable", checks: { redis: "down" } });
  });

  it("GET /ready fails while draining so traffic moves away first", async () => {
    const response = await testApp(new MemoryUserStore(), { isDraining: () => true }).request(
      "/ready",
    );
    expect(response.status).toBe(503);
    expect(await json(response)).toEqual({ status: "unavailable", checks: { redis: "ok" } });
  });

  it("GET /serving is 200 while the store is unreachable: readiness does not follow Redis", async () => {
    const store = new RedisUserStore("redis://127.0.0.1:1", { namespace: "serving" });
    stores.push(store);
    store.connect();
    const app = testApp(store);
    expect((await app.request("/ready")).status).toBe(503);
    const response = await app.request("/serving");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(response)).toEqual({ status: "ok" });
  });

  it("GET /serving is 503 draining once shutdown began", async () => {
    let draining = false;
    const app = testApp(new MemoryUserStore(), { isDraining: () => draining });
    expect((await app.request("/serving")).status).toBe(200);
    draining = true;
    const response = await app.request("/serving");
    expect(response.status).toBe(503);
    expect(response.headers.get("content-type")).toMatch(/^application\/json/);
    expect(await json(response)).toEqual({ status: "draining" });
  });

  it("/user routes answer 503 with Retry-After while the store is unreachable", async () => {
    const store = new RedisUserStore("redis://127.0.0.1:1", { namespace: "down" });
    stores.push(store);
    store.connect();
    const response = await testApp(store).request("/user/alice");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("1");
    expect(response.headers.get("content-type")).toBe("application/problem+json");
  });

  it("GET /metrics labels requests by route template, never by raw path", async () => {
    const app = testApp(new MemoryUserStore());
    await app.request("/user/alice");
    await app.request("/user/bob");
    await app.request("/no/such/path/alice");
    await app.request("/user", { method: "BREW" });
    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await response.text();
    expect(text).toContain(
      'http_requests_total{method="GET",route="/user/:username",status="404"} 2',
    );
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain('method="OTHER"');
    expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.005",method="GET"/);
    expect(text).toContain("userapi_store_up 1");
    expect(text).not.toMatch(/alice|bob/);
  });

  it("GET /openapi.json documents every route with every status it answers", async () => {
    const doc = await json(await testApp(new MemoryUserStore()).request("/openapi.json"));
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe(TEST_VERSION);
    // The refusals before routing (408, 414, 417, 431) are on every operation, as references.
    const refusals = ["408", "414", "417", "431"];
    const statuses = (path: string, method: string) =>
      Object.keys(doc.paths[path]?.[method]?.responses ?? {})
        .filter((status) => !refusals.includes(status))
        .sort();
    const meta = ["200", "400", "413", "500"];
    expect(statuses("/", "get")).toEqual(meta);
    expect(statuses("/health", "get")).toEqual(meta);
    expect(statuses("/ready", "get")).toEqual([...meta, "503"]);
    expect(statuses("/metrics", "get")).toEqual(meta);
    expect(statuses("/serving", "get")).toEqual([...meta, "503"]);
    expect(doc.paths["/serving"].get.responses["503"].content["application/json"]).toBeDefined();
    expect(statuses("/user", "post")).toEqual([
      "201",
      "400",
      "401",
      "403",
      "409",
      "413",
      "415",
      "500",
      "503",
    ]);
    expect(statuses("/user", "get")).toEqual(["200", "400", "401", "403", "413", "500", "503"]);
    expect(statuses("/user/{username}", "get")).toEqual([
      "200",
      "304",
      "400",
      "401",
      "403",
      "404",
      "413",
      "500",
      "503",
    ]);
    for (const method of ["put", "patch"]) {
      expect(statuses("/user/{username}", method)).toEqual([
        "200",
        "400",
        "401",
        "403",
        "404",
        "412",
        "413",
        "415",
        "500",
        "503",
      ]);
    }
    expect(statuses("/user/{username}", "delete")).toEqual([
      "204",
      "400",
      "401",
      "403",
      "404",
      "412",
      "413",
      "500",
      "503",
    ]);
    for (const [path, item] of Object.entries(doc.paths) as [string, AnyJson][]) {
      expect(Object.keys(item), path).toContain("options");
      expect(item.options.responses["204"].headers.Allow.required).toBe(true);
      if (item.get !== undefined)
        expect(Object.keys(item.head.responses)).toEqual(Object.keys(item.get.responses));
      for (const operation of Object.values(item) as AnyJson[]) {
        expect(operation.operationId, path).toMatch(/^[a-z][A-Za-z]+$/);
        for (const status of refusals)
          expect(operation.responses[status].$ref).toMatch(/^#\/components\/responses\//);
      }
    }
    expect(Object.keys(doc.components.responses).sort()).toEqual([
      "ExpectationFailed",
      "HeaderFieldsTooLarge",
      "MethodNotAllowed",
      "NotFound",
      "NotImplemented",
      "RequestTimeout",
      "UriTooLong",
    ]);
    expect(doc.info.contact).toBeDefined();
    expect(doc.info.license.name).toBe("MIT");
    expect(doc.servers).toEqual([expect.objectContaining({ url: "/" })]);
    expect(doc.paths["/openapi.json"]).toBeDefined();
    expect(doc.paths["/docs"]).toBeDefined();
  });

  it("GET /docs serves Swagger UI from this server with a hash-pinned inline script", async () => {
    const app = testApp(new MemoryUserStore());
    const response = await app.request("/docs");
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain("/openapi.json");
    expect(html).not.toMatch(/https?:\/\//);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1] as string);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const file = await app.request(asset);
      expect(file.status).toBe(200);
      expect((await file.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
  });
});

describe("request series", () => {
  it("starts every documented route and status at 0 so the first error shows in rate()", async () => {
    const text = await (await testApp(new MemoryUserStore()).request("/metrics")).text();
    expect(text).toContain('http_requests_total{method="POST",route="/user",status="409"} 0');
    expect(text).toContain(
      'http_requests_total{method="GET",route="/user/:username",status="503"} 0',
    );
    expect(text).toContain('http_requests_total{method="GET",route="/ready",status="503"} 0');
  });
});

describe("draining", () => {
  it("asks clients to close keep-alive connections on every response once draining", async () => {
    let draining = false;
    const app = testApp(new MemoryUserStore(), { isDraining: () => draining });
    expect((await app.request("/user")).headers.get("connection")).toBeNull();
    draining = true;
    for (const path of ["/user", "/health", "/nowhere"]) {
      expect((await app.request(path)).headers.get("connection")).toBe("close");
    }
  });
});

describe("OpenAPI problem examples", () => {
  it("shows an example whose status matches each error response", async () => {
    const doc = await json(await testApp(new MemoryUserStore()).request("/openapi.json"));
    let checked = 0;
    for (const item of Object.values(doc.paths) as Record<string, { responses: object }>[]) {
      for (const operation of Object.values(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const media = (response as AnyJson).content?.["application/problem+json"];
          const examples = [
            ...(media?.example === undefined ? [] : [media.example]),
            ...Object.values(media?.examples ?? {}).map((e) => (e as AnyJson).value),
          ];
          for (const example of examples) {
            expect(example.status).toBe(Number(status));
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
  });
});
