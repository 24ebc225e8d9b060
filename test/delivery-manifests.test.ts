/**
 * What the kind job applies: the committed dist/ and a fresh synth with the CI
 * overrides (image userapi:ci, IfNotPresent) must be valid Kubernetes and Istio
 * objects, in files `kubectl apply -f DIR` reads in a working order, using only
 * kinds a cluster with just Istio knows. The CI manifests job runs this file.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseDockerfile } from "../scripts/docker/dockerfile.js";

interface PodTemplate {
  spec?: {
    securityContext?: Record<string, unknown>;
    containers?: {
      name: string;
      image: string;
      imagePullPolicy?: string;
      securityContext?: { readOnlyRootFilesystem?: boolean };
    }[];
  };
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
  spec?: Record<string, unknown>;
}

/** Groups a kind cluster with Istio installed serves (core, built-ins, Istio CRDs). */
const SERVED_GROUPS = new Set([
  "",
  "apps",
  "autoscaling",
  "policy",
  "networking.k8s.io",
  "rbac.authorization.k8s.io",
  "networking.istio.io",
  "security.istio.io",
]);

function readDir(dir: string): { file: string; objects: K8sObject[] }[] {
  return readdirSync(dir)
    .sort()
    .map((file) => ({
      file,
      objects: parseAllDocuments(readFileSync(join(dir, file), "utf8"))
        .map((doc) => doc.toJS() as K8sObject | null)
        .filter((o): o is K8sObject => o !== null),
    }));
}

async function validate(object: K8sObject): Promise<void> {
  const [group, version] = object.apiVersion.includes("/")
    ? (object.apiVersion.split("/") as [string, string])
    : ["", object.apiVersion];
  const module = group.endsWith(".istio.io")
    ? `@kubernetes-models/istio/${group}/${version}`
    : `kubernetes-models/${group ? `${group}/` : ""}${version}`;
  const models = (await import(module)) as Record<
    string,
    new (
      data: unknown,
    ) => { validate(): void }
  >;
  const Model = models[object.kind];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(object).validate();
}

function checkDir(label: string, dir: () => string) {
  describe(label, () => {
    it("is flat: kubectl apply -f does not descend into folders", () => {
      for (const entry of readdirSync(dir())) {
        expect(statSync(join(dir(), entry)).isFile(), entry).toBe(true);
        expect(entry).toMatch(/\.ya?ml$/);
      }
    });

    it("creates each Namespace before anything that lives in it (apply order)", () => {
      const inOrder = readDir(dir()).flatMap((f) => f.objects);
      expect(inOrder[0]?.kind).toBe("Namespace");
      const created = new Set<string>();
      for (const o of inOrder) {
        if (o.kind === "Namespace") created.add(o.metadata.name);
        else if (o.metadata.namespace) {
          expect(created, `${o.kind}/${o.metadata.name}`).toContain(o.metadata.namespace);
        }
      }
    });

    it("uses only API groups a cluster with just Istio serves", () => {
      for (const { objects } of readDir(dir())) {
        for (const o of objects) {
          const group = o.apiVersion.includes("/") ? (o.apiVersion.split("/")[0] ?? "") : "";
          expect(SERVED_GROUPS.has(group), `${o.apiVersion} ${o.kind}`).toBe(true);
        }
      }
    });

    it("validates every object against its Kubernetes or Istio schema", async () => {
      const objects = readDir(dir()).flatMap((f) => f.objects);
      expect(objects.length).toBeGreaterThan(10);
      for (const object of objects) {
        await expect(
          validate(object),
          `${object.kind}/${object.metadata.name}`,
        ).resolves.toBeUndefined();
      }
    });
  });
}

checkDir("dist/ (committed)", () => "dist");

describe("a synth with the kind job's overrides", () => {
  let out = "";

  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), "userapi-synth-"));
    const result = spawnSync("npm", ["run", "--silent", "synth"], {
      env: {
        // biome-ignore lint/style/noProcessEnv: npm needs the runner's PATH and HOME (its cache)
        ...process.env,
        USERAPI_OUTDIR: out,
        USERAPI_IMAGE: "userapi",
        USERAPI_TAG: "ci",
        USERAPI_IMAGE_PULL_POLICY: "IfNotPresent",
        USERAPI_V1_WEIGHT: "25",
        USERAPI_V2_WEIGHT: "75",
      },
      encoding: "utf8",
    });
    if (result.status !== 0)
      throw new Error(`npm run synth failed:\n${result.stdout}${result.stderr}`);
  }, 60_000);

  afterAll(() => {
    if (out) rmSync(out, { recursive: true, force: true });
  });

  checkDir("output", () => out);

  it("runs the freshly loaded image without pulling it", () => {
    const containers = readDir(out)
      .flatMap((f) => f.objects)
      .filter((o) => o.kind === "Deployment")
      .flatMap((o) => {
        const template = (o.spec?.template ?? {}) as {
          spec?: { containers?: { name: string; image: string; imagePullPolicy?: string }[] };
        };
        return template.spec?.containers ?? [];
      })
      .filter((c) => c.image.startsWith("userapi"));
    expect(containers.length).toBeGreaterThanOrEqual(2);
    for (const c of containers) {
      expect(c.image).toBe("userapi:ci");
      expect(c.imagePullPolicy).toBe("IfNotPresent");
    }
  });

  it("runs the API as the Dockerfile's USER with a read-only root filesystem", () => {
    const user = parseDockerfile(readFileSync("Dockerfile", "utf8"))
      .final.instructions.filter((i) => i.getKeyword() === "USER")
      .at(-1)
      ?.getArgumentsContent();
    const [uid, gid] = (user ?? "").split(":").map(Number);
    const pods = readDir(out)
      .flatMap((f) => f.objects)
      .filter((o) => o.kind === "Deployment")
      .map((o) => (o.spec?.template ?? {}) as PodTemplate)
      .filter((t) => t.spec?.containers?.some((c) => c.image === "userapi:ci"));
    expect(pods.length).toBeGreaterThanOrEqual(2);
    for (const pod of pods) {
      expect(pod.spec?.securityContext).toMatchObject({ runAsUser: uid, runAsGroup: gid });
      const api = pod.spec?.containers?.find((c) => c.image === "userapi:ci");
      expect(api?.securityContext?.readOnlyRootFilesystem).toBe(true);
    }
  });

  it("differs from dist/ only in the API image", () => {
    const strip = (dir: string) =>
      readdirSync(dir)
        .sort()
        .map((f) =>
          readFileSync(join(dir, f), "utf8").replace(/image: \S*userapi:\S+/g, "image: <api>"),
        );
    expect(readdirSync(out).sort()).toEqual(readdirSync("dist").sort());
    expect(strip(out)).toEqual(strip("dist"));
  });
});
