/**
 * Fields a re-apply would fight over. `kubectl apply` compares what it sends
 * with what the server returns; a field the server drops on the way in (an
 * empty list, a `false` or `0` it never stores) or stores in another form
 * (`1024Mi` comes back as `1Gi`) looks changed on every apply, so the object
 * is reported `configured` forever and GitOps tools show a permanent diff.
 * This module removes what cdk8s-plus-27 writes anyway, and lists the rules
 * test/manifests-reapply.test.ts checks on every object in dist/.
 */
import { type ApiObject, JsonPatch } from "cdk8s";
import { canonicalBytes, canonicalCpu } from "./quantities.js";

/**
 * What cdk8s-plus-27 writes although it only restates a default:
 * `externalIPs: []` and `minReadySeconds: 0`, `hostNetwork: false` are
 * dropped by the server (Go `omitempty` fields); `setHostnameAsFQDN: false`
 * is kept by it (a pointer) but is noise nobody chose. Paths address the L1
 * object's props, which spell that field `setHostnameAsFqdn`.
 */
const CDK8S_PLUS_RESTATED: Readonly<Record<string, readonly string[]>> = Object.freeze({
  Deployment: [
    "/spec/minReadySeconds",
    "/spec/template/spec/hostNetwork",
    "/spec/template/spec/setHostnameAsFqdn",
  ],
  Service: ["/spec/externalIPs"],
});

/** Removes from a cdk8s-plus Deployment or Service the defaults it restates. */
export function omitRestatedDefaults(apiObject: ApiObject): void {
  for (const path of CDK8S_PLUS_RESTATED[apiObject.kind] ?? []) {
    apiObject.addJsonPatch(JsonPatch.remove(path));
  }
}

/**
 * Zero values of core Kubernetes fields declared `omitempty` without a
 * pointer: the server cannot tell them from "unset" and never returns them.
 * (Fields with a pointer type, such as `automountServiceAccountToken: false`
 * or a probe's `successThreshold`, are stored and returned as sent.)
 */
export const SERVER_DROPPED_VALUES: Readonly<Record<string, unknown>> = Object.freeze({
  minReadySeconds: 0, // Deployment, StatefulSet, DaemonSet, ReplicaSet spec
  paused: false, // Deployment spec
  hostNetwork: false, // PodSpec
  hostPID: false, // PodSpec
  hostIPC: false, // PodSpec
  stdin: false, // Container
  stdinOnce: false, // Container
  tty: false, // Container
  hostPort: 0, // ContainerPort
  readOnly: false, // VolumeMount and volume sources
  initialDelaySeconds: 0, // Probe
  publishNotReadyAddresses: false, // ServiceSpec
});

/**
 * Empty lists and objects the server does keep: a NetworkPolicy's
 * `podSelector: {}` (required; selects every pod) and an `emptyDir: {}`
 * volume source (its presence is the volume's type).
 */
const KEPT_EMPTY_KEYS = new Set(["podSelector", "emptyDir"]);

/** Keys whose values are Kubernetes CPU or byte quantities. */
const CPU_KEYS = new Set(["cpu"]);
const BYTE_KEYS = new Set(["memory", "storage", "sizeLimit", "ephemeral-storage"]);

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A quantity that the server would return in another form, or undefined when it is canonical. */
function nonCanonical(key: string, value: Json): string | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  const text = String(value);
  try {
    const canonical = CPU_KEYS.has(key)
      ? canonicalCpu(text)
      : BYTE_KEYS.has(key)
        ? canonicalBytes(text)
        : text;
    return canonical === text ? undefined : `is returned by the server as ${canonical}`;
  } catch {
    return "is not a quantity form this check knows (use m or a whole number for CPU, Mi/Gi/Ti for sizes)";
  }
}

/**
 * Every field of a core Kubernetes object that a re-apply would report as
 * changed: empty lists and objects (except KEPT_EMPTY_KEYS), the dropped
 * zero values above, and quantities not in canonical form. Istio's custom
 * resources are stored as sent and are skipped. Messages name the JSON path.
 */
export function reapplyDiffs(doc: Record<string, Json>): string[] {
  if (typeof doc.apiVersion === "string" && doc.apiVersion.includes(".istio.io/")) return [];
  const problems: string[] = [];
  const walk = (value: Json, path: string, key: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) problems.push(`${path}: empty list (the server drops it)`);
      for (const [index, item] of value.entries()) walk(item, `${path}[${index}]`, key);
      return;
    }
    if (isObject(value)) {
      const entries = Object.entries(value);
      if (entries.length === 0 && !KEPT_EMPTY_KEYS.has(key)) {
        problems.push(`${path}: empty object (the server drops or replaces it)`);
      }
      // ConfigMap and Secret payloads are opaque strings, not API fields.
      if (path === "data" || path === "stringData") return;
      for (const [childKey, child] of entries) {
        const childPath = path === "" ? childKey : `${path}.${childKey}`;
        if (childKey in SERVER_DROPPED_VALUES && SERVER_DROPPED_VALUES[childKey] === child) {
          problems.push(`${childPath}: ${String(child)} is the default the server drops`);
        }
        const quantity = nonCanonical(childKey, child);
        if (quantity !== undefined && (CPU_KEYS.has(childKey) || BYTE_KEYS.has(childKey))) {
          problems.push(`${childPath}: ${String(child)} ${quantity}`);
        }
        walk(child, childPath, childKey);
      }
    }
  };
  walk(doc, "", "");
  return problems;
}
