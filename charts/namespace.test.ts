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

  it("enforces, warns and audits Pod Security restricted (Istio runs with its CNI plugin)", () => {
    const chart = Testing.chart();
    new UserapiNamespace(chart, "ns", { name: "other" });
    const [ns] = Testing.synth(chart);
    expect(ns.metadata.name).toBe("other");
    for (const mode of ["enforce", "warn", "audit"]) {
      expect(ns.metadata.labels[`pod-security.kubernetes.io/${mode}`], mode).toBe("restricted");
    }
  });

  it("emits no empty spec (the server would replace it with its finalizers)", () => {
    const chart = Testing.chart();
    new UserapiNamespace(chart, "ns");
    expect(Testing.synth(chart)[0]).not.toHaveProperty("spec");
  });
});
