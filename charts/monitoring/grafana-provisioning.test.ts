import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { dashboardProvisioning, datasourceProvisioning } from "./grafana-provisioning.js";
import { toYaml } from "./render.js";

describe("datasourceProvisioning", () => {
  it("provisions one default Prometheus datasource, proxied through Grafana's backend", () => {
    const file = datasourceProvisioning({ prometheusUrl: "http://prometheus:9090" });
    expect(file.apiVersion).toBe(1);
    expect(file.datasources).toEqual([
      {
        name: "Prometheus",
        type: "prometheus",
        uid: "prometheus",
        access: "proxy",
        url: "http://prometheus:9090",
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: "15s", httpMethod: "POST" },
      },
    ]);
  });

  it("passes the scrape interval on, so $__rate_interval covers enough samples", () => {
    const file = datasourceProvisioning({ prometheusUrl: "http://p:9090", scrapeInterval: "30s" });
    expect(file.datasources[0]?.jsonData.timeInterval).toBe("30s");
  });
});

describe("dashboardProvisioning", () => {
  it("loads dashboards from the given directory, read-only", () => {
    const file = dashboardProvisioning("/var/lib/grafana-dashboards/userapi");
    expect(file.providers).toHaveLength(1);
    expect(file.providers[0]).toMatchObject({
      type: "file",
      folder: "userapi",
      disableDeletion: true,
      allowUiUpdates: false,
      options: { path: "/var/lib/grafana-dashboards/userapi", foldersFromFilesStructure: false },
    });
  });

  it("round-trips through YAML unchanged", () => {
    const file = dashboardProvisioning("/d");
    expect(parse(toYaml(file))).toEqual(file);
  });
});
