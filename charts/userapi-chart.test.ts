// biome-ignore-all lint/suspicious/noExplicitAny: synthesized manifests are untyped JSON; the assertions check their shape
import { Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { DEFAULTS, loadChartConfig } from "./config.js";
import { findManifest } from "./lib/checks.js";
import { CHART_IDS, composeCharts } from "./userapi-app.js";
import { UserapiChart } from "./userapi-chart.js";

describe("UserapiChart", () => {
  const app = Testing.app();
  const chart = new UserapiChart(app, "userapi", { config: DEFAULTS });
  const docs = Testing.synth(chart);

  it("puts every object in the userapi namespace with the common labels", () => {
    for (const doc of docs) {
      expect(doc.metadata.namespace, `${doc.kind}/${doc.metadata.name}`).toBe("userapi");
      expect(doc.metadata.labels["app.kubernetes.io/part-of"]).toBe("userapi");
    }
  });

  it("holds the full set of objects, with stable names", () => {
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toMatchSnapshot();
    expect(docs.filter((d) => d.kind === "Deployment").map((d) => d.metadata.name)).toEqual([
      "userapi-v1",
      "userapi-v2",
    ]);
  });

  it("uses the configured image, tag and weights", () => {
    const config = loadChartConfig({
      USERAPI_IMAGE: "userapi",
      USERAPI_TAG: "ci",
      USERAPI_V1_WEIGHT: "50",
      USERAPI_V2_WEIGHT: "50",
      USERAPI_REPLICAS: "1",
    });
    const other = Testing.synth(new UserapiChart(Testing.app(), "u", { config }));
    const deployment = findManifest<any>(other, "Deployment", "userapi-v1");
    expect(deployment.spec.template.spec.containers[0].image).toBe("userapi:ci");
    const vs = findManifest<any>(other, "VirtualService", "userapi-ingress");
    expect(vs.spec.http[2].route.map((r: any) => r.weight)).toEqual([50, 50]);
    expect(findManifest<any>(other, "HorizontalPodAutoscaler", "userapi-v2").spec.minReplicas).toBe(
      1,
    );
  });

  it("runs each track's own image when USERAPI_V1_*/USERAPI_V2_* are set (canary)", () => {
    const config = loadChartConfig({ USERAPI_TAG: "1.0.0", USERAPI_V2_TAG: "1.1.0" });
    const other = Testing.synth(new UserapiChart(Testing.app(), "u", { config }));
    const image = (name: string) =>
      findManifest<any>(other, "Deployment", name).spec.template.spec.containers[0].image;
    expect(image("userapi-v1")).toBe("userapi:1.0.0");
    expect(image("userapi-v2")).toBe("userapi:1.1.0");
  });

  it("matches the snapshot of the whole chart", () => {
    expect(docs).toMatchSnapshot();
  });
});

describe("composeCharts", () => {
  it("creates the namespace chart first and names charts after dist files", () => {
    const app = Testing.app();
    const charts = composeCharts(app, DEFAULTS);
    const ids = app.charts.map((c) => c.node.id);
    // Namespace first, userapi last; a monitoring chart may sit between them.
    expect(ids[0]).toBe(CHART_IDS.namespace);
    expect(ids.at(-1)).toBe(CHART_IDS.userapi);
    expect([...ids].sort()).toEqual(ids);
    const [ns] = Testing.synth(charts.namespace);
    expect(ns.kind).toBe("Namespace");
    expect(
      CHART_IDS.namespace < CHART_IDS.monitoring && CHART_IDS.monitoring < CHART_IDS.userapi,
    ).toBe(true);
  });
});
