/**
 * scripts/*.sh: shellcheck-clean bash with strict mode, checksum-verified tool
 * downloads, and the kind flow's wiring. Docker, kind, kubectl and istioctl
 * cannot run here, so the flow runs against fakes on PATH that record every
 * call (test/support/kind-fakes.ts); the downloads are served from file://
 * URLs. The replayed flow must issue the README's kind sequence in order.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULTS } from "../charts/config.js";
import { DEV_AUDIENCE, DEV_ISSUER } from "../scripts/token/dev-key.js";
import {
  clusterAnswersFromDist,
  commandOf,
  FAKE_PASSWORD,
  type FakeTools,
  fakeTools,
  firstMissingInOrder,
  HOME,
  libValues,
  ROOT,
  readmeKindSequence,
  runScript,
  tempFolders,
} from "./support/kind-fakes.js";

const VERSION = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version as string;
const scripts = readdirSync(join(ROOT, "scripts"))
  .filter((f) => f.endsWith(".sh"))
  .sort();
const { temp, cleanupAll } = tempFolders();
const forwardPids: number[] = [];
afterAll(() => {
  // Fake port-forwards a failing script may have left behind.
  for (const pid of forwardPids) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  cleanupAll();
});

const hasShellcheck = spawnSync("sh", ["-c", "command -v shellcheck"]).status === 0;
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
// Release asset names for this machine, as lib.sh spells them (Istio calls macOS "osx").
const arch = process.arch === "arm64" ? "arm64" : "amd64";
const os = process.platform === "darwin" ? "darwin" : "linux";
const istioAsset = os === "linux" ? `linux-${arch}` : arch === "arm64" ? "osx-arm64" : "osx";
const fakes = (): FakeTools => fakeTools(temp);

const lib = libValues([
  "KIND_VERSION",
  "KIND_NODE_IMAGE",
  "KUBECTL_VERSION",
  "ISTIO_VERSION",
  "ISTIO_HUB",
  "IMAGE",
  "DEFAULT_IMAGE_TAG",
  "AUTH_KEY_DIR",
  "KIND_MANIFESTS_DIR",
  "KIND_AUTH_ISSUER",
  "KIND_AUTH_AUDIENCE",
]);

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("scripts/*.sh", () => {
  it("include the whole kind flow", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        "tools.sh",
        "kind-up.sh",
        "install-metrics-server.sh",
        "load-image.sh",
        "install-istio.sh",
        "deploy.sh",
        "analyze.sh",
        "smoke.sh",
        "diagnose.sh",
        "kind-down.sh",
        "kind-e2e.sh",
        "lib.sh",
      ]),
    );
  });

  it.each(scripts)("%s parses (bash -n)", (script) => {
    expect(() => execFileSync("bash", ["-n", join(ROOT, "scripts", script)])).not.toThrow();
  });

  it.each(scripts.filter((s) => s !== "lib.sh"))(
    "%s is an executable bash script in strict mode that sources lib.sh",
    (script) => {
      const path = join(ROOT, "scripts", script);
      const text = readFileSync(path, "utf8");
      expect(text.startsWith("#!/usr/bin/env bash\n")).toBe(true);
      // diagnose.sh runs after a failure and must not stop at the first one.
      const strict = script === "diagnose.sh" ? "set -uo pipefail" : "set -euo pipefail";
      expect(text).toMatch(new RegExp(`^${strict}$`, "m"));
      expect(text).toMatch(/^source "\$\(dirname "\$\{BASH_SOURCE\[0\]\}"\)\/lib\.sh"$|lib\.sh"$/m);
      expect(() => accessSync(path, constants.X_OK)).not.toThrow();
    },
  );

  it("pass shellcheck (including the sourced lib.sh)", () => {
    if (!hasShellcheck) {
      throw new Error(
        "shellcheck not found: install it (Debian/Ubuntu: apt-get install -y shellcheck)",
      );
    }
    const result = spawnSync("shellcheck", ["-x", ...scripts.map((s) => join("scripts", s))], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });

  it("pin kind, its node image (by digest), kubectl, Istio and Istio's image hub in lib.sh", () => {
    expect(lib.KIND_VERSION).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(lib.KIND_NODE_IMAGE).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/);
    // kubectl of the node image's Kubernetes version.
    const node = /^kindest\/node:(v\d+\.\d+\.\d+)@/.exec(lib.KIND_NODE_IMAGE)?.[1];
    expect(lib.KUBECTL_VERSION).toBe(node);
    expect(lib.ISTIO_VERSION).toBe("1.30.3");
    expect(lib.ISTIO_HUB).toBe("docker.io/istio");
  });

  it("default to the image userapi:<package.json version>", () => {
    expect(lib.IMAGE).toBe(`userapi:${VERSION}`);
    expect(lib.DEFAULT_IMAGE_TAG).toBe(VERSION);
  });

  it("keep each cluster's signing key in the git-ignored .auth/, with the chart's and the token tool's issuer and audience", () => {
    expect(lib.AUTH_KEY_DIR).toBe(join(ROOT, ".auth", "kind-userapi"));
    expect(lib.KIND_MANIFESTS_DIR).toBe(join(ROOT, ".auth", "kind-userapi", "dist"));
    expect(lib.KIND_AUTH_ISSUER).toBe(DEFAULTS.auth.issuer);
    expect(lib.KIND_AUTH_ISSUER).toBe(DEV_ISSUER);
    expect(lib.KIND_AUTH_AUDIENCE).toBe(DEFAULTS.auth.audience);
    expect(lib.KIND_AUTH_AUDIENCE).toBe(DEV_AUDIENCE);
  });
});

/** Runs a bash snippet with lib.sh sourced; PATH holds only `bin` and the system dirs. */
function bash(snippet: string, env: Record<string, string> = {}, bin?: string) {
  return spawnSync("bash", ["-c", `source scripts/lib.sh && ${snippet}`], {
    cwd: ROOT,
    encoding: "utf8",
    env: {
      HOME,
      PATH: [bin, "/usr/local/bin", "/usr/bin", "/bin"].filter(Boolean).join(":"),
      ...env,
    },
  });
}

describe("fetch_verified", () => {
  const dir = temp("fetch");
  writeFileSync(join(dir, "tool"), "the tool\n");
  const digest = sha256("the tool\n");
  const url = `file://${dir}/tool`;

  it("keeps the download when it matches the published .sha256 file", () => {
    writeFileSync(join(dir, "tool.sha256"), `${digest}  tool\n`);
    const dest = join(temp("dest"), "tool");
    const result = bash(`fetch_verified "${url}" "${dest}"`);
    expect(result.stderr).toContain(`verified sha256 ${digest}`);
    expect(result.status).toBe(0);
    expect(readFileSync(dest, "utf8")).toBe("the tool\n");
  });

  it("reads a bare digest without a file name (dl.k8s.io's kubectl.sha256)", () => {
    writeFileSync(join(dir, "tool.sha256"), digest);
    const dest = join(temp("dest"), "tool");
    expect(bash(`fetch_verified "${url}" "${dest}"`).status).toBe(0);
    expect(existsSync(dest)).toBe(true);
  });

  it("reads the checksum from another suffix (kind publishes .sha256sum)", () => {
    writeFileSync(join(dir, "tool.sha256sum"), `${digest}  tool\n`);
    const dest = join(temp("dest"), "tool");
    expect(bash(`fetch_verified "${url}" "${dest}" .sha256sum`).status).toBe(0);
    expect(existsSync(dest)).toBe(true);
  });

  it("refuses a download whose digest differs, and leaves nothing behind", () => {
    writeFileSync(join(dir, "tool.sha256"), `${sha256("another tool\n")}  tool\n`);
    const dest = join(temp("dest"), "tool");
    const result = bash(`fetch_verified "${url}" "${dest}"`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("checksum mismatch");
    expect(existsSync(dest)).toBe(false);
  });

  it("refuses a checksum file without a digest", () => {
    writeFileSync(join(dir, "tool.sha256"), "<html>not found</html>\n");
    const dest = join(temp("dest"), "tool");
    const result = bash(`fetch_verified "${url}" "${dest}"`);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("no SHA-256 digest");
    expect(existsSync(dest)).toBe(false);
  });

  it("fails when the checksum file is missing", () => {
    const dest = join(temp("dest"), "tool");
    const result = bash(`fetch_verified "file://${dir}/absent" "${dest}"`);
    expect(result.status).not.toBe(0);
    expect(existsSync(dest)).toBe(false);
  });
});

describe("ensure_kind, ensure_kubectl, ensure_istioctl and scripts/tools.sh", () => {
  /** Release folders laid out like the real download sites, served as file://. */
  function release(tamper: boolean) {
    const dir = temp("release");
    const work = temp("work");
    const digestOf = (content: string | Buffer) => (tamper ? sha256("x") : sha256(content));
    writeFileSync(join(work, "istioctl"), "#!/bin/sh\necho 1.30.3\n");
    chmodSync(join(work, "istioctl"), 0o755);
    const istioDir = join(dir, "istio", "1.30.3");
    mkdirSync(istioDir, { recursive: true });
    const archive = join(istioDir, `istioctl-1.30.3-${istioAsset}.tar.gz`);
    execFileSync("tar", ["-czf", archive, "-C", work, "istioctl"]);
    writeFileSync(
      `${archive}.sha256`,
      `${digestOf(readFileSync(archive))}  ${archive.split("/").at(-1)}\n`,
    );
    const kindDir = join(dir, "kind", "v0.31.0");
    mkdirSync(kindDir, { recursive: true });
    const kindBinary = "#!/bin/sh\necho 'kind v0.31.0 go1.25 linux/amd64'\n";
    writeFileSync(join(kindDir, `kind-${os}-${arch}`), kindBinary);
    writeFileSync(
      join(kindDir, `kind-${os}-${arch}.sha256sum`),
      `${digestOf(kindBinary)}  kind-${os}-${arch}\n`,
    );
    const kubectlDir = join(dir, "k8s", "v1.35.0", "bin", os, arch);
    mkdirSync(kubectlDir, { recursive: true });
    const kubectlBinary = "#!/bin/sh\necho 'Client Version: v1.35.0'\n";
    writeFileSync(join(kubectlDir, "kubectl"), kubectlBinary);
    writeFileSync(join(kubectlDir, "kubectl.sha256"), digestOf(kubectlBinary));
    return {
      ISTIO_RELEASES_URL: `file://${dir}/istio`,
      KIND_RELEASES_URL: `file://${dir}/kind`,
      KUBECTL_RELEASES_URL: `file://${dir}/k8s`,
      TOOLS_DIR: temp("tools"),
    };
  }

  it("download, verify and put the pinned versions first on PATH", () => {
    const env = release(false);
    const result = bash(
      "ensure_istioctl && ensure_kind && ensure_kubectl && command -v istioctl kind kubectl && istioctl && kind version && kubectl version --client",
      env,
    );
    expect(result.stderr).toMatch(/verified sha256 [a-f0-9]{64} {2}istioctl-1\.30\.3-/);
    expect(result.stderr).toMatch(/verified sha256 [a-f0-9]{64} {2}kubectl/);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      join(env.TOOLS_DIR, "istio-1.30.3", "istioctl"),
      join(env.TOOLS_DIR, "kind-v0.31.0", "kind"),
      join(env.TOOLS_DIR, "kubectl-v1.35.0", "kubectl"),
      "1.30.3",
      "kind v0.31.0 go1.25 linux/amd64",
      "Client Version: v1.35.0",
      "",
    ]);
  });

  it("install nothing when the checksum differs", () => {
    const env = release(true);
    for (const [fn, path] of [
      ["ensure_istioctl", join("istio-1.30.3", "istioctl")],
      ["ensure_kind", join("kind-v0.31.0", "kind")],
      ["ensure_kubectl", join("kubectl-v1.35.0", "kubectl")],
    ] as const) {
      const result = bash(fn, env);
      expect(result.status, fn).not.toBe(0);
      expect(result.stderr, fn).toContain("checksum mismatch");
      expect(existsSync(join(env.TOOLS_DIR, path)), fn).toBe(false);
    }
  });

  it("tools.sh prints the PATH line to eval, with the downloaded tools first", () => {
    const env = release(false);
    const result = runScript("tools.sh", { HOME, PATH: "/usr/local/bin:/usr/bin:/bin", ...env });
    expect(result.status, result.stderr).toBe(0);
    const line = result.stdout.trim();
    expect(line).toMatch(/^export PATH=\S+:"\$PATH"$/);
    const resolved = spawnSync(
      "bash",
      ["-c", `${line} && command -v kind kubectl istioctl && kubectl version --client`],
      { encoding: "utf8", env: { HOME, PATH: "/usr/bin:/bin" } },
    );
    expect(resolved.stdout.split("\n")).toEqual([
      join(env.TOOLS_DIR, "kind-v0.31.0", "kind"),
      join(env.TOOLS_DIR, "kubectl-v1.35.0", "kubectl"),
      join(env.TOOLS_DIR, "istio-1.30.3", "istioctl"),
      "Client Version: v1.35.0",
      "",
    ]);
  });

  it("tools.sh --github-path prints one directory a line for $GITHUB_PATH", () => {
    const env = release(false);
    const result = runScript("tools.sh", { HOME, PATH: "/usr/local/bin:/usr/bin:/bin", ...env }, [
      "--github-path",
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout.split("\n")).toEqual([
      join(env.TOOLS_DIR, "kind-v0.31.0"),
      join(env.TOOLS_DIR, "kubectl-v1.35.0"),
      join(env.TOOLS_DIR, "istio-1.30.3"),
      "",
    ]);
  });

  it("tools.sh keeps tools already on PATH in the pinned versions (no download)", () => {
    const fake = fakes();
    const result = runScript("tools.sh", fake.env, ["--github-path"]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toBe(`${fake.bin}\n`);
    expect(readdirSync(fake.env.TOOLS_DIR ?? "")).toEqual([]);
  });
});

describe("kind-up.sh", () => {
  it("creates the cluster from the pinned node image and the port-mapping config, then waits for the nodes", () => {
    const fake = fakes();
    const result = runScript("kind-up.sh", fake.env);
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    expect(log).toContain(
      `kind create cluster --name userapi --image ${lib.KIND_NODE_IMAGE} --config scripts/kind/cluster.yaml --wait 180s`,
    );
    expect(log).toContain("kubectl wait --for=condition=Ready nodes --all --timeout=180s");
  });

  it("leaves an existing cluster alone, and keeps its signing key", () => {
    const fake = fakes();
    mkdirSync(fake.authKeyDir, { recursive: true });
    writeFileSync(join(fake.authKeyDir, "private.jwk.json"), "existing");
    writeFileSync(join(fake.authKeyDir, "jwks.json"), "existing");
    const result = runScript("kind-up.sh", { ...fake.env, FAKE_CLUSTERS: "userapi" });
    expect(result.status, result.stderr).toBe(0);
    expect(fake.calls().some((c) => c.startsWith("kind create"))).toBe(false);
    expect(fake.calls().some((c) => c.startsWith("npm"))).toBe(false);
    expect(readFileSync(join(fake.authKeyDir, "private.jwk.json"), "utf8")).toBe("existing");
  });

  it("gives a new cluster a fresh signing key (a leftover key of that name is replaced)", () => {
    const fake = fakes();
    mkdirSync(join(fake.authKeyDir, "dist"), { recursive: true });
    writeFileSync(join(fake.authKeyDir, "private.jwk.json"), "old cluster's key");
    writeFileSync(join(fake.authKeyDir, "jwks.json"), "old");
    writeFileSync(join(fake.authKeyDir, "dist", "20-userapi.k8s.yaml"), "old");
    const result = runScript("kind-up.sh", fake.env);
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    const create = log.findIndex((c) => c.startsWith("kind create cluster"));
    const mint = log.indexOf("npm run -s token -- --key-dir .auth/kind-userapi");
    expect(mint).toBeGreaterThan(create);
    expect(log).toContain("key-created .auth/kind-userapi");
    expect(readFileSync(join(fake.authKeyDir, "private.jwk.json"), "utf8")).not.toContain("old");
    expect(existsSync(join(fake.authKeyDir, "dist"))).toBe(false);
  });

  it("raises low inotify limits before creating the cluster, with sudo when not root", () => {
    const fake = fakes();
    const result = runScript("kind-up.sh", {
      ...fake.env,
      FAKE_INOTIFY_LOW: "1",
      FAKE_UID: "1001",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.calls();
    const raise = log.indexOf(
      "sudo sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512",
    );
    expect(raise).toBeGreaterThanOrEqual(0);
    expect(raise).toBeLessThan(log.findIndex((c) => c.startsWith("kind create cluster")));
  });

  it("raises them without sudo as root", () => {
    const fake = fakes();
    const result = runScript("kind-up.sh", { ...fake.env, FAKE_INOTIFY_LOW: "1", FAKE_UID: "0" });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.calls();
    expect(log).toContain(
      "sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512",
    );
    expect(log.some((c) => c.startsWith("sudo"))).toBe(false);
  });

  it("never lowers limits that are already higher", () => {
    const fake = fakes();
    const result = runScript("kind-up.sh", { ...fake.env, FAKE_UID: "1001" });
    expect(result.status, result.stderr).toBe(0);
    expect(fake.calls().some((c) => c.includes("sysctl -w"))).toBe(false);
  });

  it("leaves the host alone on macOS and Windows (Docker Desktop's VM has its own limits)", () => {
    const fake = fakes();
    const result = runScript("kind-up.sh", {
      ...fake.env,
      FAKE_INOTIFY_LOW: "1",
      FAKE_UNAME: "Darwin",
    });
    expect(result.status, result.stderr).toBe(0);
    expect(fake.calls().some((c) => c.startsWith("sysctl") || c.startsWith("sudo"))).toBe(false);
  });

  it("stops with the command to run when the limits cannot be raised", () => {
    const fake = fakes();
    writeFileSync(join(fake.bin, "sudo"), "#!/usr/bin/env bash\nexit 1\n");
    const result = runScript("kind-up.sh", {
      ...fake.env,
      FAKE_INOTIFY_LOW: "1",
      FAKE_UID: "1001",
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "run: sudo sysctl -w fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512",
    );
    expect(fake.calls().some((c) => c.startsWith("kind create"))).toBe(false);
  });
});

describe("install-metrics-server.sh", () => {
  it("applies the committed manifest and waits for the metrics API, with timeouts", () => {
    const fake = fakes();
    const result = runScript("install-metrics-server.sh", fake.env);
    expect(result.status, result.stderr).toBe(0);
    expect(fake.normalizedCalls().filter((c) => !c.includes("version --client"))).toEqual([
      "kubectl apply -f scripts/kind/metrics-server.yaml",
      "kubectl -n kube-system rollout status deployment/metrics-server --timeout=300s",
      "kubectl wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout=300s",
    ]);
  });
});

describe("install-istio.sh", () => {
  it("installs 1.30.3 from docker.io/istio with CNI and the kind overlay, and waits for everything", () => {
    const fake = fakes();
    const result = runScript("install-istio.sh", {
      ...fake.env,
      FAKE_WEBHOOK_READY_AFTER: "3",
      WEBHOOK_RETRY_SECONDS: "0",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    expect(log).toContain(
      "istioctl install -y --set profile=default --set hub=docker.io/istio --set tag=1.30.3 --set components.cni.enabled=true --set components.cni.namespace=istio-system -f scripts/kind/istio-kind.yaml",
    );
    for (const workload of [
      "deployment/istiod",
      "deployment/istio-ingressgateway",
      "daemonset/istio-cni-node",
    ]) {
      expect(log).toContain(`kubectl -n istio-system rollout status ${workload} --timeout=300s`);
    }
    expect(
      log.filter((c) => c === "kubectl apply --dry-run=server -f scripts/kind/webhook-probe.yaml"),
    ).toHaveLength(3);
  });

  it("fails when the webhook never answers (the wait is bounded)", () => {
    const fake = fakes();
    const result = runScript("install-istio.sh", {
      ...fake.env,
      FAKE_WEBHOOK_READY_AFTER: "1000",
      WEBHOOK_RETRY_SECONDS: "0",
    });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("validating webhook did not become ready");
    expect(fake.calls().filter((c) => c.includes("--dry-run=server"))).toHaveLength(61);
  });
});

describe("deploy.sh", () => {
  const dist = clusterAnswersFromDist();

  it("synthesizes with the cluster's JWKS into AUTH_KEY_DIR/dist and applies that, never dist/", () => {
    const fake = fakes();
    const result = runScript("deploy.sh", { ...fake.env, ...dist });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    // No key yet (no kind-up.sh): deploy.sh makes it before the synth needs its jwks.json.
    const mint = log.indexOf("npm run -s token -- --key-dir .auth/kind-userapi");
    const synth = log.findIndex((c) => c.startsWith("synth-env "));
    expect(mint).toBeGreaterThanOrEqual(0);
    expect(mint).toBeLessThan(synth);
    expect(log[synth]).toBe(
      `synth-env USERAPI_OUTDIR=.auth/kind-userapi/dist USERAPI_IMAGE=userapi USERAPI_TAG=${VERSION} USERAPI_IMAGE_PULL_POLICY=IfNotPresent USERAPI_V1_WEIGHT=25 USERAPI_V2_WEIGHT=75 AUTH_JWKS_FILE=.auth/kind-userapi/jwks.json AUTH_ISSUER=userapi-dev AUTH_AUDIENCE=userapi`,
    );
    expect(log).toContain("kubectl apply -f .auth/kind-userapi/dist");
    expect(log.some((c) => / -f dist( |$)/.test(c))).toBe(false);
    expect(existsSync(join(fake.authKeyDir, "dist", "00-namespace.k8s.yaml"))).toBe(true);
    expect(log).toContain("kubectl -n userapi rollout status deployment/userapi-v1 --timeout=300s");
    expect(log).toContain("kubectl -n userapi rollout status statefulset/redis --timeout=300s");
    expect(log).toContain(
      "kubectl -n userapi wait hpa --all --for=condition=ScalingActive --timeout=300s",
    );
    // Every wait is bounded.
    for (const call of log.filter((c) => / rollout status | wait /.test(c))) {
      expect(call).toMatch(/ --timeout=\d+s/);
    }
  });

  it("uses an existing key, and passes the image and weights overrides to the synth", () => {
    const fake = fakes();
    mkdirSync(fake.authKeyDir, { recursive: true });
    writeFileSync(join(fake.authKeyDir, "private.jwk.json"), "k");
    writeFileSync(join(fake.authKeyDir, "jwks.json"), "{}");
    const result = runScript("deploy.sh", {
      ...fake.env,
      IMAGE_REPO: "ghcr.io/acme/userapi",
      IMAGE_TAG: "ci",
      USERAPI_V1_WEIGHT: "10",
      USERAPI_V2_WEIGHT: "90",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.calls();
    expect(log.some((c) => c.startsWith("npm run -s token"))).toBe(false);
    expect(log.find((c) => c.startsWith("synth-env "))).toContain(
      " USERAPI_IMAGE=ghcr.io/acme/userapi USERAPI_TAG=ci USERAPI_IMAGE_PULL_POLICY=IfNotPresent USERAPI_V1_WEIGHT=10 USERAPI_V2_WEIGHT=90 ",
    );
  });

  it("stops before applying anything when the synth fails", () => {
    const fake = fakes();
    const result = runScript("deploy.sh", { ...fake.env, FAKE_TOKEN_EXIT: "1" });
    expect(result.status).not.toBe(0);
    expect(fake.calls().some((c) => c.includes(" apply "))).toBe(false);
  });

  it("creates Grafana's admin Secret before applying, with a password never shown", () => {
    const fake = fakes();
    const result = runScript("deploy.sh", { ...fake.env, ...dist });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    const create = log.indexOf(
      "kubectl -n monitoring create secret generic grafana-admin --from-literal=admin-user=admin --from-file=admin-password=/dev/stdin",
    );
    expect(log.indexOf("kubectl create namespace monitoring --save-config")).toBeLessThan(create);
    expect(create).toBeLessThan(log.indexOf("kubectl apply -f .auth/kind-userapi/dist"));
    // The password reached kubectl through its stdin, without the newline...
    expect(readFileSync(`${fake.log}.secret`, "utf8")).toBe(FAKE_PASSWORD);
    // ...and nowhere else: not in any argument, not on the screen.
    expect(readFileSync(fake.log, "utf8")).not.toContain(FAKE_PASSWORD);
    expect(result.stdout + result.stderr).not.toContain(FAKE_PASSWORD);
    expect(result.stderr).toContain(
      "kubectl -n monitoring get secret grafana-admin -o jsonpath='{.data.admin-password}' | base64 -d",
    );
  });

  it("keeps an existing Secret and namespace", () => {
    const fake = fakes();
    const result = runScript("deploy.sh", {
      ...fake.env,
      ...dist,
      FAKE_MONITORING_NAMESPACE: "1",
      FAKE_GRAFANA_SECRET: "1",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.calls();
    expect(log.some((c) => c.includes(" create "))).toBe(false);
    expect(existsSync(`${fake.log}.secret`)).toBe(false);
    expect(result.stderr).toContain("Secret monitoring/grafana-admin exists: kept");
  });

  it("fails when an HPA gets no metrics in time, and shows the HPAs", () => {
    const fake = fakes();
    const result = runScript("deploy.sh", { ...fake.env, ...dist, FAKE_HPA_WAIT_EXIT: "1" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("got no metrics within 300s");
    expect(fake.calls()).toContain("kubectl --context kind-userapi -n userapi describe hpa");
  });

  it("fails when an HPA reports no current CPU value", () => {
    const fake = fakes();
    const result = runScript("deploy.sh", { ...fake.env, ...dist, FAKE_HPA_CPU: "" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "HPA(s) without a current CPU metric in userapi: userapi-v1 userapi-v2",
    );
  });

  it("checks the HPAs of dist/ (both tracks)", () => {
    expect(dist.FAKE_HPAS_userapi).toBe("userapi-v1 userapi-v2");
  });
});

describe("analyze.sh", () => {
  const analyzeCalls = (fake: FakeTools) => fake.calls().filter((c) => c.includes(" analyze "));

  it("DIR: analyzes the files offline for all namespaces, one narrow suppression, text output", () => {
    const fake = fakes();
    const result = runScript("analyze.sh", fake.env, ["dist"]);
    expect(result.status, result.stderr).toBe(0);
    const files = readdirSync(join(ROOT, "dist"))
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => `dist/${f}`)
      .join(" ");
    const [probe, real] = analyzeCalls(fake);
    expect(probe).toMatch(
      new RegExp(
        `^istioctl analyze --use-kube=false -A --failure-threshold=Warning ${files} \\S+/analyze-probe\\.yaml$`,
      ),
    );
    expect(real).toBe(
      `istioctl analyze --use-kube=false -A --failure-threshold=Warning --suppress IST0173=DestinationRule userapi/userapi ${files}`,
    );
    expect(real).not.toMatch(/ -o | --output/);
    // The probe puts a known-bad object in each namespace of ours.
    const probeYaml = readFileSync(`${fake.log}.probe`, "utf8");
    expect(probeYaml).toContain("namespace: userapi");
    expect(probeYaml).toContain("namespace: monitoring");
    expect(result.stderr).toContain("sees userapi monitoring");
  });

  it("on the cluster: all namespaces, no suppression", () => {
    const fake = fakes();
    const result = runScript("analyze.sh", fake.env);
    expect(result.status, result.stderr).toBe(0);
    const [probe, real] = analyzeCalls(fake);
    expect(probe).toMatch(
      /^istioctl --context kind-userapi analyze -A --failure-threshold=Warning \S+\/analyze-probe\.yaml$/,
    );
    expect(real).toBe("istioctl --context kind-userapi analyze -A --failure-threshold=Warning");
  });

  it.each([[["dist"]], [[]]])(
    "fails when nothing of ours is analyzed (istioctl looks at 'default' only) (args %j)",
    (args) => {
      const fake = fakes();
      const result = runScript("analyze.sh", { ...fake.env, FAKE_ANALYZE_DEFAULT_ONLY: "1" }, args);
      expect(result.status).not.toBe(0);
      expect(result.stderr).toContain("nothing was reported about namespace userapi");
      expect(result.stderr).toContain("nothing was reported about namespace monitoring");
      expect(result.stderr).toContain("cannot be trusted");
      // The real run never happens.
      expect(analyzeCalls(fake)).toHaveLength(1);
    },
  );

  it("fails when a suppression hides nothing", () => {
    const fake = fakes();
    const result = runScript("analyze.sh", { ...fake.env, FAKE_NO_IST0173: "1" }, ["dist"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      "the suppression 'IST0173=DestinationRule userapi/userapi' hides nothing, drop it",
    );
  });

  it("fails when known errors do not fail istioctl", () => {
    const fake = fakes();
    const result = runScript("analyze.sh", { ...fake.env, FAKE_PROBE_EXIT_ZERO: "1" }, ["dist"]);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("it exited 0 on known errors");
  });

  it.each([[["dist"]], [[]]])(
    "fails on a finding at the threshold, printing it (args %j)",
    (args) => {
      const fake = fakes();
      const result = runScript("analyze.sh", { ...fake.env, FAKE_ANALYZE_WARNING: "1" }, args);
      expect(result.status).toBe(1);
      expect(result.stderr).toContain("Warning [IST0118] (Service userapi/redis");
      expect(result.stderr).toContain("reported issues at Warning or worse (exit 79)");
    },
  );

  it("rejects an unknown threshold and a folder without manifests", () => {
    const fake = fakes();
    const bad = runScript("analyze.sh", { ...fake.env, ANALYZE_FAILURE_THRESHOLD: "Fatal" });
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toContain("ANALYZE_FAILURE_THRESHOLD must be Info, Warning or Error");
    const empty = runScript("analyze.sh", fake.env, [temp("empty")]);
    expect(empty.status).not.toBe(0);
    expect(empty.stderr).toContain("no *.yaml manifests");
    expect(analyzeCalls(fake)).toEqual([]);
  });
});

describe("smoke.sh", () => {
  /** Fakes with the cluster's key in place, as after kind-up.sh. */
  const withKey = () => {
    const fake = fakes();
    mkdirSync(fake.authKeyDir, { recursive: true });
    writeFileSync(join(fake.authKeyDir, "private.jwk.json"), "k");
    writeFileSync(join(fake.authKeyDir, "jwks.json"), "{}");
    return fake;
  };

  it("goes through the gateway's NodePort on 127.0.0.1:30080 by default, with tokens of the cluster's key", () => {
    const fake = withKey();
    const result = runScript("smoke.sh", {
      ...fake.env,
      USERAPI_V1_WEIGHT: "10",
      USERAPI_V2_WEIGHT: "90",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    expect(log).toContain(
      "npm run smoke -- --base-url http://127.0.0.1:30080 --requests 400 --v1-weight 10 --v2-weight 90 --wait-seconds 90",
    );
    expect(log.some((c) => c.includes("port-forward"))).toBe(false);
    // Two tokens, minted with the token tool, reach the client through its environment only.
    expect(log).toContain(
      "npm run -s token -- --key-dir .auth/kind-userapi --sub smoke --scope users:read --scope users:write --ttl 15m --issuer userapi-dev --audience userapi",
    );
    expect(log).toContain(
      "npm run -s token -- --key-dir .auth/kind-userapi --sub smoke --scope users:read --ttl 15m --issuer userapi-dev --audience userapi",
    );
    expect(log).toContain(
      "smoke-env SMOKE_WRITE_TOKEN=fake.users:read+users:write.sig SMOKE_READ_TOKEN=fake.users:read.sig",
    );
    expect(log.find((c) => c.startsWith("npm run smoke"))).not.toContain("fake.");
  });

  it("stops before minting when the cluster has no signing key", () => {
    const fake = fakes();
    const result = runScript("smoke.sh", fake.env);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`no signing key in ${fake.authKeyDir}`);
    expect(fake.calls().some((c) => c.startsWith("npm"))).toBe(false);
    expect(existsSync(join(fake.authKeyDir, "private.jwk.json"))).toBe(false);
  });

  it("stops when a token cannot be minted, without running the client", () => {
    const fake = withKey();
    const result = runScript("smoke.sh", { ...fake.env, FAKE_TOKEN_EXIT: "2" });
    expect(result.status).not.toBe(0);
    expect(fake.calls().some((c) => c.startsWith("npm run smoke"))).toBe(false);
  });

  it("stops with the cause when the gateway has another nodePort", () => {
    const fake = withKey();
    const result = runScript("smoke.sh", { ...fake.env, FAKE_GATEWAY_NODE_PORT: "31380" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("http nodePort is '31380', not 30080");
    expect(fake.calls().some((c) => c.startsWith("npm"))).toBe(false);
  });

  it("SMOKE_VIA=port-forward forwards the gateway, runs the client, then stops the forward", () => {
    const fake = withKey();
    const result = runScript("smoke.sh", { ...fake.env, SMOKE_VIA: "port-forward" });
    expect(result.status, result.stderr).toBe(0);
    const log = fake.calls();
    expect(log).toContain(
      "kubectl --context kind-userapi -n istio-system port-forward svc/istio-ingressgateway 18080:80",
    );
    expect(log).toContain(
      "npm run smoke -- --base-url http://127.0.0.1:18080 --requests 400 --v1-weight 25 --v2-weight 75 --wait-seconds 90",
    );
    // The fake port-forward exec'd into `sleep 300`; smoke.sh must have stopped it.
    const pids = readFileSync(`${fake.log}.forwards`, "utf8").split("\n").filter(Boolean);
    forwardPids.push(...pids.map(Number));
    expect(pids).toHaveLength(1);
    for (const pid of pids) expect(isRunning(Number(pid)), `port-forward ${pid}`).toBe(false);
  });

  it("fails when the smoke client fails, and stops the forward", () => {
    const fake = withKey();
    const result = runScript("smoke.sh", {
      ...fake.env,
      SMOKE_VIA: "port-forward",
      FAKE_SMOKE_EXIT: "1",
    });
    expect(result.status).toBe(1);
    const pids = readFileSync(`${fake.log}.forwards`, "utf8").split("\n").filter(Boolean);
    forwardPids.push(...pids.map(Number));
    for (const pid of pids) expect(isRunning(Number(pid)), `port-forward ${pid}`).toBe(false);
  });

  it("rejects an unknown SMOKE_VIA", () => {
    const fake = withKey();
    const result = runScript("smoke.sh", { ...fake.env, SMOKE_VIA: "ingress" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("SMOKE_VIA must be nodeport or port-forward");
  });
});

describe("kind-e2e.sh", () => {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const sequence = readmeKindSequence(readme);
  const expected = sequence.map(commandOf).filter((c): c is string => c !== undefined);

  /** A whole run against the fakes, on a non-root Linux host with low inotify limits. */
  function e2e(extra: Record<string, string> = {}) {
    const fake = fakes();
    const result = runScript("kind-e2e.sh", {
      ...fake.env,
      ...clusterAnswersFromDist(),
      FAKE_INOTIFY_LOW: "1",
      FAKE_UID: "1001",
      WEBHOOK_RETRY_SECONDS: "0",
      CANARY_LOG_DIR: temp("canary-logs"),
      ...extra,
    });
    return { fake, result };
  }
  // One default run serves the tests that only read its record (computed on first use).
  let defaultRun: ReturnType<typeof e2e> | undefined;
  const recorded = () => {
    defaultRun ??= e2e();
    return defaultRun;
  };

  it("issues the README's kind sequence, command for command, in its order", () => {
    const { fake, result } = recorded();
    expect(result.status, result.stderr).toBe(0);
    expect(expected.length).toBeGreaterThan(20);
    expect(firstMissingInOrder(expected, fake.normalizedCalls())).toBeUndefined();
  });

  it("the comparison is live: a README step out of order or changed is caught", () => {
    const { fake } = recorded();
    const calls = fake.normalizedCalls();
    const swapped = [...expected];
    const load = swapped.findIndex((c) => c.startsWith("kind load"));
    const create = swapped.findIndex((c) => c.startsWith("kind create"));
    [swapped[load], swapped[create]] = [swapped[create] ?? "", swapped[load] ?? ""];
    expect(firstMissingInOrder(swapped, calls)).toBeDefined();
    const changed = expected.map((c) => c.replace("hub=docker.io/istio", "hub=quay.io/istio"));
    expect(firstMissingInOrder(changed, calls)).toMatch(/^istioctl install/);
  });

  it("README's sequence starts with the pinned tools, and every wait in it is bounded", () => {
    expect(sequence[0]).toMatch(/^eval "\$\(scripts\/tools\.sh\)"/);
    for (const line of sequence) {
      if (/ rollout status | wait /.test(line)) expect(line).toMatch(/ --timeout=\d+s/);
      if (line.startsWith("for ")) expect(line).toMatch(/^for i in \$\(seq \d+\); do /);
    }
    expect(sequence.join("\n")).not.toContain("port-forward");
    expect(sequence).toContain(`docker build -t userapi:${VERSION} .`);
    expect(sequence).toContain("kubectl apply -f .auth/kind-userapi/dist");
    expect(sequence.join("\n")).not.toMatch(/apply -f dist\b/);
  });

  it("makes one key for the cluster, deploys with it, smoke-tests with its tokens and deletes it", () => {
    const { fake, result } = recorded();
    expect(result.status, result.stderr).toBe(0);
    const log = fake.normalizedCalls();
    expect(log.filter((c) => c.startsWith("key-created "))).toEqual([
      "key-created .auth/kind-userapi",
    ]);
    expect(log.find((c) => c.startsWith("synth-env "))).toContain(
      "AUTH_JWKS_FILE=.auth/kind-userapi/jwks.json",
    );
    expect(log).toContain(
      "smoke-env SMOKE_WRITE_TOKEN=fake.users:read+users:write.sig SMOKE_READ_TOKEN=fake.users:read.sig",
    );
    expect(existsSync(join(fake.authKeyDir, "private.jwk.json"))).toBe(false);
  });

  it("builds the image userapi:<version>, runs every step in order and deletes the cluster", () => {
    const { fake, result } = recorded();
    expect(result.status, result.stderr).toBe(0);
    const steps = fake
      .normalizedCalls()
      .map(
        (c) =>
          [
            [`docker build -t userapi:${VERSION} .`, "build"],
            ["kind create cluster", "kind-up"],
            ["kubectl apply -f scripts/kind/metrics-server.yaml", "metrics-server"],
            [`kind load docker-image userapi:${VERSION}`, "load-image"],
            ["istioctl install", "install-istio"],
            ["kubectl apply -f .auth/kind-userapi/dist", "deploy"],
            ["istioctl analyze", "analyze"],
            ["npm run smoke", "smoke"],
            ["kind delete cluster --name userapi", "kind-down"],
          ].find(([prefix]) => c.startsWith(prefix ?? "")) ?? [],
      )
      .map((step) => step[1])
      .filter((step) => step !== undefined);
    expect([...new Set(steps)]).toEqual([
      "build",
      "kind-up",
      "metrics-server",
      "load-image",
      "install-istio",
      "deploy",
      "analyze",
      "smoke",
      "kind-down",
    ]);
  });

  it("prints diagnostics and still deletes the cluster when a step fails", () => {
    const { fake, result } = e2e({ SKIP_BUILD: "1", FAKE_SMOKE_EXIT: "3" });
    expect(result.status).toBe(3);
    const log = fake.calls();
    expect(log.some((c) => c.startsWith("docker build"))).toBe(false);
    expect(log).toContain("kubectl --context kind-userapi get events -A --sort-by=.lastTimestamp");
    expect(log).toContain("kubectl --context kind-userapi -n userapi describe hpa");
    expect(log).toContain(
      "kubectl --context kind-userapi -n userapi logs pod/userapi-v1-abc --all-containers --prefix --tail=300",
    );
    expect(log.at(-1)).toBe("kind delete cluster --name userapi");
    expect(result.stdout).toContain("===== events =====");
  });

  it("stops before creating anything when the pinned tools cannot be had", () => {
    const fake = fakes();
    // A kind of another version on PATH, and no reachable download.
    writeFileSync(
      join(fake.bin, "kind"),
      "#!/usr/bin/env bash\necho 'kind v0.20.0 go1.20 linux/amd64'\n",
    );
    const result = runScript("kind-e2e.sh", {
      ...fake.env,
      SKIP_BUILD: "1",
      KIND_RELEASES_URL: `file://${temp("no-releases")}`,
    });
    expect(result.status).not.toBe(0);
    // Once, by tools.sh: the flow stops there instead of trying again in kind-up.sh.
    expect(result.stderr.match(/Installing kind v0\.31\.0/g)).toHaveLength(1);
    expect(fake.calls().some((c) => / create | apply /.test(c))).toBe(false);
  });

  it("keeps the cluster with KEEP_CLUSTER=1", () => {
    const { fake, result } = e2e({ SKIP_BUILD: "1", KEEP_CLUSTER: "1" });
    expect(result.status, result.stderr).toBe(0);
    expect(fake.calls().some((c) => c.startsWith("kind delete"))).toBe(false);
  });
});

describe("kind-down.sh", () => {
  it("deletes the cluster and its signing key, and nothing else in the key folder", () => {
    const fake = fakes();
    mkdirSync(join(fake.authKeyDir, "dist"), { recursive: true });
    for (const file of ["private.jwk.json", "jwks.json", "notes.txt", "dist/20-userapi.k8s.yaml"]) {
      writeFileSync(join(fake.authKeyDir, file), "x");
    }
    const result = runScript("kind-down.sh", fake.env);
    expect(result.status, result.stderr).toBe(0);
    expect(fake.calls()).toContain("kind delete cluster --name userapi");
    expect(readdirSync(fake.authKeyDir)).toEqual(["notes.txt"]);
  });
});

describe("load-image.sh", () => {
  it("refuses to run without the image built, naming the build command", () => {
    const fake = fakes();
    const result = runScript("load-image.sh", { ...fake.env, FAKE_DOCKER_IMAGE_EXIT: "1" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `image userapi:${VERSION} not found locally: build it first (docker build -t userapi:${VERSION} .)`,
    );
  });
});
