/**
 * Grafana provisioning files as typed data: the Prometheus datasource and the
 * file provider that loads the generated dashboard. Grafana reads both at
 * start-up from /etc/grafana/provisioning/{datasources,dashboards}/.
 */
import { PROMETHEUS_DATASOURCE_UID } from "./contract.js";

export interface DatasourceProvisioning {
  readonly apiVersion: 1;
  readonly datasources: readonly {
    readonly name: string;
    readonly type: "prometheus";
    readonly uid: string;
    readonly access: "proxy";
    readonly url: string;
    readonly isDefault: boolean;
    readonly editable: boolean;
    readonly jsonData: { readonly timeInterval: string; readonly httpMethod: "POST" | "GET" };
  }[];
}

export interface DashboardProvisioning {
  readonly apiVersion: 1;
  readonly providers: readonly {
    readonly name: string;
    readonly orgId: number;
    readonly folder: string;
    readonly type: "file";
    readonly disableDeletion: boolean;
    readonly allowUiUpdates: boolean;
    readonly updateIntervalSeconds: number;
    readonly options: { readonly path: string; readonly foldersFromFilesStructure: boolean };
  }[];
}

export interface DatasourceOptions {
  /** URL Grafana's backend uses to reach Prometheus, e.g. `http://prometheus:9090`. */
  readonly prometheusUrl: string;
  /**
   * Prometheus's scrape interval; Grafana derives `$__rate_interval` from it.
   * @default "15s"
   */
  readonly scrapeInterval?: string;
}

/** datasources.yaml: one Prometheus datasource with the uid the dashboard refers to. */
export function datasourceProvisioning(options: DatasourceOptions): DatasourceProvisioning {
  return {
    apiVersion: 1,
    datasources: [
      {
        name: "Prometheus",
        type: "prometheus",
        uid: PROMETHEUS_DATASOURCE_UID,
        // Grafana's backend queries Prometheus, so the browser needs no route to it.
        access: "proxy",
        url: options.prometheusUrl,
        isDefault: true,
        editable: false,
        jsonData: { timeInterval: options.scrapeInterval ?? "15s", httpMethod: "POST" },
      },
    ],
  };
}

/** dashboards.yaml: load every dashboard JSON file under `dashboardsPath` into the "userapi" folder. */
export function dashboardProvisioning(dashboardsPath: string): DashboardProvisioning {
  return {
    apiVersion: 1,
    providers: [
      {
        name: "userapi",
        orgId: 1,
        folder: "userapi",
        type: "file",
        // The files are generated from TypeScript: changes made in the UI would be lost anyway.
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 30,
        options: { path: dashboardsPath, foldersFromFilesStructure: false },
      },
    ],
  };
}
