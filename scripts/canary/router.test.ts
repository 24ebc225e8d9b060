import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startRouter, type WeightedRouter } from "./router.js";

/** A stand-in upstream that answers 200 with its track name. */
async function upstream(name: string): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "x-app-version": name }).end(name);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

describe("the local weighted router", () => {
  const servers: Server[] = [];
  let router: WeightedRouter;

  beforeAll(async () => {
    const [v1, v2] = await Promise.all([upstream("v1"), upstream("v2")]);
    servers.push(v1.server, v2.server);
    router = await startRouter({ upstreams: { v1: v1.url, v2: v2.url } });
  });
  afterAll(async () => {
    await router.stop();
    for (const s of servers) s.close();
  });

  const send = async (n: number) => {
    const answers: string[] = [];
    for (let i = 0; i < n; i++) {
      const r = await fetch(`${router.url}/user/x`);
      answers.push(`${r.status} ${r.headers.get("x-app-version") ?? "-"}`);
      await r.arrayBuffer();
    }
    return answers;
  };

  it("starts with all traffic on v1", async () => {
    expect(router.weights()).toEqual({ v1: 100, v2: 0 });
    expect(new Set(await send(20))).toEqual(new Set(["200 v1"]));
  });

  it("splits by the weights set through the admin API, and refuses bad weights", async () => {
    const ok = await fetch(`${router.adminUrl}/weights`, {
      method: "PUT",
      body: JSON.stringify({ v1: 50, v2: 50 }),
    });
    expect(ok.status).toBe(200);
    const answers = await send(400);
    const v2 = answers.filter((a) => a === "200 v2").length;
    // Binomial(400, 0.5): ±4 standard deviations.
    expect(v2).toBeGreaterThan(160);
    expect(v2).toBeLessThan(240);
    const bad = await fetch(`${router.adminUrl}/weights`, {
      method: "PUT",
      body: JSON.stringify({ v1: 50, v2: 60 }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "v1 + v2 must be 100" });
    expect(router.weights()).toEqual({ v1: 50, v2: 50 });
  });

  it("aborts a share of one track's requests, like Istio's fault.abort, and exports the sidecar view", async () => {
    router.setWeights({ v1: 0, v2: 100 });
    const fault = await fetch(`${router.adminUrl}/faults/v2`, {
      method: "PUT",
      body: JSON.stringify({ status: 503, percentage: 100 }),
    });
    expect(fault.status).toBe(200);
    expect(new Set(await send(10))).toEqual(new Set(["503 -"]));
    await fetch(`${router.adminUrl}/faults/v2`, { method: "DELETE" });
    expect(new Set(await send(5))).toEqual(new Set(["200 v2"]));
    const metrics = await (await fetch(`${router.adminUrl}/metrics/v2`)).text();
    expect(metrics).toContain(
      'istio_requests_total{reporter="destination",response_code="503",response_flags="FI"} 10',
    );
    expect(metrics).toMatch(
      /istio_requests_total\{reporter="destination",response_code="200",response_flags="-"\} \d+/,
    );
    expect(metrics).toContain("istio_request_duration_milliseconds_bucket{le=");
    expect(
      (await fetch(`${router.adminUrl}/faults/v3`, { method: "PUT", body: "{}" })).status,
    ).toBe(404);
  });
});
