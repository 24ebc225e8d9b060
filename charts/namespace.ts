import * as kplus from "cdk8s-plus-27";
import { Construct } from "constructs";
import { NAMESPACE } from "./lib/labels.js";

/** Props of `UserapiNamespace`. */
export interface UserapiNamespaceProps {
  /**
   * Namespace name.
   * @default "userapi"
   */
  readonly name?: string;
}

/**
 * The namespace of the API and Redis, labelled for Istio sidecar injection.
 * Pod Security "restricted" is warned and audited, not enforced: Istio's
 * injected `istio-init` container needs NET_ADMIN unless Istio runs its CNI
 * plugin, while every pod template here passes restricted on its own.
 */
export class UserapiNamespace extends Construct {
  /** The Namespace resource. */
  public readonly namespace: kplus.Namespace;

  constructor(scope: Construct, id: string, props: UserapiNamespaceProps = {}) {
    super(scope, id);
    this.namespace = new kplus.Namespace(this, "Namespace", {
      metadata: {
        name: props.name ?? NAMESPACE,
        labels: {
          "istio-injection": "enabled",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    });
  }
}
