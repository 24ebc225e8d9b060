/**
 * The Dockerfile's policies, read statically: what a build cannot show.
 * A pinned, selectable base; multi-stage with a final stage that runs no
 * build step; npm ci without install scripts; a numeric user that is not
 * Istio's; no remote ADD and no VOLUME. What the built image holds and how it
 * runs is checked by building and running it (delivery-image.test.ts).
 */
import { readFileSync } from "node:fs";
import { Add, Copy, DockerfileParser, Run, User } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import {
  baseImageOf,
  expandArgs,
  nodeBaseOf,
  parseDockerfile,
} from "../scripts/docker/dockerfile.js";
import { NODE_IMAGE_ARG } from "../scripts/docker/project-images.js";

const text = readFileSync("Dockerfile", "utf8");
const model = parseDockerfile(text);
const dockerfile = model.parsed;
const finalInstructions = model.final.instructions;

/** A semver-like version tag (e.g. 24.12.0-bookworm-slim) and a digest. */
function isPinned(image: string): boolean {
  const parsed = DockerfileParser.parse(`FROM ${image}`).getFROMs()[0];
  const tag = parsed?.getImageTag();
  const digest = parsed?.getImageDigest();
  return (
    typeof digest === "string" &&
    /^sha256:[a-f0-9]{64}$/.test(digest) &&
    typeof tag === "string" &&
    /^\d+\.\d+\.\d+/.test(tag)
  );
}

describe("Dockerfile", () => {
  it("pins every external base image to a full version and a digest", () => {
    const external = model.stages.map((s) => baseImageOf(model, s));
    expect(external.length).toBeGreaterThan(0);
    for (const image of external) expect(isPinned(image), image).toBe(true);
    expect(isPinned("node:24.12.0-bookworm-slim")).toBe(false);
    expect(isPinned(`node:24@sha256:${"a".repeat(64)}`)).toBe(false);
  });

  it(`selects the base with the ${NODE_IMAGE_ARG} build argument, defaulting to the pinned image`, () => {
    expect(Object.keys(model.args)).toEqual([NODE_IMAGE_ARG]);
    const raw = dockerfile.getFROMs().map((from) => from.getImage());
    expect(raw[0]).toBe(`\${${NODE_IMAGE_ARG}}`);
    expect(baseImageOf(model)).toBe(model.args[NODE_IMAGE_ARG]);
    expect(expandArgs(`\${${NODE_IMAGE_ARG}}`, { [NODE_IMAGE_ARG]: "mirror/node:x" })).toBe(
      "mirror/node:x",
    );
  });

  it("builds on a Node.js LTS image (an even major version, 22 or newer) on Debian", () => {
    const base = nodeBaseOf(model);
    const major = Number(base.nodeVersion.split(".")[0]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    expect(base.debianSuite).toBe("bookworm");
    expect(base.digest).toMatch(/^sha256:/);
  });

  it("is multi-stage and the final stage runs no build tool", () => {
    expect(model.stages.length).toBeGreaterThanOrEqual(3);
    expect(finalInstructions.filter((i) => i instanceof Run)).toEqual([]);
  });

  it("installs dependencies with npm ci --ignore-scripts, production-only for the final image", () => {
    const runs = model.stages.flatMap((stage) =>
      stage.instructions
        .filter((i) => i instanceof Run)
        .map((i) => ({ stage: stage.name, command: i.getArgumentsContent() ?? "" })),
    );
    const installs = runs.filter((r) => /\bnpm (ci|install|i)\b/.test(r.command));
    expect(installs.length).toBeGreaterThanOrEqual(2);
    for (const install of installs) {
      expect(install.command).toMatch(/^npm ci\b/);
      expect(install.command).toContain("--ignore-scripts");
    }
    // node_modules of the final image comes from a stage that installs with --omit=dev.
    const copy = finalInstructions.find(
      (i): i is Copy =>
        i instanceof Copy && (i.getArgumentsContent() ?? "").includes("node_modules"),
    );
    const depsStage = copy?.getFromFlag()?.getValue();
    expect(depsStage).toBeTruthy();
    const depsInstall = runs.find((r) => r.stage === depsStage && r.command.startsWith("npm ci"));
    expect(depsInstall?.command).toContain("--omit=dev");
  });

  it("runs the final stage as a numeric non-root user and group (not Istio's 1337)", () => {
    const user = finalInstructions.filter((i) => i instanceof User).at(-1);
    const value = user?.getArgumentsContent()?.trim() ?? "";
    expect(value).toMatch(/^\d+:\d+$/);
    const [uid, gid] = value.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(uid).not.toBe(1337);
  });

  it("never ADDs (downloads belong in a verified RUN step, if anywhere)", () => {
    expect(dockerfile.getInstructions().filter((i) => i instanceof Add)).toEqual([]);
  });

  it("declares no VOLUME: the image writes nothing at runtime (read-only root filesystem)", () => {
    expect(dockerfile.getInstructions().filter((i) => i.getKeyword() === "VOLUME")).toEqual([]);
  });

  it("only FROMs earlier stages by name or the pinned base", () => {
    const names = new Set<string>();
    for (const stage of model.stages) {
      expect(names.has(stage.from) || isPinned(stage.from), stage.from).toBe(true);
      names.add(stage.name);
    }
  });
});
