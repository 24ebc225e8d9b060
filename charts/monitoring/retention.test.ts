import { describe, expect, it } from "vitest";
import { parseMemoryBytes } from "../lib/quantities.js";
import { parsePrometheusBytes, RETENTION_SHARE, retentionSizeFor } from "./retention.js";

describe("Prometheus retention size", () => {
  it("reads Prometheus sizes in powers of 2", () => {
    expect(parsePrometheusBytes("512MB")).toBe(512 * 2 ** 20);
    expect(parsePrometheusBytes("2GB")).toBe(2 * 2 ** 30);
    expect(() => parsePrometheusBytes("2Gi")).toThrow(/Prometheus size/);
  });

  it("keeps a quarter of the volume free", () => {
    expect(retentionSizeFor("2Gi")).toBe("1536MB");
    expect(retentionSizeFor("10Gi")).toBe("7680MB");
    for (const limit of ["64Mi", "2Gi", "100Gi"]) {
      const retained = parsePrometheusBytes(retentionSizeFor(limit));
      expect(retained).toBeLessThanOrEqual(parseMemoryBytes(limit) * RETENTION_SHARE);
      expect(retained).toBeLessThan(parseMemoryBytes(limit));
    }
  });
});
