import { ApiObject, Chart, JsonPatch } from "cdk8s";
import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { MONITORING_NAMESPACE } from "./lib/labels.js";

/** Props of `MonitoringNamespace`. */
export interface MonitoringNamespaceProps {
  /**
   * Namespace name.
   * @default "monitoring"
   */
  readonly name?: string;
}

/**
 * The namespace of Prometheus and Grafana, outside the mesh: no sidecar
 * injection, because Prometheus scrapes the API through Istio's metrics
 * merging (plain HTTP on the agent port) instead of joining the mesh. With no
 * istio-init container to allow for, Pod Security "restricted" is enforced.
 */
export class MonitoringNamespace extends Construct {
  /** The Namespace resource. */
  public readonly namespace: kplus.Namespace;

  constructor(scope: Construct, id: string, props: MonitoringNamespaceProps = {}) {
    super(scope, id);
    this.namespace = new kplus.Namespace(this, "Namespace", {
      metadata: {
        name: props.name ?? MONITORING_NAMESPACE,
        labels: {
          "istio-injection": "disabled",
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    });
    const apiObject = ApiObject.of(this.namespace);
    // A Namespace is cluster-scoped; the chart's default namespace must not land on it.
    if (Chart.of(this).namespace !== undefined) {
      apiObject.addJsonPatch(JsonPatch.remove("/metadata/namespace"));
    }
    // The server replaces an empty spec with its own finalizers: emit none.
    apiObject.addJsonPatch(JsonPatch.remove("/spec"));
  }
}
