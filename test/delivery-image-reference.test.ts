/**
 * One API image everywhere: the chart's defaults, the committed dist/, the
 * scripts, the README's steps and the workflow's build and publish name the
 * same image, userapi:<package.json version>. So `kubectl apply -f dist`
 * runs the image the README builds and `kind load`s, the kind job tests the
 * committed dist/ unchanged, and a release tag publishes the tag the chart
 * defaults to.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { DEFAULTS } from "../charts/config.js";
import { readManifests } from "../charts/lib/checks.js";
import { libValues, ROOT, readmeKindSequence } from "./support/kind-fakes.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
const readme = readFileSync(join(ROOT, "README.md"), "utf8");
const image = `${DEFAULTS.image}:${DEFAULTS.tag}`;

const lib = libValues([
  "DEFAULT_IMAGE_REPO",
  "DEFAULT_IMAGE_TAG",
  "IMAGE",
  "DEFAULT_V1_WEIGHT",
  "DEFAULT_V2_WEIGHT",
]);

interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
}
interface Workload {
  kind: string;
  spec: {
    template: { metadata: { labels?: Record<string, string> }; spec: { containers: Container[] } };
  };
}
/** The containers of every API Deployment in dist/ (pods labelled app: userapi). */
const apiContainers = (): Container[] =>
  readManifests(join(ROOT, "dist"))
    .map((e) => e.doc as unknown as Workload)
    .filter((d) => d.kind === "Deployment" && d.spec.template.metadata.labels?.app === "userapi")
    .flatMap((d) => d.spec.template.spec.containers);

/** A GitHub Actions expression, `${{ EXPR }}`, as the workflow spells it. */
const gh = (expr: string) => `\${{ ${expr} }}`;

describe("the API image reference", () => {
  it("the chart defaults to userapi:<package.json version>, pulled only if not present", () => {
    expect(DEFAULTS.image).toBe("userapi");
    expect(DEFAULTS.tag).toBe(pkg.version);
    expect(DEFAULTS.imagePullPolicy).toBe("IfNotPresent");
  });

  it("dist/ runs exactly that image on both tracks", () => {
    const containers = apiContainers();
    expect(containers).toHaveLength(2);
    for (const container of containers) {
      expect(container.image).toBe(image);
      expect(container.imagePullPolicy).toBe("IfNotPresent");
    }
  });

  it("the scripts default to the same image and weights (deploy.sh synthesizes them with the cluster's JWKS)", () => {
    expect(lib.DEFAULT_IMAGE_REPO).toBe(DEFAULTS.image);
    expect(lib.DEFAULT_IMAGE_TAG).toBe(DEFAULTS.tag);
    expect(lib.IMAGE).toBe(image);
    expect(lib.DEFAULT_V1_WEIGHT).toBe(String(DEFAULTS.weights.v1));
    expect(lib.DEFAULT_V2_WEIGHT).toBe(String(DEFAULTS.weights.v2));
  });

  it("the README builds, loads and applies that image, and documents it as the default", () => {
    const sequence = readmeKindSequence(readme);
    expect(sequence).toContain(`docker build -t ${image} .`);
    expect(sequence).toContain(`kind load docker-image ${image} --name userapi`);
    expect(sequence).toContain("kubectl apply -f .auth/kind-userapi/dist");
    expect(readme).toContain(`| \`USERAPI_IMAGE\` | \`${DEFAULTS.image}\` |`);
    expect(readme).toContain(`It runs the API image \`${image}\``);
    // No other API image is named anywhere in the README.
    const named = [...readme.matchAll(/\buserapi:(\d+\.\d+\.\d+|dev|ci|latest)\b/g)].map(
      (m) => m[0],
    );
    expect(new Set(named)).toEqual(new Set([image]));
  });

  it("the README says how to run the published image of a release", () => {
    expect(readme).toContain(
      `USERAPI_IMAGE=ghcr.io/<owner>/<repo> USERAPI_TAG=${pkg.version} USERAPI_OUTDIR=`,
    );
    expect(readme).toContain(`IMAGE_REPO=ghcr.io/<owner>/<repo> IMAGE_TAG=${pkg.version}`);
  });

  it("the workflow builds that image and publishes it as ghcr.io/<owner>/<repo>:<version>", () => {
    const ci = parse(readFileSync(join(ROOT, ".github/workflows/ci.yaml"), "utf8")) as {
      env: Record<string, string>;
      jobs: Record<string, { steps: { uses?: string; with?: Record<string, unknown> }[] }>;
    };
    expect(ci.env.IMAGE_REPO).toBe(DEFAULTS.image);
    const steps = (name: string) => ci.jobs[name]?.steps ?? [];
    const build = steps("image").find((s) => s.uses?.startsWith("docker/build-push-action@"));
    expect(build?.with?.tags).toBe(
      `${gh("env.IMAGE_REPO")}:${gh("steps.version.outputs.version")}`,
    );
    const meta = steps("publish").find((s) => s.uses?.startsWith("docker/metadata-action@"));
    expect(meta?.with?.images).toBe(`ghcr.io/${gh("github.repository")}`);
    // A v<version> tag yields the tag <version>, the chart's default tag.
    expect(String(meta?.with?.tags).split("\n")).toContain("type=semver,pattern={{version}}");
  });
});
