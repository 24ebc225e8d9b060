import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VirtualService } from "@kubernetes-models/istio/networking.istio.io/v1";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { readManifests } from "../../charts/lib/checks.js";
import {
  FIELD_MANAGER,
  kubectl,
  kubernetesSplitter,
  virtualServiceManifests,
} from "./kubernetes-splitter.js";

const ROOT = join(import.meta.dirname, "..", "..");
// biome-ignore lint/suspicious/noExplicitAny: manifests are untyped JSON
type Doc = any;

describe("virtualServiceManifests", () => {
  it("with the chart's default weights is exactly the VirtualService in dist/", () => {
    const committed = readManifests(join(ROOT, "dist"))
      .map((e) => e.doc as Doc)
      .filter((d) => d.kind === "VirtualService");
    expect(virtualServiceManifests({}, { v1: 25, v2: 75 })).toEqual(committed);
  });

  it("carries the step's weights and nothing but VirtualServices", () => {
    const docs: Doc[] = virtualServiceManifests({}, { v1: 75, v2: 25 });
    expect(docs.map((d) => `${d.kind}/${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      "VirtualService/userapi/userapi-ingress",
    ]);
    const split = docs[0].spec.http.find((r: Doc) => r.name === "split");
    expect(split.route.map((r: Doc) => [r.destination.subset, r.weight])).toEqual([
      ["v1", 75],
      ["v2", 25],
    ]);
    for (const doc of docs) expect(() => new VirtualService(doc).validate()).not.toThrow();
  });

  it("leaves a track at 0 % out of the split (the pinned routes stay)", () => {
    const [vs]: Doc[] = virtualServiceManifests({}, { v1: 0, v2: 100 });
    expect(vs.spec.http.map((r: Doc) => r.name)).toEqual(["pin-v1", "pin-v2", "split"]);
    expect(vs.spec.http[2].route.map((r: Doc) => r.destination.subset)).toEqual(["v2"]);
  });

  it("keeps the operator's chart settings (hosts) and refuses bad ones", () => {
    const [vs]: Doc[] = virtualServiceManifests(
      { USERAPI_HOSTS: "api.example.com" },
      { v1: 50, v2: 50 },
    );
    expect(vs.spec.hosts).toEqual(["api.example.com"]);
    expect(() =>
      virtualServiceManifests({ USERAPI_HOSTS: "bad host" }, { v1: 50, v2: 50 }),
    ).toThrow(/USERAPI_HOSTS/);
  });

  it("never writes dist/", () => {
    const before = readFileSync(join(ROOT, "dist", "20-userapi.k8s.yaml"), "utf8");
    virtualServiceManifests({ USERAPI_OUTDIR: "dist" }, { v1: 10, v2: 90 });
    expect(readFileSync(join(ROOT, "dist", "20-userapi.k8s.yaml"), "utf8")).toBe(before);
  });
});

describe("kubernetesSplitter", () => {
  it("server-side applies only the VirtualServices, under its own field manager and the context", async () => {
    const calls: [readonly string[], string][] = [];
    const splitter = kubernetesSplitter({
      env: {},
      context: "kind-userapi",
      run: async (args, input) => {
        calls.push([args, input]);
        return "";
      },
    });
    await splitter.setWeights({ v1: 50, v2: 50 });
    expect(calls).toHaveLength(1);
    const [args, input] = calls[0] ?? [[], ""];
    expect(args).toEqual([
      "--context",
      "kind-userapi",
      "apply",
      "--server-side",
      "--force-conflicts",
      `--field-manager=${FIELD_MANAGER}`,
      "-f",
      "-",
    ]);
    const docs = parseAllDocuments(input).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(["VirtualService"]);
    expect(docs[0].spec.http[2].route.map((r: Doc) => r.weight)).toEqual([50, 50]);
  });

  it("rejects when kubectl fails, so the driver can roll back", async () => {
    const splitter = kubernetesSplitter({
      env: {},
      run: async () => {
        throw new Error("kubectl apply failed (exit 1): forbidden");
      },
    });
    await expect(splitter.setWeights({ v1: 75, v2: 25 })).rejects.toThrow(/forbidden/);
  });
});

describe("kubectl", () => {
  it("passes the manifests on stdin and fails with kubectl's stderr", async () => {
    const dir = mkdtempSync(join(tmpdir(), "userapi-kubectl-"));
    try {
      const fake = join(dir, "kubectl");
      writeFileSync(
        fake,
        '#!/bin/sh\ncat > "$(dirname "$0")/stdin"\necho "$*" > "$(dirname "$0")/args"\n[ "$1" = fail ] && { echo "error: denied" >&2; exit 1; }\necho applied\n',
      );
      chmodSync(fake, 0o755);
      await expect(
        kubectl(["apply", "-f", "-"], "kind: VirtualService\n", 10_000, fake),
      ).resolves.toBe("applied\n");
      expect(readFileSync(join(dir, "stdin"), "utf8")).toBe("kind: VirtualService\n");
      expect(readFileSync(join(dir, "args"), "utf8")).toBe("apply -f -\n");
      await expect(kubectl(["fail"], "", 10_000, fake)).rejects.toThrow(
        "kubectl fail failed (exit 1): error: denied",
      );
      await expect(kubectl([], "", 10_000, join(dir, "missing"))).rejects.toThrow(/could not run/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
