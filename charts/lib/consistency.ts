/**
 * Cross-object consistency rules over a set of manifests: what `istioctl
 * analyze` and kube-score would report, offline. Each function returns the
 * violations as readable strings (empty when the manifests are consistent),
 * so the dist/ test asserts `[]` and the unit tests break one rule at a time.
 */
import {
  containersOf,
  idOf,
  imagesOf,
  isPinnedImage,
  type Manifest,
  matchesLabels,
  podTemplateOf,
  restrictedViolations,
} from "./checks.js";
import { routeShadows } from "./istio-routing.js";

// Manifests are loosely typed JSON; these rules read them field by field.
// biome-ignore lint/suspicious/noExplicitAny: see above
type Doc = any;

interface Workload {
  readonly doc: Doc;
  readonly labels: Record<string, string>;
  readonly spec: Doc;
}

const ns = (doc: Manifest): string => doc.metadata.namespace ?? "default";
const ofKind = (docs: readonly Doc[], kind: string): Doc[] => docs.filter((d) => d.kind === kind);

function workloadsOf(docs: readonly Doc[]): Workload[] {
  return docs.flatMap((doc) => {
    const template = podTemplateOf(doc);
    if (template === undefined) return [];
    return [
      {
        doc,
        labels: (template.metadata.labels ?? {}) as Record<string, string>,
        spec: template.spec,
      },
    ];
  });
}

function selectedPods(
  docs: readonly Doc[],
  selector: Record<string, string> | undefined,
  namespace: string,
) {
  return workloadsOf(docs).filter(
    (w) => ns(w.doc) === namespace && selector !== undefined && matchesLabels(selector, w.labels),
  );
}

/** The Service behind an Istio host: a short name (same namespace) or `name.ns.svc.cluster.local`. */
function serviceForHost(
  docs: readonly Doc[],
  host: string,
  fromNamespace: string,
): Doc | undefined {
  const fqdn = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(host);
  const [name, namespace] = fqdn ? [fqdn[1], fqdn[2]] : [host, fromNamespace];
  if (!fqdn && host.includes(".")) return undefined;
  return ofKind(docs, "Service").find((s) => s.metadata.name === name && ns(s) === namespace);
}

/** Kubernetes wants each namespace created before the objects in it (apply order = list order). */
export function orderViolations(docs: readonly Doc[]): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const doc of docs) {
    if (doc.kind === "Namespace") seen.add(doc.metadata.name);
    else if (doc.metadata.namespace !== undefined && !seen.has(doc.metadata.namespace)) {
      problems.push(`${idOf(doc)}: namespace ${doc.metadata.namespace} is not created before it`);
    }
  }
  const ids = docs.map(idOf);
  for (const id of new Set(ids.filter((id, index) => ids.indexOf(id) !== index))) {
    problems.push(`${id}: defined more than once`);
  }
  for (const secret of ofKind(docs, "Secret")) {
    if (secret.data !== undefined || secret.stringData !== undefined) {
      problems.push(`${idOf(secret)}: a Secret with literal data`);
    }
  }
  return problems;
}

/** Restricted profile, pinned images, resources, probes and port names of every pod. */
export function podViolations(docs: readonly Doc[]): string[] {
  return workloadsOf(docs).flatMap(({ doc, labels, spec }) => {
    const id = idOf(doc);
    const problems = restrictedViolations(spec).map((p) => `${id}: ${p}`);
    for (const image of imagesOf(spec)) {
      if (!isPinnedImage(image)) problems.push(`${id}: image ${image} is not pinned to a version`);
    }
    for (const container of containersOf(spec) as Doc[]) {
      for (const kind of ["requests", "limits"]) {
        for (const resource of ["cpu", "memory"]) {
          if (container.resources?.[kind]?.[resource] === undefined) {
            problems.push(`${id}: container ${container.name} has no ${kind}.${resource}`);
          }
        }
      }
      for (const port of container.ports ?? []) {
        if (typeof port.name === "string" && port.name.length > 15) {
          problems.push(`${id}: port name ${port.name} is longer than 15 characters`);
        }
      }
    }
    for (const container of (spec.containers ?? []) as Doc[]) {
      if (container.livenessProbe === undefined || container.readinessProbe === undefined) {
        problems.push(`${id}: container ${container.name} needs liveness and readiness probes`);
      } else if (
        JSON.stringify(container.livenessProbe) === JSON.stringify(container.readinessProbe)
      ) {
        problems.push(
          `${id}: container ${container.name} has identical liveness and readiness probes`,
        );
      }
    }
    const selector = doc.spec?.selector?.matchLabels;
    if (doc.kind !== "Pod" && (selector === undefined || !matchesLabels(selector, labels))) {
      problems.push(`${id}: selector does not match its pod template`);
    }
    return problems;
  });
}

/** HPAs own replicas; replicated workloads have a PDB and spread over nodes. */
export function scalingViolations(docs: readonly Doc[]): string[] {
  const problems: string[] = [];
  const autoscaled = new Set<Doc>();
  for (const hpa of ofKind(docs, "HorizontalPodAutoscaler")) {
    const ref = hpa.spec.scaleTargetRef;
    const target = docs.find(
      (d) => d.kind === ref.kind && d.metadata.name === ref.name && ns(d) === ns(hpa),
    );
    if (target === undefined) {
      problems.push(`${idOf(hpa)}: target ${ref.kind}/${ref.name} does not exist`);
      continue;
    }
    autoscaled.add(target);
    if (target.spec.replicas !== undefined) {
      problems.push(`${idOf(target)}: sets spec.replicas although ${idOf(hpa)} scales it`);
    }
    if ((hpa.spec.minReplicas ?? 1) > hpa.spec.maxReplicas) {
      problems.push(`${idOf(hpa)}: minReplicas above maxReplicas`);
    }
  }
  for (const { doc, labels, spec } of workloadsOf(docs)) {
    if (doc.kind === "Pod" || !(autoscaled.has(doc) || (doc.spec.replicas ?? 1) >= 2)) continue;
    const pdb = ofKind(docs, "PodDisruptionBudget").find(
      (p) => ns(p) === ns(doc) && matchesLabels(p.spec.selector?.matchLabels ?? {}, labels),
    );
    if (pdb === undefined) problems.push(`${idOf(doc)}: replicated but no PodDisruptionBudget`);
    const spreads = (spec.topologySpreadConstraints ?? []).some(
      (c: Doc) => c.topologyKey === "kubernetes.io/hostname",
    );
    if (!spreads && spec.affinity?.podAntiAffinity === undefined) {
      problems.push(`${idOf(doc)}: replicated but not spread across nodes`);
    }
  }
  for (const pdb of ofKind(docs, "PodDisruptionBudget")) {
    if (selectedPods(docs, pdb.spec.selector?.matchLabels, ns(pdb)).length === 0) {
      problems.push(`${idOf(pdb)}: selects no pods`);
    }
  }
  return problems;
}

const ISTIO_PORT_NAME = /^(http|http2|https|grpc|grpc-web|tcp|tls|mongo|mysql|redis)(-|$)/;

/** Services select pods, target their ports, and name ports for Istio. */
export function serviceViolations(docs: readonly Doc[]): string[] {
  return ofKind(docs, "Service").flatMap((service) => {
    const id = idOf(service);
    const pods = selectedPods(docs, service.spec.selector, ns(service));
    if (pods.length === 0) return [`${id}: selector matches no pod template`];
    const problems: string[] = [];
    for (const port of service.spec.ports ?? []) {
      if (!ISTIO_PORT_NAME.test(port.name ?? "")) {
        problems.push(
          `${id}: port ${port.port} name ${String(port.name)} has no Istio protocol prefix`,
        );
      }
      const target = port.targetPort ?? port.port;
      for (const { doc, spec } of pods) {
        const ports = (spec.containers as Doc[]).flatMap((c) => c.ports ?? []);
        const found = ports.some((p: Doc) =>
          typeof target === "number" ? p.containerPort === target : p.name === target,
        );
        if (!found)
          problems.push(`${id}: targetPort ${target} is not a container port of ${idOf(doc)}`);
      }
    }
    return problems;
  });
}

/** What `istioctl analyze` would flag in Gateways, VirtualServices, DestinationRules and policies. */
export function istioViolations(docs: readonly Doc[]): string[] {
  const problems: string[] = [];
  const rules = ofKind(docs, "DestinationRule");
  for (const vs of ofKind(docs, "VirtualService")) {
    const id = idOf(vs);
    const hosts: string[] = vs.spec.hosts ?? [];
    for (const ref of (vs.spec.gateways ?? []) as string[]) {
      if (ref === "mesh") {
        if (hosts.includes("*")) problems.push(`${id}: host * is not allowed on the mesh gateway`);
        for (const host of hosts.filter(
          (h) => h.includes(".") && !h.endsWith(".svc.cluster.local"),
        )) {
          problems.push(`${id}: mesh host ${host} with a dot must be a full service name`);
        }
        continue;
      }
      const [gwNamespace, gwName] = ref.includes("/") ? ref.split("/") : [ns(vs), ref];
      const gateway = ofKind(docs, "Gateway").find(
        (g) => g.metadata.name === gwName && ns(g) === gwNamespace,
      );
      if (gateway === undefined) {
        problems.push(`${id}: gateway ${ref} does not exist`);
        continue;
      }
      const gatewayHosts: string[] = gateway.spec.servers.flatMap((s: Doc) => s.hosts);
      if (!hosts.some((h) => gatewayHosts.includes("*") || gatewayHosts.includes(h))) {
        problems.push(`${id}: no host overlaps gateway ${ref}`);
      }
    }
    const http: Doc[] = vs.spec.http ?? [];
    http.forEach((route, index) => {
      const name = `${id} route ${route.name ?? index}`;
      if (route.match === undefined && index !== http.length - 1) {
        problems.push(`${name}: a catch-all route must come last`);
      }
      // Envoy takes the first route that matches: a later route whose every
      // match an earlier one covers (a header route after the split) never runs.
      const shadow = http.slice(0, index).find((earlier) => routeShadows(earlier, route));
      if (shadow !== undefined && shadow.match !== undefined) {
        problems.push(
          `${name}: never matches, route ${shadow.name ?? http.indexOf(shadow)} before it matches every request it matches`,
        );
      }
      for (const match of route.match ?? []) {
        for (const header of Object.keys(match.headers ?? {})) {
          if (header !== header.toLowerCase())
            problems.push(`${name}: header ${header} is not lowercase`);
        }
      }
      const destinations: Doc[] = route.route ?? [];
      const total = destinations.reduce((sum, r) => sum + (r.weight ?? 0), 0);
      const single = destinations.length === 1 && destinations[0].weight === undefined;
      if (!single && total !== 100) problems.push(`${name}: weights sum to ${total}, not 100`);
      for (const { destination } of destinations) {
        const service = serviceForHost(docs, destination.host, ns(vs));
        if (service === undefined) {
          problems.push(`${name}: host ${destination.host} is not a Service here`);
          continue;
        }
        const port = destination.port?.number;
        if (port !== undefined && !service.spec.ports.some((p: Doc) => p.port === port)) {
          problems.push(`${name}: ${destination.host} has no port ${port}`);
        }
        if (destination.subset === undefined) continue;
        const rule = rules.find((r) => serviceForHost(docs, r.spec.host, ns(r)) === service);
        const subset = rule?.spec.subsets?.find((s: Doc) => s.name === destination.subset);
        if (subset === undefined) {
          problems.push(
            `${name}: subset ${destination.subset} is in no DestinationRule for ${destination.host}`,
          );
          continue;
        }
        const pods = selectedPods(
          docs,
          { ...service.spec.selector, ...subset.labels },
          ns(service),
        );
        if (pods.length === 0)
          problems.push(`${name}: subset ${destination.subset} matches no pods of the Service`);
      }
    });
  }
  for (const rule of rules) {
    if (serviceForHost(docs, rule.spec.host, ns(rule)) === undefined) {
      problems.push(`${idOf(rule)}: host ${rule.spec.host} is not a Service here`);
    }
  }
  for (const policy of ofKind(docs, "AuthorizationPolicy")) {
    problems.push(...authorizationViolations(docs, policy));
  }
  return problems;
}

function authorizationViolations(docs: readonly Doc[], policy: Doc): string[] {
  const id = idOf(policy);
  const selector = policy.spec.selector?.matchLabels;
  if (selector === undefined) return [];
  const pods = selectedPods(docs, selector, ns(policy));
  if (pods.length === 0) return [`${id}: selects no pods`];
  const problems: string[] = [];
  const services = ofKind(docs, "Service").filter(
    (s) => ns(s) === ns(policy) && pods.some((p) => matchesLabels(s.spec.selector ?? {}, p.labels)),
  );
  const tcpOnly =
    services.length > 0 &&
    services.every((s) => s.spec.ports.every((p: Doc) => p.name.startsWith("tcp")));
  for (const rule of policy.spec.rules ?? []) {
    for (const from of rule.from ?? []) {
      for (const principal of (from.source?.principals ?? []) as string[]) {
        const match = /^cluster\.local\/ns\/([^/]+)\/sa\/([^/]+)$/.exec(principal);
        if (match === null) {
          problems.push(`${id}: principal ${principal} is not cluster.local/ns/<ns>/sa/<name>`);
          continue;
        }
        const [, namespace, account] = match;
        const local = docs.some((d) => d.kind === "Namespace" && d.metadata.name === namespace);
        const runs = workloadsOf(docs).some(
          (w) => ns(w.doc) === namespace && w.spec.serviceAccountName === account,
        );
        if (local && !runs) problems.push(`${id}: no pod runs as ${principal}`);
      }
    }
    if (tcpOnly) {
      // HTTP attributes on a TCP workload make an ALLOW rule never match.
      for (const to of rule.to ?? []) {
        const http = Object.keys(to.operation ?? {}).filter(
          (k) => k !== "ports" && k !== "notPorts",
        );
        if (http.length > 0)
          problems.push(`${id}: HTTP fields ${http.join(", ")} on a TCP workload`);
      }
      if (rule.when !== undefined) problems.push(`${id}: conditions on a TCP workload`);
    }
  }
  return problems;
}

/** NetworkPolicies that name pods must find them. */
export function networkPolicyViolations(docs: readonly Doc[]): string[] {
  return ofKind(docs, "NetworkPolicy").flatMap((policy) => {
    const selector = policy.spec.podSelector?.matchLabels;
    if (selector === undefined) return [];
    return selectedPods(docs, selector, ns(policy)).length === 0
      ? [`${idOf(policy)}: selects no pods`]
      : [];
  });
}

/** Every rule above, in one list. */
export function consistencyViolations(docs: readonly Doc[]): string[] {
  return [
    ...orderViolations(docs),
    ...podViolations(docs),
    ...scalingViolations(docs),
    ...serviceViolations(docs),
    ...istioViolations(docs),
    ...networkPolicyViolations(docs),
  ];
}
