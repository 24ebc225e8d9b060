// biome-ignore-all lint/suspicious/noExplicitAny: manifests and the OpenAPI document are untyped JSON
/**
 * The manifests and the API agree: probe paths exist in the API's own
 * OpenAPI document, the container env passes the API's env parser, and the
 * Service, container port, PORT and the Prometheus annotation are one port.
 * Nothing here is hard-coded on both sides: the API side is imported.
 */
import { join, resolve } from "node:path";
import pino from "pino";
import { beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../api/app.js";
import { DEFAULT_PORT, parseEnv } from "../api/env.js";
import { MemoryUserStore } from "../api/store/memory-user-store.js";
import { findManifest, readManifests } from "../charts/lib/checks.js";
import { API_NAME, API_PORT_NAME, apiSelector, labelsFor, TRACKS } from "../charts/lib/labels.js";

const root = resolve(import.meta.dirname, "..");
const docs: any[] = readManifests(join(root, "dist")).map((e) => e.doc);
const deployments = TRACKS.map((track) =>
  findManifest<any>(docs, "Deployment", `${API_NAME}-${track}`),
);
const containerOf = (deployment: any) =>
  deployment.spec.template.spec.containers.find((c: any) => c.name === API_NAME);

let openapi: { paths: Record<string, Record<string, unknown>> };

beforeAll(async () => {
  const app = createApp({
    store: new MemoryUserStore(),
    logger: pino({ level: "silent" }),
    version: "test",
  });
  openapi = (await (await app.request("/openapi.json")).json()) as typeof openapi;
});

describe("probes", () => {
  it.each(TRACKS)("%s probes only paths the API documents, with GET", (track) => {
    const container = containerOf(deployments[TRACKS.indexOf(track)]);
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
      const path = container[probe].httpGet.path;
      expect(openapi.paths[path], `${probe} ${path}`).toBeDefined();
      expect(openapi.paths[path]).toHaveProperty("get");
    }
  });

  it("checks liveness (/health) and readiness (/serving) on paths that never touch Redis", () => {
    const container = containerOf(deployments[0]);
    expect(container.livenessProbe.httpGet.path).toBe("/health");
    expect(container.readinessProbe.httpGet.path).toBe("/serving");
    // Readiness can fail (draining): the API documents a 503 for the probed path.
    const readiness = openapi.paths[container.readinessProbe.httpGet.path]?.get;
    expect(readiness).toMatchObject({
      responses: { "200": expect.anything(), "503": expect.anything() },
    });
    // /ready keeps reporting Redis for people and tools; no probe depends on it.
    expect(openapi.paths["/ready"]?.get).toMatchObject({ responses: { "503": expect.anything() } });
    for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
      expect(container[probe].httpGet.path, probe).not.toBe("/ready");
    }
  });

  it("scrapes a documented /metrics", () => {
    const annotations = deployments[0].spec.template.metadata.annotations;
    expect(openapi.paths[annotations["prometheus.io/path"]]).toHaveProperty("get");
  });
});

describe("ports", () => {
  it.each(TRACKS)(
    "%s: Service target, container port, PORT and scrape port are one port",
    (track) => {
      const deployment = deployments[TRACKS.indexOf(track)];
      const container = containerOf(deployment);
      const env = Object.fromEntries(
        container.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]),
      );
      const http = container.ports.find((p: any) => p.name === API_PORT_NAME);
      const service = findManifest<any>(docs, "Service", API_NAME);
      const servicePort = service.spec.ports.find((p: any) => p.name === API_PORT_NAME);

      expect(http.containerPort).toBe(DEFAULT_PORT);
      expect(parseEnv({ ...env, APP_VERSION: track }).PORT).toBe(http.containerPort);
      expect(servicePort.targetPort).toBe(http.containerPort);
      expect(Number(deployment.spec.template.metadata.annotations["prometheus.io/port"])).toBe(
        http.containerPort,
      );
      for (const probe of ["livenessProbe", "readinessProbe", "startupProbe"]) {
        expect(container[probe].httpGet.port).toBe(http.containerPort);
      }
    },
  );
});

describe("environment", () => {
  it.each(TRACKS)("%s: the container env is a valid production env for the API", (track) => {
    const container = containerOf(deployments[TRACKS.indexOf(track)]);
    const literal = Object.fromEntries(
      container.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]),
    );
    // APP_VERSION comes from the pod's `version` label, which is the track.
    const pod = deployments[TRACKS.indexOf(track)].spec.template;
    const fromLabel = container.env.find((e: any) => e.name === "APP_VERSION").valueFrom.fieldRef
      .fieldPath;
    expect(fromLabel).toBe("metadata.labels['version']");
    const appVersion = pod.metadata.labels.version;
    expect(appVersion).toBe(track);

    const env = parseEnv({ ...literal, APP_VERSION: appVersion });
    expect(env.NODE_ENV).toBe("production");
    expect(env.REDIS_URL).toBe("redis://redis:6379");
    expect(env.APP_VERSION).toBe(track);
  });

  it("points REDIS_URL at the redis Service's port", () => {
    const redis = findManifest<any>(docs, "Service", "redis");
    const url = new URL(
      containerOf(deployments[0]).env.find((e: any) => e.name === "REDIS_URL").value,
    );
    expect(url.hostname).toBe(redis.metadata.name);
    expect(Number(url.port)).toBe(redis.spec.ports[0].port);
  });

  it("gives SIGKILL only after preStop and the app's drain deadline", () => {
    for (const deployment of deployments) {
      const container = containerOf(deployment);
      const literal = Object.fromEntries(
        container.env.filter((e: any) => "value" in e).map((e: any) => [e.name, e.value]),
      );
      const drainSeconds = parseEnv(literal).SHUTDOWN_TIMEOUT_MS / 1000;
      const preStopSeconds = Number(container.lifecycle.preStop.exec.command.at(-1));
      expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(
        preStopSeconds + drainSeconds,
      );
    }
  });

  it("sets the server's timeouts through variables the API's parser accepts", () => {
    for (const deployment of deployments) {
      const literal = Object.fromEntries(
        containerOf(deployment)
          .env.filter((e: any) => "value" in e)
          .map((e: any) => [e.name, e.value]),
      );
      const env = parseEnv(literal);
      expect(env.KEEP_ALIVE_TIMEOUT_MS).toBe(Number(literal.KEEP_ALIVE_TIMEOUT_MS));
      expect(env.HEADERS_TIMEOUT_MS).toBe(Number(literal.HEADERS_TIMEOUT_MS));
    }
  });
});

describe("labels", () => {
  it("pods carry labels.ts's app and version; the Service selects app only", () => {
    for (const [index, track] of TRACKS.entries()) {
      expect(deployments[index].spec.template.metadata.labels).toEqual(labelsFor(track));
    }
    expect(findManifest<any>(docs, "Service", API_NAME).spec.selector).toEqual(apiSelector());
  });
});
