/**
 * Pod Security Standard "restricted" contexts, written out in full so a
 * reviewer sees every field in the diff. Use the L1 objects directly with
 * `k8s.Kube*` workloads; for cdk8s-plus workloads (which cannot express
 * seccomp or `drop: [ALL]`) call `applyRestrictedSecurity` on the ApiObject.
 */
import { type ApiObject, JsonPatch } from "cdk8s";
import type { k8s } from "cdk8s-plus-27";

/** Numeric identity of a pod. Never 0 and never 1337 (Istio's sidecar uid). */
export interface PodIdentity {
  /** runAsUser. */
  readonly uid: number;
  /** runAsGroup. */
  readonly gid: number;
  /**
   * fsGroup: group ownership applied to mounted volumes (needed to write a PVC).
   * @default - no fsGroup
   */
  readonly fsGroup?: number;
}

/** The API image's user (Dockerfile: `USER 10001:10001`). */
export const API_IDENTITY: PodIdentity = Object.freeze({ uid: 10001, gid: 10001, fsGroup: 10001 });

/**
 * Redis's identity. Redis needs no passwd entry, so it runs above 10000 (clear
 * of host users, as kube-score asks) rather than as the image's uid 999;
 * fsGroup gives it its PVC.
 */
export const REDIS_IDENTITY: PodIdentity = Object.freeze({
  uid: 10002,
  gid: 10002,
  fsGroup: 10002,
});

const RESERVED_UIDS = new Set([0, 1337]);

function checkIdentity(identity: PodIdentity): void {
  for (const id of [identity.uid, identity.gid]) {
    if (!Number.isInteger(id) || id < 1 || RESERVED_UIDS.has(id)) {
      throw new Error(`pod uid/gid must be a positive integer other than 1337, got ${id}`);
    }
  }
}

/** Pod-level restricted context: non-root numeric ids and RuntimeDefault seccomp. */
export function restrictedPodSecurityContext(identity: PodIdentity): k8s.PodSecurityContext {
  checkIdentity(identity);
  return {
    runAsNonRoot: true,
    runAsUser: identity.uid,
    runAsGroup: identity.gid,
    ...(identity.fsGroup === undefined
      ? {}
      : { fsGroup: identity.fsGroup, fsGroupChangePolicy: "OnRootMismatch" }),
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Options for `restrictedContainerSecurityContext`. */
export interface ContainerSecurityOptions {
  /**
   * Mount the image read-only; writable paths come from volumes.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
}

/** Container-level restricted context (repeats the pod's ids so each container stands alone). */
export function restrictedContainerSecurityContext(
  identity: PodIdentity,
  options: ContainerSecurityOptions = {},
): k8s.SecurityContext {
  checkIdentity(identity);
  return {
    runAsNonRoot: true,
    runAsUser: identity.uid,
    runAsGroup: identity.gid,
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: options.readOnlyRootFilesystem ?? true,
    capabilities: { drop: ["ALL"] },
    seccompProfile: { type: "RuntimeDefault" },
  };
}

/** Where `applyRestrictedSecurity` finds the pod spec and how many containers it has. */
export interface RestrictedPatchOptions {
  /**
   * JSON pointer of the pod spec inside the object.
   * @default "/spec/template/spec"
   */
  readonly podSpecPath?: string;
  /** Number of (regular) containers in the pod spec. */
  readonly containers: number;
}

/**
 * Overwrites the pod and container security contexts of a cdk8s-plus
 * workload with the restricted ones above (cdk8s-plus-27 has no seccomp
 * field and no `ALL` capability).
 */
export function applyRestrictedSecurity(
  apiObject: ApiObject,
  identity: PodIdentity,
  options: RestrictedPatchOptions,
): void {
  const podSpec = options.podSpecPath ?? "/spec/template/spec";
  apiObject.addJsonPatch(
    JsonPatch.add(`${podSpec}/securityContext`, restrictedPodSecurityContext(identity)),
  );
  for (let index = 0; index < options.containers; index++) {
    apiObject.addJsonPatch(
      JsonPatch.add(
        `${podSpec}/containers/${index}/securityContext`,
        restrictedContainerSecurityContext(identity),
      ),
    );
  }
}
