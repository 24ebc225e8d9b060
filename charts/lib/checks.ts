/**
 * Offline manifest checks: the rules `istioctl analyze`, kube-score and the
 * Pod Security admission would apply, as pure functions over parsed YAML.
 * Used by the tests in test/manifests-*.test.ts on every dist/ document.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";

/** A parsed Kubernetes object (loosely typed: the schema test checks types). */
export interface Manifest {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; [k: string]: unknown };
  readonly [key: string]: unknown;
}

/** One document of one file in a manifests directory. */
export interface ManifestEntry {
  readonly file: string;
  readonly doc: Manifest;
}

/** Reads every `.yaml` file of `dir` in name order (as `kubectl apply -f dir` does). */
export function readManifests(dir: string): ManifestEntry[] {
  const files = readdirSync(dir)
    .filter((name) => /\.ya?ml$/.test(name))
    .sort();
  return files.flatMap((file) =>
    parseAllDocuments(readFileSync(join(dir, file), "utf8")).map((document) => {
      if (document.errors.length > 0) {
        throw new Error(`${file}: ${document.errors.map((e) => e.message).join("; ")}`);
      }
      return { file, doc: document.toJS() as Manifest };
    }),
  );
}

/** `Kind/namespace/name`, for messages. */
export function idOf(doc: Manifest): string {
  return `${doc.kind}/${doc.metadata.namespace ?? "-"}/${doc.metadata.name}`;
}

type Json = Record<string, unknown>;

function asObject(value: unknown): Json {
  return typeof value === "object" && value !== null ? (value as Json) : {};
}

function asArray(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(asObject) : [];
}

/** Pod template (metadata + spec) of a workload, or undefined for other kinds. */
export function podTemplateOf(doc: Manifest): { metadata: Json; spec: Json } | undefined {
  const spec = asObject(doc.spec);
  switch (doc.kind) {
    case "Pod":
      return { metadata: asObject(doc.metadata), spec };
    case "Deployment":
    case "StatefulSet":
    case "DaemonSet":
    case "ReplicaSet":
    case "Job": {
      const template = asObject(spec.template);
      return { metadata: asObject(template.metadata), spec: asObject(template.spec) };
    }
    case "CronJob": {
      const template = asObject(asObject(asObject(spec.jobTemplate).spec).template);
      return { metadata: asObject(template.metadata), spec: asObject(template.spec) };
    }
    default:
      return undefined;
  }
}

/** Every container of a pod spec, init and ephemeral containers included. */
export function containersOf(podSpec: Json): Json[] {
  return [
    ...asArray(podSpec.initContainers),
    ...asArray(podSpec.containers),
    ...asArray(podSpec.ephemeralContainers),
  ];
}

const ALLOWED_VOLUME_TYPES = new Set([
  "configMap",
  "csi",
  "downwardAPI",
  "emptyDir",
  "ephemeral",
  "persistentVolumeClaim",
  "projected",
  "secret",
]);

/**
 * Violations of Pod Security Standard "restricted" (and baseline, which it
 * includes) in a pod spec; empty when the pod passes. Messages name the
 * container and field.
 */
export function restrictedViolations(podSpec: Json): string[] {
  const problems: string[] = [];
  const pod = asObject(podSpec.securityContext);
  for (const flag of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (podSpec[flag] === true) problems.push(`pod: ${flag} must not be true`);
  }
  for (const volume of asArray(podSpec.volumes)) {
    const types = Object.keys(volume).filter((key) => key !== "name");
    for (const type of types) {
      if (!ALLOWED_VOLUME_TYPES.has(type)) {
        problems.push(`volume ${String(volume.name)}: type ${type} is not allowed`);
      }
    }
  }
  if (pod.runAsUser === 0) problems.push("pod: runAsUser must not be 0");
  const podSeccomp = asObject(pod.seccompProfile).type;
  if (podSeccomp !== undefined && podSeccomp !== "RuntimeDefault" && podSeccomp !== "Localhost") {
    problems.push(`pod: seccompProfile.type ${String(podSeccomp)} is not allowed`);
  }
  for (const container of containersOf(podSpec)) {
    const name = `container ${String(container.name)}`;
    const sc = asObject(container.securityContext);
    if (sc.privileged === true) problems.push(`${name}: privileged must not be true`);
    if (sc.allowPrivilegeEscalation !== false) {
      problems.push(`${name}: allowPrivilegeEscalation must be false`);
    }
    const caps = asObject(sc.capabilities);
    const drop = Array.isArray(caps.drop) ? caps.drop : [];
    if (!drop.includes("ALL")) problems.push(`${name}: capabilities.drop must include ALL`);
    const add = Array.isArray(caps.add) ? caps.add : [];
    for (const cap of add) {
      if (cap !== "NET_BIND_SERVICE") problems.push(`${name}: capability ${String(cap)} added`);
    }
    const runAsNonRoot = sc.runAsNonRoot ?? pod.runAsNonRoot;
    if (runAsNonRoot !== true) problems.push(`${name}: runAsNonRoot must be true`);
    const runAsUser = sc.runAsUser ?? pod.runAsUser;
    if (typeof runAsUser !== "number" || runAsUser === 0) {
      problems.push(`${name}: runAsUser must be a non-zero number (images may name a user)`);
    }
    const seccomp = asObject(sc.seccompProfile).type ?? podSeccomp;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      problems.push(`${name}: seccompProfile.type must be RuntimeDefault or Localhost`);
    }
    for (const port of asArray(container.ports)) {
      if (port.hostPort !== undefined && port.hostPort !== 0) {
        problems.push(`${name}: hostPort must not be set`);
      }
    }
  }
  return problems;
}

/** True when every key/value of `selector` is in `labels` (a matchLabels match). */
export function matchesLabels(
  selector: Readonly<Record<string, string>>,
  labels: Readonly<Record<string, unknown>>,
): boolean {
  const entries = Object.entries(selector);
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/** Image references of every container of a pod spec. */
export function imagesOf(podSpec: Json): string[] {
  return containersOf(podSpec).map((container) => String(container.image));
}

/** True when an image reference is pinned by a version tag (or a digest), not `latest`. */
export function isPinnedImage(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const lastSegment = image.split("/").at(-1) ?? "";
  const colon = lastSegment.lastIndexOf(":");
  if (colon < 0) return false;
  const tag = lastSegment.slice(colon + 1);
  return tag !== "" && tag !== "latest";
}

/** The one object of `kind` named `name` in `docs`; throws when absent or repeated. */
export function findManifest<T = Json>(docs: readonly unknown[], kind: string, name: string): T {
  const found = docs.filter((doc) => {
    const object = asObject(doc);
    return object.kind === kind && asObject(object.metadata).name === name;
  });
  if (found.length !== 1) throw new Error(`expected one ${kind}/${name}, found ${found.length}`);
  return found[0] as T;
}
