import { ApiObject, JsonPatch } from "cdk8s";
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
 * The namespace of the API and Redis, labelled for Istio sidecar injection,
 * enforcing Pod Security "restricted". That needs Istio's CNI plugin (the
 * install in scripts/ turns it on): it sets up the pod's traffic redirection
 * itself, so the injected pods carry no `istio-init` container with
 * NET_ADMIN and root, only containers that run as uid 1337 with every
 * capability dropped, under the pod's RuntimeDefault seccomp profile.
 * Without the CNI plugin the API pods are rejected at creation.
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
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
        },
      },
    });
    // The server replaces an empty spec with its own finalizers: emit none.
    ApiObject.of(this.namespace).addJsonPatch(JsonPatch.remove("/spec"));
  }
}
