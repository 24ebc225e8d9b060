/**
 * The kind flow's own manifests (scripts/kind/): the cluster's port mapping,
 * the istioctl overlay that fixes the gateway's NodePort, the webhook probe
 * and the committed metrics-server manifest. They validate against their
 * schemas, name the numbers and objects scripts/lib.sh and the scripts use,
 * and fit the dist/ they serve. A cluster is what proves them for real; this
 * is the offline half.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Gateway } from "@kubernetes-models/istio/networking.istio.io/v1";
import { APIService } from "kubernetes-models/apiregistration.k8s.io/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import {
  ClusterRole,
  ClusterRoleBinding,
  RoleBinding,
} from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { Service, ServiceAccount } from "kubernetes-models/v1";
import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { readManifests } from "../charts/lib/checks.js";
import { libValues, ROOT } from "./support/kind-fakes.js";

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type Doc = any;
const kindFile = (name: string) => readFileSync(join(ROOT, "scripts", "kind", name), "utf8");
const script = (name: string) => readFileSync(join(ROOT, "scripts", name), "utf8");
const lib = libValues([
  "GATEWAY_NODE_PORT",
  "GATEWAY_HOST_PORT",
  "APP_NAMESPACE",
  "MONITORING_NAMESPACE",
]);
const dist = readManifests(join(ROOT, "dist")).map((e) => e.doc as Doc);

describe("scripts/kind/cluster.yaml", () => {
  const cluster: Doc = parse(kindFile("cluster.yaml"));

  it("is a kind v1alpha4 cluster: one control plane, two workers", () => {
    expect(cluster.kind).toBe("Cluster");
    expect(cluster.apiVersion).toBe("kind.x-k8s.io/v1alpha4");
    expect(cluster.nodes.map((n: Doc) => n.role)).toEqual(["control-plane", "worker", "worker"]);
  });

  it("maps the gateway's NodePort to the host's loopback only", () => {
    expect(cluster.nodes[0].extraPortMappings).toEqual([
      {
        containerPort: Number(lib.GATEWAY_NODE_PORT),
        hostPort: Number(lib.GATEWAY_HOST_PORT),
        listenAddress: "127.0.0.1",
        protocol: "TCP",
      },
    ]);
    expect(cluster.nodes.slice(1).some((n: Doc) => n.extraPortMappings)).toBe(false);
  });
});

describe("scripts/kind/istio-kind.yaml", () => {
  const overlay: Doc = parse(kindFile("istio-kind.yaml"));
  const gateway = overlay.spec.components.ingressGateways[0];
  const ports: Doc[] = gateway.k8s.service.ports;

  it("makes the ingress gateway a NodePort Service with http on the fixed nodePort", () => {
    expect(overlay.apiVersion).toBe("install.istio.io/v1alpha1");
    expect(overlay.kind).toBe("IstioOperator");
    expect(gateway).toMatchObject({ name: "istio-ingressgateway", enabled: true });
    expect(gateway.k8s.service.type).toBe("NodePort");
    expect(ports.find((p) => p.port === 80)).toEqual({
      name: "http2",
      port: 80,
      targetPort: 8080,
      nodePort: Number(lib.GATEWAY_NODE_PORT),
      protocol: "TCP",
    });
  });

  it("keeps the gateway's other default ports, and fixed nodePorts stay in the NodePort range", () => {
    expect(ports.map((p) => p.port).sort((a, b) => a - b)).toEqual([80, 443, 15021]);
    for (const port of ports) {
      if (port.nodePort !== undefined) {
        expect(port.nodePort).toBeGreaterThanOrEqual(30000);
        expect(port.nodePort).toBeLessThanOrEqual(32767);
      }
    }
  });

  it("serves dist/'s Gateway, which listens on port 80 of the ingress gateway", () => {
    const gateways = dist.filter((d) => d.kind === "Gateway");
    expect(gateways.length).toBeGreaterThan(0);
    for (const g of gateways) {
      expect(g.spec.selector).toEqual({ istio: "ingressgateway" });
      expect(g.spec.servers.map((s: Doc) => s.port.number)).toEqual([80]);
    }
  });

  it("is the overlay install-istio.sh passes, with CNI on and images from docker.io/istio", () => {
    const install = script("install-istio.sh");
    expect(install).toContain(`-f "\${ROOT_DIR}/scripts/kind/istio-kind.yaml"`);
    expect(install).toContain("--set components.cni.enabled=true");
    expect(install).toContain(`--set hub="\${ISTIO_HUB}"`);
  });
});

describe("scripts/kind/webhook-probe.yaml", () => {
  const probe: Doc = parse(kindFile("webhook-probe.yaml"));

  it("is a valid Istio Gateway outside the app's namespaces, named like nothing in dist/", () => {
    expect(() => new Gateway(probe).validate()).not.toThrow();
    expect(probe.metadata.namespace).toBe("istio-system");
    expect(dist.some((d) => d.metadata.name === probe.metadata.name)).toBe(false);
  });
});

describe("scripts/kind/metrics-server.yaml", () => {
  const docs: Doc[] = parseAllDocuments(kindFile("metrics-server.yaml")).map((d) => d.toJS());
  const models: Record<string, new (data: Doc) => { validate(): void }> = {
    "v1 ServiceAccount": ServiceAccount,
    "v1 Service": Service,
    "apps/v1 Deployment": Deployment,
    "rbac.authorization.k8s.io/v1 ClusterRole": ClusterRole,
    "rbac.authorization.k8s.io/v1 ClusterRoleBinding": ClusterRoleBinding,
    "rbac.authorization.k8s.io/v1 RoleBinding": RoleBinding,
    "apiregistration.k8s.io/v1 APIService": APIService,
  };
  const one = (kind: string, name?: string) => {
    const found = docs.filter((d) => d.kind === kind && (!name || d.metadata.name === name));
    expect(found, `${kind} ${name ?? ""}`).toHaveLength(1);
    return found[0];
  };
  const deployment = one("Deployment", "metrics-server");
  const container = deployment.spec.template.spec.containers[0];

  it.each(docs.map((d) => [`${d.kind} ${d.metadata.name}`, d]))("%s validates", (_, doc) => {
    const Model = models[`${doc.apiVersion} ${doc.kind}`];
    expect(Model, `no schema for ${doc.apiVersion} ${doc.kind}`).toBeDefined();
    expect(() => new (Model as NonNullable<typeof Model>)(doc).validate()).not.toThrow();
  });

  it("the validator is live: a wrong type is caught", () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[0].args = "--kubelet-insecure-tls";
    expect(() => new Deployment(broken).validate()).toThrow(/args/);
  });

  it("pins metrics-server's image and adds the one kind flag", () => {
    expect(container.image).toMatch(
      /^registry\.k8s\.io\/metrics-server\/metrics-server:v\d+\.\d+\.\d+$/,
    );
    expect(container.args).toContain("--kubelet-insecure-tls");
    expect(container.args).toContain("--secure-port=10250");
    expect(container.ports).toEqual([{ name: "https", containerPort: 10250, protocol: "TCP" }]);
  });

  it("runs as a restricted pod (non-root, no escalation, no capabilities, RuntimeDefault)", () => {
    expect(container.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(container.securityContext.runAsUser).toBeGreaterThan(0);
  });

  it("wires the APIService to the Service to the pod, and RBAC to its ServiceAccount", () => {
    const service = one("Service", "metrics-server");
    const apiService = one("APIService", "v1beta1.metrics.k8s.io");
    const account = one("ServiceAccount", "metrics-server");
    expect(apiService.spec.service).toEqual({ name: "metrics-server", namespace: "kube-system" });
    expect(service.metadata.namespace).toBe("kube-system");
    expect(service.spec.selector).toEqual(deployment.spec.template.metadata.labels);
    expect(service.spec.ports[0].targetPort).toBe(container.ports[0].name);
    expect(deployment.spec.template.spec.serviceAccountName).toBe(account.metadata.name);
    const bindings = docs.filter((d) => d.kind.endsWith("Binding"));
    expect(bindings).toHaveLength(3);
    for (const binding of bindings) {
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: "metrics-server", namespace: "kube-system" },
      ]);
    }
    const rules = one("ClusterRole", "system:metrics-server").rules;
    expect(rules).toContainEqual({ apiGroups: [""], resources: ["nodes/metrics"], verbs: ["get"] });
  });

  it("is what install-metrics-server.sh applies and waits for", () => {
    const install = script("install-metrics-server.sh");
    expect(install).toContain(`kc apply -f "\${ROOT_DIR}/scripts/kind/metrics-server.yaml"`);
    expect(install).toContain(
      `kc -n ${deployment.metadata.namespace} rollout status deployment/${deployment.metadata.name}`,
    );
    expect(install).toContain(
      "kc wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io",
    );
  });
});

describe("what the scripts assume about dist/", () => {
  it("creates the namespaces deploy.sh and analyze.sh name", () => {
    const namespaces = dist.filter((d) => d.kind === "Namespace").map((d) => d.metadata.name);
    expect(namespaces).toContain(lib.APP_NAMESPACE);
    expect(namespaces).toContain(lib.MONITORING_NAMESPACE);
  });

  it("has exactly one DestinationRule, userapi/userapi: the offline IST0173 suppression covers ours and only ours", () => {
    const rules = dist.filter((d) => d.kind === "DestinationRule");
    expect(rules.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      "userapi/userapi",
    ]);
    expect(script("analyze.sh")).toContain(
      `suppressions=("IST0173=DestinationRule \${APP_NAMESPACE}/userapi")`,
    );
  });

  it("scales the API on CPU, the metric deploy.sh requires every HPA to report", () => {
    const hpas = dist.filter((d) => d.kind === "HorizontalPodAutoscaler");
    expect(hpas.length).toBeGreaterThan(0);
    for (const hpa of hpas) {
      expect(hpa.spec.metrics.map((m: Doc) => m.resource?.name)).toContain("cpu");
    }
  });
});
