/**
 * The Dockerfile and .dockerignore, checked statically (no Docker engine here):
 * pinned base, multi-stage, production-only final stage, numeric non-root user,
 * no remote ADD, node started directly in exec form, NODE_ENV=production.
 */
import { readFileSync } from "node:fs";
import { Add, Copy, DockerfileParser, Env, type From, Run, User } from "dockerfile-ast";
import { describe, expect, it } from "vitest";
import {
  baseImageOf,
  dockerignoreMatcher,
  execForm,
  parseDockerfile,
} from "../scripts/dockerless-build.js";

const text = readFileSync("Dockerfile", "utf8");
const dockerfile = DockerfileParser.parse(text);
const model = parseDockerfile(text);
const finalInstructions = model.final.instructions;

/** A semver-like version tag (e.g. 24.12.0-bookworm-slim) or a digest. */
function isPinned(image: string): boolean {
  const parsed = DockerfileParser.parse(`FROM ${image}`).getFROMs()[0];
  const tag = parsed?.getImageTag();
  const digest = parsed?.getImageDigest();
  if (digest && /^sha256:[a-f0-9]{64}$/.test(digest)) return true;
  return tag !== null && tag !== undefined && tag !== "latest" && /^\d+\.\d+\.\d+/.test(tag);
}

describe("Dockerfile", () => {
  it("pins every external base image to a full version (and a digest)", () => {
    const external = model.stages.map((s) => baseImageOf(model, s));
    expect(external.length).toBeGreaterThan(0);
    for (const image of external) {
      expect(isPinned(image), image).toBe(true);
      expect(image).toMatch(/@sha256:[a-f0-9]{64}$/);
    }
  });

  it("builds on a Node.js LTS image (an even major version, 22 or newer)", () => {
    const image = baseImageOf(model, model.final);
    const match = /^node:(\d+)\.\d+\.\d+/.exec(image);
    expect(match, image).not.toBeNull();
    const major = Number(match?.[1]);
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
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

  it("sets NODE_ENV=production in the final stage", () => {
    const env = Object.fromEntries(
      finalInstructions
        .filter((i) => i instanceof Env)
        .flatMap((i) => i.getProperties().map((p) => [p.getName(), p.getValue()])),
    );
    expect(env.NODE_ENV).toBe("production");
  });

  it("runs the final stage as a numeric non-root user and group (not Istio's 1337)", () => {
    const users = finalInstructions.filter((i) => i instanceof User);
    const user = users.at(-1)?.getArgumentsContent()?.trim() ?? "";
    expect(user).toMatch(/^\d+:\d+$/);
    const [uid, gid] = user.split(":").map(Number);
    expect(uid).toBeGreaterThan(0);
    expect(gid).toBeGreaterThan(0);
    expect(uid).not.toBe(1337);
  });

  it("never ADDs a URL (downloads belong in a verified RUN step, if anywhere)", () => {
    const adds = dockerfile.getInstructions().filter((i) => i instanceof Add);
    for (const add of adds) expect(add.getArgumentsContent()).not.toMatch(/https?:\/\//);
    expect(adds).toEqual([]);
  });

  it("starts node directly with an exec-form CMD, so SIGTERM reaches the server", () => {
    const cmds = dockerfile.getCMDs();
    expect(cmds).toHaveLength(1);
    expect(execForm(cmds[0] as NonNullable<(typeof cmds)[0]>)).toEqual([
      "node",
      "build/api/main.js",
    ]);
    expect(dockerfile.getENTRYPOINTs()).toEqual([]);
  });

  it("exposes 8080, the API's default PORT", () => {
    const expose = finalInstructions.find((i) => i.getKeyword() === "EXPOSE");
    expect(expose?.getArgumentsContent()).toBe("8080");
  });

  it("has a HEALTHCHECK that needs no curl (the slim image has none)", () => {
    const [healthcheck] = dockerfile.getHEALTHCHECKs();
    const command = healthcheck ? execForm(healthcheck) : undefined;
    expect(command?.[0]).toBe("node");
    expect(command?.join(" ")).toContain("/health");
    expect(command?.join(" ")).not.toMatch(/\b(curl|wget)\b/);
  });

  it("declares no VOLUME and writes nothing at runtime (read-only root filesystem)", () => {
    expect(dockerfile.getInstructions().filter((i) => i.getKeyword() === "VOLUME")).toEqual([]);
  });

  it("only FROMs earlier stages by name or pinned external images", () => {
    const names = new Set<string>();
    for (const from of dockerfile.getFROMs() as From[]) {
      const image = from.getImage() ?? "";
      expect(names.has(image) || isPinned(image), image).toBe(true);
      names.add(from.getBuildStage() ?? "");
    }
  });
});

describe(".dockerignore", () => {
  const ignored = dockerignoreMatcher(readFileSync(".dockerignore", "utf8"));

  it("lets in exactly what the Dockerfile copies from the context", () => {
    const sources = model.stages.flatMap((stage) =>
      stage.instructions
        .filter((i) => i instanceof Copy && i.getFromFlag() === null)
        .flatMap((i) => {
          const args = i.getArguments().map((a) => a.getValue());
          return args.slice(0, -1);
        }),
    );
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) expect(ignored(source), source).toBe(false);
    expect(ignored("api/main.ts")).toBe(false);
    expect(ignored("api/store/lua/create-user-2.lua")).toBe(false);
  });

  it.each([
    "node_modules/hono/package.json",
    "build/api/main.js",
    "dist/0000-userapi.k8s.yaml",
    "test/support/redis-server.ts",
    "api/routes/users/users.test.ts",
    "api/routes/users/__snapshots__/users.test.ts.snap",
    "charts/main.ts",
    "scripts/smoke/main.ts",
    ".env",
    ".git/HEAD",
    "compose.yaml",
    "README.md",
    "coverage/index.html",
  ])("keeps %s out of the build context", (path) => {
    expect(ignored(path)).toBe(true);
  });
});

describe("dockerignoreMatcher", () => {
  it("applies the last matching rule, with ! re-including", () => {
    const match = dockerignoreMatcher("*\n!src/\nsrc/**/*.spec.js\n# comment\n");
    expect(match("README.md")).toBe(true);
    expect(match("src/a.js")).toBe(false);
    expect(match("src/deep/a.spec.js")).toBe(true);
    expect(match("src/a.spec.js")).toBe(true);
  });

  it("treats a directory pattern as covering everything below it", () => {
    const match = dockerignoreMatcher("node_modules\n");
    expect(match("node_modules")).toBe(true);
    expect(match("node_modules/a/b.js")).toBe(true);
    expect(match("node_modules2/x")).toBe(false);
  });
});
