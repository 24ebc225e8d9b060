import { describe, expect, it } from "vitest";
import {
  canonicalBytes,
  canonicalCpu,
  canonicalResources,
  parseCpuMillis,
  parseMemoryBytes,
} from "./quantities.js";

describe("quantities", () => {
  it("parses CPU in millicores or cores", () => {
    expect(parseCpuMillis("250m")).toBe(250);
    expect(parseCpuMillis("0.5")).toBe(500);
    expect(parseCpuMillis("2")).toBe(2000);
    expect(() => parseCpuMillis("2 cores")).toThrow(/CPU/);
  });

  it("parses binary memory sizes", () => {
    expect(parseMemoryBytes("128Mi")).toBe(128 * 2 ** 20);
    expect(parseMemoryBytes("1Gi")).toBe(2 ** 30);
    expect(() => parseMemoryBytes("1GB")).toThrow(/memory/);
  });

  it("writes CPU as the API server returns it: whole cores bare, the rest in m", () => {
    expect(canonicalCpu("0.5")).toBe("500m");
    expect(canonicalCpu("1000m")).toBe("1");
    expect(canonicalCpu("2")).toBe("2");
    expect(canonicalCpu("1.5")).toBe("1500m");
    expect(canonicalCpu("100m")).toBe("100m");
  });

  it("writes sizes with the largest exact binary suffix", () => {
    expect(canonicalBytes("1024Mi")).toBe("1Gi");
    expect(canonicalBytes("1536Mi")).toBe("1536Mi");
    expect(canonicalBytes("2048Gi")).toBe("2Ti");
    expect(canonicalBytes("128Mi")).toBe("128Mi");
  });

  it("builds canonical container resources", () => {
    const resources = canonicalResources({
      cpuRequest: "0.25",
      cpuLimit: "1000m",
      memoryRequest: "512Mi",
      memoryLimit: "1024Mi",
    });
    const values = (q: Record<string, { value: string | number }> | undefined) =>
      Object.fromEntries(Object.entries(q ?? {}).map(([k, v]) => [k, v.value]));
    expect({ requests: values(resources.requests), limits: values(resources.limits) }).toEqual({
      requests: { cpu: "250m", memory: "512Mi" },
      limits: { cpu: "1", memory: "1Gi" },
    });
  });
});
