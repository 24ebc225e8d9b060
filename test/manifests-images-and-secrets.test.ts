// biome-ignore-all lint/suspicious/noExplicitAny: manifests are untyped JSON
/**
 * What `kubectl apply -f dist` runs, read from dist/: the API image the
 * README's kind steps build and load, patched Redis (the same as Compose),
 * a current Grafana whose admin login never is a literal or admin/admin,
 * and a Prometheus that deletes old data before its volume is full.
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { readManifests } from "../charts/lib/checks.js";
import { parseMemoryBytes } from "../charts/lib/quantities.js";
import { parsePrometheusBytes } from "../charts/monitoring/retention.js";
import pkg from "../package.json" with { type: "json" };

const root = resolve(import.meta.dirname, "..");
const docs: any[] = readManifests(join(root, "dist")).map((e) => e.doc);
const workload = (kind: string, name: string) =>
  docs.find((d) => d.kind === kind && d.metadata.name === name);
const container = (kind: string, name: string) =>
  workload(kind, name).spec.template.spec.containers.find((c: any) => c.name === name);

/** `major.minor.patch` of an image tag such as `7.4.7-alpine` or `v2.55.1`. */
const version = (image: string) =>
  (/:v?(\d+)\.(\d+)\.(\d+)/.exec(image) ?? []).slice(1).map(Number) as number[];
const atLeast = (actual: number[], minimum: number[]) => {
  for (const [index, part] of minimum.entries()) {
    if ((actual[index] ?? 0) !== part) return (actual[index] ?? 0) > part;
  }
  return true;
};

describe("dist/ images", () => {
  it("runs the API as userapi:<package.json version>, the image the README builds and kind loads", () => {
    for (const track of ["v1", "v2"]) {
      const api = docs
        .find((d) => d.kind === "Deployment" && d.metadata.name === `userapi-${track}`)
        .spec.template.spec.containers.find((c: any) => c.name === "userapi");
      expect(api.image).toBe(`userapi:${pkg.version}`);
      // A loaded image is used as is; nothing tries a registry that does not have it.
      expect(api.imagePullPolicy).toBe("IfNotPresent");
    }
  });

  it("runs Redis 7.4.6 or later (CVE-2025-49844, -46817, -46818, -46819), the same image as Compose", () => {
    const image = container("StatefulSet", "redis").image;
    expect(image).toBe("redis:7.4.7-alpine");
    expect(atLeast(version(image), [7, 4, 6])).toBe(true);
    const compose = parse(readFileSync(join(root, "compose.yaml"), "utf8"));
    expect(compose.services.redis.image).toBe(image);
  });

  it("runs Grafana 12.4 (the supported 12.x line), not 11.x", () => {
    const image = container("Deployment", "grafana").image;
    expect(image).toBe("grafana/grafana:12.4.5");
    expect(atLeast(version(image), [12, 4, 0])).toBe(true);
  });
});

describe("dist/ Grafana admin login", () => {
  const grafana = workload("Deployment", "grafana").spec.template.spec;
  const env = Object.fromEntries(
    grafana.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
  );

  it("is never a literal: no Secret object, no password or user value in the env", () => {
    expect(docs.filter((d) => d.kind === "Secret")).toEqual([]);
    for (const name of ["GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_ADMIN_USER"]) {
      expect(env).not.toHaveProperty(name);
    }
    // No env var anywhere carries a literal admin name or password.
    const literalAdmin = JSON.stringify(docs).includes('"value":"admin"');
    expect(literalAdmin).toBe(false);
  });

  it("comes from Secret grafana-admin when it exists, and the pod starts without it", () => {
    const secret = grafana.volumes.find((v: any) => v.secret?.secretName === "grafana-admin");
    expect(secret.secret.optional).toBe(true);
    const init = grafana.initContainers.find((c: any) =>
      c.volumeMounts.some((m: any) => m.name === secret.name),
    );
    expect(init).toBeDefined();
    const written = init.volumeMounts.find((m: any) => m.name !== secret.name);
    expect(env.GF_SECURITY_ADMIN_PASSWORD__FILE).toBe(`${written.mountPath}/admin-password`);
    expect(env.GF_SECURITY_ADMIN_USER__FILE).toBe(`${written.mountPath}/admin-user`);
    // Without the Secret the script generates a password (charts/grafana.test.ts runs it).
    expect(init.command.join(" ")).toContain("/dev/urandom");
  });
});

describe("dist/ Prometheus storage", () => {
  it("keeps its retention size below its data volume's size limit", () => {
    const prometheus = workload("Deployment", "prometheus").spec.template.spec;
    const args: string[] = prometheus.containers[0].args;
    const size = args.find((a) => a.startsWith("--storage.tsdb.retention.size="))?.split("=")[1];
    expect(size).toBeDefined();
    const mount = prometheus.containers[0].volumeMounts.find(
      (m: any) =>
        m.mountPath === args.find((a) => a.startsWith("--storage.tsdb.path="))?.split("=")[1],
    );
    const volume = prometheus.volumes.find((v: any) => v.name === mount.name);
    const limit = parseMemoryBytes(volume.emptyDir.sizeLimit);
    const retained = parsePrometheusBytes(size ?? "");
    console.log(`Prometheus keeps ${size} on a ${volume.emptyDir.sizeLimit} volume`);
    expect(retained).toBeLessThan(limit);
    // Headroom for compaction, which writes a new block before deleting old ones.
    expect(retained).toBeLessThanOrEqual(limit * 0.8);
  });
});
