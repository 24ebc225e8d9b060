// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON
/**
 * Pod Security "restricted" is enforced on both namespaces, and every pod
 * there passes it as it will run: with the containers Istio's sidecar
 * injector adds. The injected containers below carry the security contexts
 * of Istio's injection template (manifests/charts/istio-control/
 * istio-discovery/files/injection-template.yaml): with the CNI plugin an
 * `istio-validation` init container and the proxy run as uid 1337 with every
 * capability dropped and no seccomp profile of their own (the pod's applies);
 * without it, `istio-init` needs NET_ADMIN and NET_RAW as root, which
 * restricted rejects. The proxy is checked both as a classic container and as
 * a native sidecar (an init container with restartPolicy Always).
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { idOf, podTemplateOf, readManifests, restrictedViolations } from "../charts/lib/checks.js";
import { MONITORING_NAMESPACE, NAMESPACE } from "../charts/lib/labels.js";

const root = resolve(import.meta.dirname, "..");
const docs: any[] = readManifests(join(root, "dist")).map((e) => e.doc);

const proxySecurityContext = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  privileged: false,
  readOnlyRootFilesystem: true,
  runAsGroup: 1337,
  runAsNonRoot: true,
  runAsUser: 1337,
};
const istioProxy = {
  name: "istio-proxy",
  image: "docker.io/istio/proxyv2:1.30.3",
  securityContext: proxySecurityContext,
};
/** With Istio CNI: the init container only validates the redirection CNI set up. */
const istioValidation = {
  name: "istio-validation",
  image: "docker.io/istio/proxyv2:1.30.3",
  securityContext: proxySecurityContext,
};
/** Without Istio CNI: the init container programs iptables itself, as root. */
const istioInit = {
  name: "istio-init",
  image: "docker.io/istio/proxyv2:1.30.3",
  securityContext: {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { add: ["NET_ADMIN", "NET_RAW"], drop: ["ALL"] },
    readOnlyRootFilesystem: false,
    runAsGroup: 0,
    runAsNonRoot: false,
    runAsUser: 0,
  },
};

type Injection = "cni" | "cni-native-sidecar" | "no-cni";

/** The pod spec after Istio's injector ran, as the Pod Security admission sees it. */
function injected(podSpec: any, injection: Injection): any {
  const init = injection === "no-cni" ? istioInit : istioValidation;
  if (injection === "cni-native-sidecar") {
    return {
      ...podSpec,
      initContainers: [
        init,
        { ...istioProxy, restartPolicy: "Always" },
        ...(podSpec.initContainers ?? []),
      ],
    };
  }
  return {
    ...podSpec,
    initContainers: [init, ...(podSpec.initContainers ?? [])],
    containers: [...podSpec.containers, istioProxy],
  };
}

const enforced = (namespace: string) =>
  docs.find((d) => d.kind === "Namespace" && d.metadata.name === namespace)?.metadata.labels[
    "pod-security.kubernetes.io/enforce"
  ];

const meshedPods = docs
  .filter((d) => d.metadata.namespace === NAMESPACE)
  .map((d) => ({ doc: d, template: podTemplateOf(d) }))
  .filter((p): p is { doc: any; template: NonNullable<typeof p.template> } => {
    const labels = (p.template?.metadata.labels ?? {}) as Record<string, string>;
    return p.template !== undefined && labels["sidecar.istio.io/inject"] !== "false";
  });

describe("Pod Security restricted", () => {
  it("is enforced (and warned and audited) on the userapi and monitoring namespaces", () => {
    for (const namespace of [NAMESPACE, MONITORING_NAMESPACE]) {
      expect(enforced(namespace), namespace).toBe("restricted");
    }
    const userapi = docs.find((d) => d.kind === "Namespace" && d.metadata.name === NAMESPACE);
    expect(userapi.metadata.labels["istio-injection"]).toBe("enabled");
  });

  it("passes for every pod template in dist/ as written", () => {
    const templates = docs.flatMap((d) => {
      const template = podTemplateOf(d);
      return template === undefined ? [] : [{ id: idOf(d), spec: template.spec }];
    });
    expect(templates.length).toBeGreaterThanOrEqual(5);
    for (const { id, spec } of templates) expect(restrictedViolations(spec), id).toEqual([]);
  });

  it.each(["cni", "cni-native-sidecar"] as const)(
    "passes for every meshed pod once Istio (%s) injected its containers",
    (injection) => {
      expect(meshedPods.map((p) => idOf(p.doc)).sort()).toEqual([
        "Deployment/userapi/userapi-v1",
        "Deployment/userapi/userapi-v2",
        "StatefulSet/userapi/redis",
      ]);
      for (const { doc, template } of meshedPods) {
        expect(restrictedViolations(injected(template.spec, injection)), idOf(doc)).toEqual([]);
      }
    },
  );

  it("relies on the pod's seccomp profile for the injected containers", () => {
    for (const { doc, template } of meshedPods) {
      const spec: any = template.spec;
      expect(spec.securityContext.seccompProfile, idOf(doc)).toEqual({ type: "RuntimeDefault" });
      const withoutPodProfile = { ...spec, securityContext: { ...spec.securityContext } };
      delete withoutPodProfile.securityContext.seccompProfile;
      expect(restrictedViolations(injected(withoutPodProfile, "cni"))).toContain(
        "container istio-proxy: seccompProfile.type must be RuntimeDefault or Localhost",
      );
    }
  });

  it("would reject the pods if Istio ran without its CNI plugin (istio-init as root)", () => {
    for (const { doc, template } of meshedPods) {
      expect(restrictedViolations(injected(template.spec, "no-cni")), idOf(doc)).toEqual(
        expect.arrayContaining([
          "container istio-init: capability NET_ADMIN added",
          "container istio-init: runAsNonRoot must be true",
        ]),
      );
    }
  });
});
