import { describe, expect, it } from "vitest";
import { ISTIO_METRICS_PORTS } from "../lib/labels.js";
import { ISTIO_MERGED_METRICS_PORT, ISTIO_PROXY_DECLARED_PORT } from "./contract.js";

describe("monitoring contract", () => {
  it("scrapes only ports the NetworkPolicies open to Prometheus", () => {
    expect(ISTIO_METRICS_PORTS).toContain(ISTIO_MERGED_METRICS_PORT);
    expect(ISTIO_METRICS_PORTS).toContain(ISTIO_PROXY_DECLARED_PORT);
  });
});
