// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON
/**
 * Timing relations of dist/, derived from the YAML itself (not from the
 * chart constants that wrote it):
 *
 * - connection reuse: the app keeps an idle keep-alive connection longer
 *   than every idle timeout in front of it. In front of the app is Envoy's
 *   connection pool (the sidecar's inbound pool and the gateway's pool),
 *   whose idle timeout is the DestinationRule's connectionPool idleTimeout,
 *   or Envoy's default of 1 h when none is set. test/api-keepalive.test.ts
 *   shows the server really behaves as its variables say.
 * - shutdown: the sidecar drains longer than preStop + the app's drain (on
 *   clusters without native sidecars it gets SIGTERM at once), and the
 *   grace period covers preStop + app drain + proxy drain (with native
 *   sidecars they run one after the other).
 */
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEnv } from "../api/env.js";
import { readManifests } from "../charts/lib/checks.js";
import { API_NAME, NAMESPACE, serviceFqdn, TRACKS } from "../charts/lib/labels.js";

const root = resolve(import.meta.dirname, "..");
const dist: any[] = readManifests(join(root, "dist")).map((e) => e.doc);

/** Envoy's idle timeout for upstream HTTP connections when none is configured. */
const ENVOY_DEFAULT_IDLE_SECONDS = 3600;

/** Seconds of an Istio/protobuf duration such as `30s`, `1m`, `1h`, `500ms`, `1.5s`. */
function durationSeconds(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (match === null) throw new Error(`not a duration: ${text}`);
  const factor = { ms: 0.001, s: 1, m: 60, h: 3600 }[match[2] as "ms" | "s" | "m" | "h"];
  return Number(match[1]) * factor;
}

const apiDeployments = (docs: any[]) =>
  TRACKS.map((track) =>
    docs.find((d) => d.kind === "Deployment" && d.metadata.name === `${API_NAME}-${track}`),
  );

/** The app container's literal env, parsed by the API's own parser. */
function appEnv(deployment: any) {
  const container = deployment.spec.template.spec.containers.find((c: any) => c.name === API_NAME);
  const literal = Object.fromEntries(
    container.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]),
  );
  return { container, env: parseEnv(literal) };
}

/** Idle timeout (s) of Envoy's pools to the API: DestinationRule http, else tcp, else Envoy's 1 h. */
function meshIdleSeconds(docs: any[]): number {
  const rule = docs.find(
    (d) =>
      d.kind === "DestinationRule" &&
      [API_NAME, serviceFqdn(API_NAME)].includes(d.spec.host) &&
      d.metadata.namespace === NAMESPACE,
  );
  const pool = rule?.spec.trafficPolicy?.connectionPool;
  const idle = pool?.http?.idleTimeout ?? pool?.tcp?.idleTimeout;
  return idle === undefined ? ENVOY_DEFAULT_IDLE_SECONDS : durationSeconds(idle);
}

/** What breaks the keep-alive relation in a set of manifests ([] when it holds). */
function keepAliveViolations(docs: any[]): string[] {
  const idle = meshIdleSeconds(docs);
  return apiDeployments(docs).flatMap((deployment) => {
    const { env } = appEnv(deployment);
    const problems: string[] = [];
    if (env.KEEP_ALIVE_TIMEOUT_MS / 1000 <= idle) {
      problems.push(
        `${deployment.metadata.name}: app keep-alive ${env.KEEP_ALIVE_TIMEOUT_MS / 1000}s <= mesh idle ${idle}s`,
      );
    }
    if (env.HEADERS_TIMEOUT_MS >= env.KEEP_ALIVE_TIMEOUT_MS) {
      problems.push(`${deployment.metadata.name}: header timeout not below keep-alive`);
    }
    return problems;
  });
}

/** The shutdown steps of an API pod, read from its manifest. */
function shutdownOf(deployment: any) {
  const { container, env } = appEnv(deployment);
  const pod = deployment.spec.template;
  const proxy = JSON.parse(pod.metadata.annotations["proxy.istio.io/config"] ?? "{}");
  return {
    preStop: Number(container.lifecycle.preStop.exec.command.at(-1)),
    appDrain: env.SHUTDOWN_TIMEOUT_MS / 1000,
    proxyDrain: durationSeconds(proxy.terminationDrainDuration ?? "5s"), // Istio's default: 5 s
    grace: pod.spec.terminationGracePeriodSeconds ?? 30,
    holdApplication: proxy.holdApplicationUntilProxyStarts,
  };
}

function shutdownViolations(docs: any[]): string[] {
  return apiDeployments(docs).flatMap((deployment) => {
    const s = shutdownOf(deployment);
    const name = deployment.metadata.name;
    const problems: string[] = [];
    if (s.proxyDrain <= s.preStop + s.appDrain) {
      problems.push(`${name}: proxy drain ${s.proxyDrain}s ends before preStop + app drain`);
    }
    if (s.grace < s.preStop + s.appDrain + s.proxyDrain) {
      problems.push(`${name}: grace ${s.grace}s < preStop + app drain + proxy drain`);
    }
    return problems;
  });
}

describe("dist/ connection reuse", () => {
  it("has the app keep idle connections longer than Envoy's pools to it", () => {
    expect(meshIdleSeconds(dist)).toBe(30);
    for (const deployment of apiDeployments(dist)) {
      expect(appEnv(deployment).env.KEEP_ALIVE_TIMEOUT_MS).toBe(65_000);
    }
    expect(keepAliveViolations(dist)).toEqual([]);
  });

  it("retries requests reset before they were sent, on every gateway route", () => {
    const routes = dist
      .filter((d) => d.kind === "VirtualService")
      .flatMap((vs) => vs.spec.http as any[]);
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.retries.retryOn.split(","), route.name).toContain("reset-before-request");
      expect(route.retries.retryOn.split(","), route.name).not.toContain("5xx");
    }
  });

  it("fails when the DestinationRule sets no idle timeout (Envoy keeps connections 1 h)", () => {
    const docs = structuredClone(dist);
    const rule = docs.find((d) => d.kind === "DestinationRule");
    delete rule.spec.trafficPolicy.connectionPool.http.idleTimeout;
    expect(keepAliveViolations(docs)).toEqual([
      "userapi-v1: app keep-alive 65s <= mesh idle 3600s",
      "userapi-v2: app keep-alive 65s <= mesh idle 3600s",
    ]);
  });

  it("fails when the app closes idle connections first (Node's 5 s default)", () => {
    const docs = structuredClone(dist);
    for (const deployment of apiDeployments(docs)) {
      const env = deployment.spec.template.spec.containers[0].env;
      env.find((e: any) => e.name === "KEEP_ALIVE_TIMEOUT_MS").value = "20000";
      env.find((e: any) => e.name === "HEADERS_TIMEOUT_MS").value = "5000";
    }
    expect(keepAliveViolations(docs)).toHaveLength(2);
  });
});

describe("dist/ shutdown ordering", () => {
  it("holds the app until the proxy started, and keeps the proxy until the app drained", () => {
    for (const deployment of apiDeployments(dist)) {
      expect(shutdownOf(deployment)).toEqual({
        preStop: 5,
        appDrain: 10,
        proxyDrain: 20,
        grace: 40,
        holdApplication: true,
      });
    }
    expect(shutdownViolations(dist)).toEqual([]);
  });

  it("fails with Istio's default 5 s proxy drain, or a grace period that cuts the proxy short", () => {
    const docs = structuredClone(dist);
    const [v1, v2] = apiDeployments(docs);
    v1.spec.template.metadata.annotations["proxy.istio.io/config"] = JSON.stringify({
      holdApplicationUntilProxyStarts: true,
    });
    v2.spec.template.spec.terminationGracePeriodSeconds = 30;
    expect(shutdownViolations(docs)).toEqual([
      "userapi-v1: proxy drain 5s ends before preStop + app drain",
      "userapi-v2: grace 30s < preStop + app drain + proxy drain",
    ]);
  });
});
