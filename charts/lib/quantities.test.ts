import { describe, expect, it } from "vitest";
import { cpu, memory, parseCpuMillis, parseMemoryBytes } from "./quantities.js";

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

  it("renders cdk8s-plus amounts in m and Mi", () => {
    expect(cpu("0.5").amount).toBe("500m");
    expect(memory("1Gi").toMebibytes()).toBe(1024);
  });
});
