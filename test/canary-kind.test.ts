/**
 * The canary's kind half, offline: the Istio fault the second rollout uses
 * (scripts/kind/canary-v2-fault.yaml) against Istio's schema and the chart's
 * labels, and scripts/canary.sh replayed against the recording fakes
 * (test/support/kind-fakes.ts). Only a cluster shows Envoy applying the
 * filter; this proves the manifest's shape and the script's wiring, and that
 * the script fails when a rollout ends the wrong way.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EnvoyFilter } from "@kubernetes-models/istio/networking.istio.io/v1alpha3";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readManifests } from "../charts/lib/checks.js";
import { labelsFor, NAMESPACE } from "../charts/lib/labels.js";
import { readImports, structIndex, unknownFields } from "./support/istio-fields.js";
import {
  clusterAnswersFromDist,
  type FakeTools,
  fakeTools,
  ROOT,
  runScript,
  tempFolders,
} from "./support/kind-fakes.js";

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML, checked field by field below
type Doc = any;
const FAULT_FILE = "scripts/kind/canary-v2-fault.yaml";
const fault: Doc = parse(readFileSync(join(ROOT, FAULT_FILE), "utf8"));
const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;

describe(FAULT_FILE, () => {
  it("is a valid Istio EnvoyFilter (schema of @kubernetes-models/istio)", () => {
    expect(fault.apiVersion).toBe("networking.istio.io/v1alpha3");
    expect(fault.kind).toBe("EnvoyFilter");
    expect(() => new EnvoyFilter(fault).validate()).not.toThrow();
    expect(() =>
      new EnvoyFilter({ ...fault, spec: { ...fault.spec, workloadSelector: "v2" } }).validate(),
    ).toThrow();
  });

  it("uses only fields Istio 1.30's CRD declares", () => {
    const index = structIndex(readImports(ROOT, ["networking.istio.io"]));
    expect(unknownFields(fault.spec, "EnvoyFilterSpec", index, "EnvoyFilter.spec")).toEqual([]);
    // The walk is live: a misspelt field is reported.
    const typo = { ...fault.spec, workloadSelecter: fault.spec.workloadSelector };
    expect(unknownFields(typo, "EnvoyFilterSpec", index, "EnvoyFilter.spec")).toEqual([
      "EnvoyFilter.spec.workloadSelecter",
    ]);
  });

  it("selects the v2 pods of dist/ and none of v1's", () => {
    expect(fault.metadata.namespace).toBe(NAMESPACE);
    const selector: Record<string, string> = fault.spec.workloadSelector.labels;
    expect(selector).toEqual({ ...labelsFor("v2") });
    const podLabels = (name: string): Record<string, string> =>
      (
        readManifests(join(ROOT, "dist"))
          .map((e) => e.doc as Doc)
          .find((d) => d.kind === "Deployment" && d.metadata.name === name) as Doc
      ).spec.template.metadata.labels;
    const selects = (labels: Record<string, string>) =>
      Object.entries(selector).every(([k, v]) => labels[k] === v);
    expect(selects(podLabels("userapi-v2"))).toBe(true);
    expect(selects(podLabels("userapi-v1"))).toBe(false);
  });

  it("inserts Envoy's fault filter (abort only) before the router of the inbound HTTP chain", () => {
    expect(fault.spec.configPatches).toHaveLength(1);
    const [patch] = fault.spec.configPatches;
    expect(patch.applyTo).toBe("HTTP_FILTER");
    expect(patch.match.context).toBe("SIDECAR_INBOUND");
    expect(patch.match.listener.filterChain.filter).toEqual({
      name: "envoy.filters.network.http_connection_manager",
      subFilter: { name: "envoy.filters.http.router" },
    });
    expect(patch.patch.operation).toBe("INSERT_BEFORE");
    expect(patch.patch.value.name).toBe("envoy.filters.http.fault");
    const config = patch.patch.value.typed_config;
    expect(config["@type"]).toBe(
      "type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault",
    );
    expect(Object.keys(config).sort()).toEqual(["@type", "abort"]);
    expect(config.abort.http_status).toBe(503);
    // Enough errors to break the default 99 % bound at once, and some successes.
    expect(config.abort.percentage).toEqual({ numerator: 50, denominator: "HUNDRED" });
  });
});

describe("scripts/canary.sh (against the recording fakes)", () => {
  const { temp, cleanupAll } = tempFolders();
  const dist = clusterAnswersFromDist();
  afterAll(cleanupAll);

  function run(extra: Record<string, string> = {}) {
    const fake: FakeTools = fakeTools(temp);
    const logs = temp("canary-logs");
    const result = runScript("canary.sh", {
      ...fake.env,
      ...dist,
      FAKE_MONITORING_NAMESPACE: "1",
      FAKE_GRAFANA_SECRET: "1",
      CANARY_LOG_DIR: logs,
      FAKE_TOKEN: "fake.jwt.token",
      ...extra,
    });
    const forwards = (() => {
      try {
        return readFileSync(`${fake.log}.forwards`, "utf8").split("\n").filter(Boolean).map(Number);
      } catch {
        return [];
      }
    })();
    for (const pid of forwards) {
      try {
        process.kill(pid, 0);
        process.kill(pid, "SIGKILL");
        throw new Error(`port-forward ${pid} left running`);
      } catch (error) {
        if ((error as Error).message.startsWith("port-forward")) throw error;
      }
    }
    return { fake, result, logs, calls: fake.normalizedCalls() };
  }

  it("loads the candidate, runs a promotion then a faulted rollout, in that order", () => {
    const { result, calls } = run();
    expect(result.status, result.stderr).toBe(0);
    const at = (prefix: string) => calls.findIndex((c) => c.startsWith(prefix));
    const order = [
      `docker tag userapi:${VERSION} userapi:canary-${VERSION}`,
      `kind load docker-image userapi:canary-${VERSION} --name userapi`,
      "npm run -s token -- --key-dir ",
      "kubectl -n monitoring port-forward svc/prometheus 19090:9090",
      "synth-tracks USERAPI_V1_TAG= USERAPI_V2_TAG=canary-",
      "npm run -s canary -- --load --base-url http://127.0.0.1:30080 --rate 20 --prometheus-url http://127.0.0.1:19090 --kube-context kind-userapi --interval 60s --scrape-interval 15s --log ",
      `kubectl apply -f ${FAULT_FILE}`,
    ].map(at);
    expect(
      order.every((i) => i >= 0),
      JSON.stringify(order),
    ).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    // The candidate is deployed once, with no traffic.
    const synths = calls.filter((c) => c.startsWith("synth-env "));
    expect(synths).toHaveLength(1);
    expect(synths[0]).toMatch(/USERAPI_V1_WEIGHT=100 USERAPI_V2_WEIGHT=0 /);
    // Between the rollouts, traffic goes back to v1 with the manual rollback.
    const rollback = at("npm run -s canary -- --rollback --kube-context kind-userapi");
    expect(rollback).toBeGreaterThan(order[5] ?? 0);
    expect(rollback).toBeLessThan(order[6] ?? 0);
    const canaries = calls.filter((c) => c.startsWith("npm run -s canary -- --load"));
    expect(canaries.map((c) => c.split("/").at(-1))).toEqual(["promotion.json", "rollback.json"]);
    // The fault comes after the promotion and before the rollback, and is removed at the end.
    const faultApplied = at(`kubectl apply -f ${FAULT_FILE}`);
    expect(faultApplied).toBeGreaterThan(calls.indexOf(canaries[0] ?? ""));
    expect(faultApplied).toBeLessThan(calls.indexOf(canaries[1] ?? ""));
    expect(calls.at(-1)).toBe(`kubectl delete -f ${FAULT_FILE} --ignore-not-found`);
    // The token reached the load generator through the environment, never an argument.
    expect(calls.filter((c) => c === "canary-env USERAPI_TOKEN=fake.jwt.token")).toHaveLength(2);
    expect(calls.filter((c) => c === "canary-env USERAPI_TOKEN=")).toHaveLength(1);
    expect(canaries.some((c) => c.includes("fake.jwt.token"))).toBe(false);
    expect(calls.find((c) => c.startsWith("npm run -s token"))).toMatch(
      /--key-dir \.auth\/kind-userapi --sub canary --scope users:read users:write$/,
    );
    expect(result.stderr).toContain("Canary releases passed");
    expect(result.stderr).toContain("rolled back on v2 errors the app never saw: 12");
  });

  it.each([
    [
      "the promotion rolls back",
      { FAKE_CANARY_PROMOTION: "rolled-back 1 v1" },
      "canary 'promotion' ended 'rolled-back' with exit 1; expected 'promoted' with exit 0",
    ],
    [
      "the faulty v2 is promoted",
      { FAKE_CANARY_ROLLBACK: "promoted 0 v2" },
      "canary 'rollback' ended 'promoted' with exit 0; expected 'rolled-back' with exit 1",
    ],
    [
      "the cluster still routes to v1 after the promotion",
      { FAKE_CANARY_PROMOTION: "promoted 0 v1" },
      "after the promotion the split routes to 'v1', not v2 only",
    ],
    [
      "the rollback was not caused by the fault",
      { FAKE_CANARY_MESH_ERRORS: "0" },
      "the rollback log shows no v2 errors in the mesh view",
    ],
    ["no token is minted", { FAKE_TOKEN: "" }, "npm run token printed no token"],
  ])("fails when %s", (_, env, message) => {
    const { result } = run(env);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
  });
});
