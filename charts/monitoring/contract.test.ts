import { describe, expect, it } from "vitest";
import { ISTIO_AGENT_METRICS_PORT } from "../lib/labels.js";
import { OPERATIONAL_ROUTES } from "./contract.js";
import { apiRelabelConfigs } from "./prometheus-config.js";

describe("monitoring contract", () => {
  it("scrapes only the agent port the NetworkPolicies open to Prometheus", () => {
    const ports = apiRelabelConfigs()
      .filter((rule) => rule.target_label === "__address__")
      .map((rule) => rule.replacement?.split(":").at(-1));
    expect(ports.length).toBeGreaterThan(0);
    expect(new Set(ports)).toEqual(new Set([String(ISTIO_AGENT_METRICS_PORT)]));
  });

  it("counts probes and scrapes as operational, not user traffic", () => {
    for (const route of ["/health", "/ready", "/serving", "/metrics"]) {
      expect(OPERATIONAL_ROUTES).toContain(route);
    }
  });
});
