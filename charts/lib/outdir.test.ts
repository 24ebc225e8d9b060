import { describe, expect, it } from "vitest";
import { CHART_IDS } from "../userapi-app.js";
import { OutdirError, outdirPlan } from "./outdir.js";

const file = (name: string) => ({ name, isFile: true });

describe("outdirPlan", () => {
  it("recognises every file synth writes, and stale ones of the same form", () => {
    const names = [...Object.values(CHART_IDS).map((id) => `${id}.k8s.yaml`), "99-stale.k8s.yaml"];
    expect(outdirPlan(names.map(file))).toEqual({ remove: names, foreign: [] });
  });

  it("marks everything else as foreign: a project root is never cleared", () => {
    const plan = outdirPlan(
      ["package.json", "tsconfig.json", "compose.yaml", "cdk8s.yaml", "00-namespace.k8s.yaml"].map(
        file,
      ),
    );
    expect(plan.foreign).toEqual(["package.json", "tsconfig.json", "compose.yaml", "cdk8s.yaml"]);
  });

  it("treats folders and near-misses as foreign", () => {
    const plan = outdirPlan([
      { name: "10-monitoring.k8s.yaml", isFile: false },
      file("monitoring.k8s.yaml"),
      file("10-monitoring.yaml"),
      file(".gitkeep"),
    ]);
    expect(plan.remove).toEqual([]);
    expect(plan.foreign).toHaveLength(4);
  });

  it("names the folder and the files in its refusal", () => {
    const error = new OutdirError(".", ["package.json", "biome.json"]);
    expect(error.message).toMatch(/^refusing to synth into \.: it holds 2 file/);
    expect(error.message).toContain("package.json, biome.json");
    expect(error.message).toContain("Nothing was deleted");
  });
});
