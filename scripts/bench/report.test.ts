import { describe, expect, it } from "vitest";
import {
  evaluateGoals,
  formatTable,
  medianRun,
  type ScenarioResult,
  verificationCost,
} from "./report.js";

const row = (over: Partial<ScenarioResult>): ScenarioResult => ({
  scenario: "GET user",
  server: "service",
  requestsPerSecond: 900,
  cpuMicrosPerRequest: 50,
  p50Ms: 1,
  p99Ms: 3,
  non2xx: 0,
  errors: 0,
  total: 9000,
  ...over,
});

describe("medianRun", () => {
  it("takes the median of each measure and sums the counts", () => {
    const summary = medianRun([
      row({ requestsPerSecond: 100, p99Ms: 9, non2xx: 1, total: 10 }),
      row({ requestsPerSecond: 300, p99Ms: 1, total: 10 }),
      row({ requestsPerSecond: 200, p99Ms: 4, errors: 2, total: 10 }),
    ]);
    expect(summary).toMatchObject({
      requestsPerSecond: 200,
      p99Ms: 4,
      non2xx: 1,
      errors: 2,
      total: 30,
    });
  });
});

describe("bench report", () => {
  const results = [
    row({}),
    row({ server: "baseline", requestsPerSecond: 1000, cpuMicrosPerRequest: 40 }),
    row({ scenario: "POST user", p99Ms: 7, non2xx: 2 }),
    row({ scenario: "POST user", server: "baseline" }),
  ];

  it("prints the service/baseline ratio per scenario", () => {
    const table = formatTable(
      results,
      { service: 80, baseline: 60 },
      { service: 200, baseline: 150 },
    );
    expect(table).toMatch(/GET user\s+service\s+900\s+90%\s+50\s+80%/);
    expect(table).toContain("peak RSS: service 80.0 MB");
    expect(table).toContain("service 200 ms");
  });

  it("marks each goal met or missed", () => {
    const goals = evaluateGoals(
      results,
      { service: 130, baseline: 60 },
      { service: 250, baseline: 1 },
    );
    const byText = (needle: string) => goals.find((g) => g.text.includes(needle));
    expect(byText("GET throughput 90%")?.met).toBe(true);
    expect(byText("GET user: p99")?.met).toBe(true);
    expect(byText("POST user: p99 7.0")?.met).toBe(false);
    expect(byText("POST user: 2 non-2xx")?.met).toBe(false);
    expect(byText("peak RSS 130.0")?.met).toBe(false);
    expect(byText("start to /ready 250")?.met).toBe(true);
  });

  it("fails the throughput goal below 80% of the baseline", () => {
    const slow = [
      row({ requestsPerSecond: 790 }),
      row({ server: "baseline", requestsPerSecond: 1000 }),
    ];
    const goals = evaluateGoals(slow, { service: 1, baseline: 1 }, { service: 1, baseline: 1 });
    expect(goals.find((g) => g.text.startsWith("GET throughput"))?.met).toBe(false);
  });
});

describe("verificationCost", () => {
  it("reports the CPU and throughput the authenticated GET costs over the plain one", () => {
    const results = [
      row({ cpuMicrosPerRequest: 50, requestsPerSecond: 1000 }),
      row({ scenario: "GET (JWT)", cpuMicrosPerRequest: 110, requestsPerSecond: 500 }),
      row({ scenario: "GET (JWT)", server: "baseline", cpuMicrosPerRequest: 10 }),
    ];
    expect(verificationCost(results, "GET (JWT)")).toBe(
      "JWT verification: +60 µs CPU per request (110 vs 50), throughput 50% of the GET without a token",
    );
    expect(verificationCost(results.slice(0, 1), "GET (JWT)")).toBeUndefined();
  });
});
