// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON; each case edits one field
import { Chart, Testing } from "cdk8s";
import { describe, expect, it } from "vitest";
import { DEFAULTS } from "../config.js";
import { UserapiNamespace } from "../namespace.js";
import { UserapiChart } from "../userapi-chart.js";
import { findManifest } from "./checks.js";
import {
  consistencyViolations,
  istioViolations,
  networkPolicyViolations,
  orderViolations,
  podViolations,
  scalingViolations,
  serviceViolations,
} from "./consistency.js";

/** The default manifests, in apply order, as plain JSON. */
function manifests(): any[] {
  const app = Testing.app();
  const namespace = new Chart(app, "ns");
  new UserapiNamespace(namespace, "Namespace");
  const userapi = new UserapiChart(app, "userapi", { config: DEFAULTS });
  return structuredClone([...Testing.synth(namespace), ...Testing.synth(userapi)]);
}

function broken(edit: (docs: any[]) => void): any[] {
  const docs = manifests();
  edit(docs);
  return docs;
}

const get = (docs: any[], kind: string, name: string) => findManifest<any>(docs, kind, name);

describe("consistencyViolations", () => {
  it("finds nothing wrong with the default manifests", () => {
    expect(consistencyViolations(manifests())).toEqual([]);
  });
});

describe("orderViolations", () => {
  it("flags an object listed before its namespace", () => {
    const docs = manifests();
    docs.push(docs.shift());
    expect(orderViolations(docs)).toContain(
      "ServiceAccount/userapi/redis: namespace userapi is not created before it",
    );
  });

  it("flags duplicates and Secrets with literal data", () => {
    const docs = manifests();
    docs.push(docs[1], {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "s", namespace: "userapi" },
      data: { a: "Yg==" },
    });
    expect(orderViolations(docs)).toEqual([
      "ServiceAccount/userapi/redis: defined more than once",
      "Secret/userapi/s: a Secret with literal data",
    ]);
  });
});

describe("podViolations", () => {
  it("flags a floating image, missing limits, equal probes and a broken selector", () => {
    const docs = broken((d) => {
      const spec = get(d, "Deployment", "userapi-v1").spec;
      const container = spec.template.spec.containers[0];
      container.image = "ghcr.io/userapi-dev/userapi:latest";
      delete container.resources.limits.memory;
      container.readinessProbe = container.livenessProbe;
      spec.selector.matchLabels.version = "v2";
    });
    expect(podViolations(docs)).toEqual([
      "Deployment/userapi/userapi-v1: image ghcr.io/userapi-dev/userapi:latest is not pinned to a version",
      "Deployment/userapi/userapi-v1: container userapi has no limits.memory",
      "Deployment/userapi/userapi-v1: container userapi has identical liveness and readiness probes",
      "Deployment/userapi/userapi-v1: selector does not match its pod template",
    ]);
  });

  it("flags a pod that breaks the restricted profile", () => {
    const docs = broken((d) => {
      get(
        d,
        "StatefulSet",
        "redis",
      ).spec.template.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    });
    expect(podViolations(docs)).toEqual([
      "StatefulSet/userapi/redis: container redis: allowPrivilegeEscalation must be false",
    ]);
  });
});

describe("scalingViolations", () => {
  it("flags replicas on an autoscaled Deployment, a missing PDB and no spread", () => {
    const docs = broken((d) => {
      const deployment = get(d, "Deployment", "userapi-v2");
      deployment.spec.replicas = 3;
      delete deployment.spec.template.spec.topologySpreadConstraints;
      d.splice(d.indexOf(get(d, "PodDisruptionBudget", "userapi-v2")), 1);
    });
    expect(scalingViolations(docs)).toEqual([
      "Deployment/userapi/userapi-v2: sets spec.replicas although HorizontalPodAutoscaler/userapi/userapi-v2 scales it",
      "Deployment/userapi/userapi-v2: replicated but no PodDisruptionBudget",
      "Deployment/userapi/userapi-v2: replicated but not spread across nodes",
    ]);
  });

  it("flags an autoscaler without a target", () => {
    const docs = broken((d) => {
      get(d, "HorizontalPodAutoscaler", "userapi-v1").spec.scaleTargetRef.name = "userapi-v3";
    });
    expect(scalingViolations(docs)).toContain(
      "HorizontalPodAutoscaler/userapi/userapi-v1: target Deployment/userapi-v3 does not exist",
    );
  });
});

describe("serviceViolations", () => {
  it("flags a wrong target port, a port name without protocol and a selector that matches nothing", () => {
    const docs = broken((d) => {
      const api = get(d, "Service", "userapi");
      api.spec.ports[0].targetPort = 9090;
      api.spec.ports[0].name = "web";
      get(d, "Service", "redis-headless").spec.selector = { app: "valkey" };
    });
    expect(serviceViolations(docs)).toEqual([
      "Service/userapi/redis-headless: selector matches no pod template",
      "Service/userapi/userapi: port 80 name web has no Istio protocol prefix",
      "Service/userapi/userapi: targetPort 9090 is not a container port of Deployment/userapi/userapi-v1",
      "Service/userapi/userapi: targetPort 9090 is not a container port of Deployment/userapi/userapi-v2",
    ]);
  });
});

describe("istioViolations", () => {
  it("flags a missing gateway, a wrong weight sum and an unknown subset", () => {
    const docs = broken((d) => {
      const vs = get(d, "VirtualService", "userapi-ingress");
      vs.spec.gateways = ["ingress"];
      vs.spec.http[2].route[0].weight = 30;
      vs.spec.http[0].route[0].destination.subset = "v3";
    });
    expect(istioViolations(docs)).toEqual([
      "VirtualService/userapi/userapi-ingress: gateway ingress does not exist",
      "VirtualService/userapi/userapi-ingress route pin-v1: subset v3 is in no DestinationRule for userapi.userapi.svc.cluster.local",
      "VirtualService/userapi/userapi-ingress route split: weights sum to 105, not 100",
    ]);
  });

  it("flags a catch-all before header routes, * on mesh and a namespaced short host", () => {
    const docs = broken((d) => {
      const ingress = get(d, "VirtualService", "userapi-ingress");
      const mesh = structuredClone(ingress);
      mesh.metadata.name = "userapi-mesh";
      mesh.spec.gateways = ["mesh"];
      mesh.spec.http.reverse();
      delete mesh.spec.http[0].match;
      d.push(mesh);
      get(d, "DestinationRule", "userapi").spec.host = "userapi.userapi";
    });
    const problems = istioViolations(docs);
    expect(problems).toContain(
      "VirtualService/userapi/userapi-mesh: host * is not allowed on the mesh gateway",
    );
    expect(problems).toContain(
      "VirtualService/userapi/userapi-mesh route split: a catch-all route must come last",
    );
    expect(problems).toContain(
      "DestinationRule/userapi/userapi: host userapi.userapi is not a Service here",
    );
  });

  it("flags header routes that a route without the header shadows", () => {
    const docs = broken((d) => {
      const http = get(d, "VirtualService", "userapi-ingress").spec.http;
      http.push(...http.splice(0, 2));
    });
    expect(istioViolations(docs)).toEqual([
      "VirtualService/userapi/userapi-ingress route pin-v1: never matches, route split before it matches every request it matches",
      "VirtualService/userapi/userapi-ingress route pin-v2: never matches, route split before it matches every request it matches",
    ]);
  });

  it("flags a subset whose labels match no pod", () => {
    const docs = broken((d) => {
      get(d, "DestinationRule", "userapi").spec.subsets[1].labels = { version: "2" };
    });
    expect(istioViolations(docs)).toContain(
      "VirtualService/userapi/userapi-ingress route pin-v2: subset v2 matches no pods of the Service",
    );
  });

  it("flags HTTP fields on Redis (TCP) and a principal no pod runs as", () => {
    const docs = broken((d) => {
      const rule = get(d, "AuthorizationPolicy", "redis-from-userapi").spec.rules[0];
      rule.to = [{ operation: { methods: ["GET"] } }];
      rule.from[0].source.principals = ["cluster.local/ns/userapi/sa/default"];
    });
    expect(istioViolations(docs)).toEqual([
      "AuthorizationPolicy/userapi/redis-from-userapi: no pod runs as cluster.local/ns/userapi/sa/default",
      "AuthorizationPolicy/userapi/redis-from-userapi: HTTP fields methods on a TCP workload",
    ]);
  });
});

describe("networkPolicyViolations", () => {
  it("flags a policy whose selector matches no pod", () => {
    const docs = broken((d) => {
      get(d, "NetworkPolicy", "redis-from-userapi").spec.podSelector.matchLabels = {
        app: "redis-cache",
      };
    });
    expect(networkPolicyViolations(docs)).toEqual([
      "NetworkPolicy/userapi/redis-from-userapi: selects no pods",
    ]);
  });
});
