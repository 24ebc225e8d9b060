import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { UserapiNamespace } from "./namespace.js";

describe("UserapiNamespace", () => {
  it("creates the userapi namespace labelled for sidecar injection", () => {
    const chart = Testing.chart();
    new UserapiNamespace(chart, "ns");
    const docs = Testing.synth(chart);
    expect(docs).toHaveLength(1);
    expect(docs[0].kind).toBe("Namespace");
    expect(docs[0].metadata.name).toBe("userapi");
    expect(docs[0].metadata.labels["istio-injection"]).toBe("enabled");
  });

  it("warns and audits Pod Security restricted without enforcing it (istio-init)", () => {
    const chart = Testing.chart();
    new UserapiNamespace(chart, "ns", { name: "other" });
    const [ns] = Testing.synth(chart);
    expect(ns.metadata.name).toBe("other");
    expect(ns.metadata.labels["pod-security.kubernetes.io/warn"]).toBe("restricted");
    expect(ns.metadata.labels["pod-security.kubernetes.io/audit"]).toBe("restricted");
    expect(ns.metadata.labels).not.toHaveProperty("pod-security.kubernetes.io/enforce");
  });
});
