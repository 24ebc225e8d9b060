import { describe, expect, it } from "vitest";
import { chooseMode } from "./checks.js";

describe("chooseMode", () => {
  it("keeps an explicit --mode whatever the API answers as", () => {
    expect(chooseMode("split", "1.0.0").mode).toBe("split");
    expect(chooseMode("single", "v1").mode).toBe("single");
  });

  it("auto: split when the API answers as a canary track (v1 or v2)", () => {
    expect(chooseMode("auto", "v1")).toMatchObject({ mode: "split" });
    expect(chooseMode("auto", "v2")).toMatchObject({ mode: "split" });
  });

  it("auto: single for any other version, and says how to require the canary", () => {
    const chosen = chooseMode("auto", "1.0.0");
    expect(chosen.mode).toBe("single");
    expect(chosen.reason).toContain('"1.0.0"');
    expect(chosen.reason).toContain("--mode split");
    expect(chooseMode("auto", "").mode).toBe("single");
  });
});
