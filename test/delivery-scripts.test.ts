/**
 * scripts/*.sh: shellcheck-clean bash with strict mode, checksum-verified tool
 * downloads, and the kind flow's wiring. Docker, kind, kubectl and istioctl
 * cannot run here, so the flow runs against fakes on PATH that record every
 * call; the downloads are served from file:// URLs.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  accessSync,
  chmodSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "..");
// biome-ignore lint/style/noProcessEnv: the scripts run with a minimal env; HOME is the one value taken over
const HOME = process.env.HOME ?? "/root";
const scripts = readdirSync(join(ROOT, "scripts"))
  .filter((f) => f.endsWith(".sh"))
  .sort();
const temps: string[] = [];
const temp = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `userapi-${prefix}-`));
  temps.push(dir);
  return dir;
};
const forwardPids: number[] = [];
afterAll(() => {
  // Fake port-forwards a failing script may have left behind.
  for (const pid of forwardPids) if (isRunning(pid)) process.kill(pid, "SIGKILL");
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const hasShellcheck = spawnSync("sh", ["-c", "command -v shellcheck"]).status === 0;
const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const arch = process.arch === "arm64" ? "arm64" : "amd64";

describe("scripts/*.sh", () => {
  it("include the whole kind flow", () => {
    expect(scripts).toEqual(
      expect.arrayContaining([
        "kind-up.sh",
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

  it("pin kind, its node image (by digest) and Istio in lib.sh", () => {
    const value = (name: string) =>
      execFileSync("bash", ["-c", `source scripts/lib.sh && printf %s "$${name}"`], {
        cwd: ROOT,
        encoding: "utf8",
      });
    expect(value("KIND_VERSION")).toMatch(/^v\d+\.\d+\.\d+$/);
    expect(value("KIND_NODE_IMAGE")).toMatch(/^kindest\/node:v\d+\.\d+\.\d+@sha256:[a-f0-9]{64}$/);
    expect(value("ISTIO_VERSION")).toBe("1.30.3");
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

describe("ensure_istioctl and ensure_kind", () => {
  /** A release folder laid out like the real download sites, served as file://. */
  function release(tamper: boolean) {
    const dir = temp("release");
    const work = temp("work");
    writeFileSync(join(work, "istioctl"), "#!/bin/sh\necho 1.30.3\n");
    chmodSync(join(work, "istioctl"), 0o755);
    const istioDir = join(dir, "istio", "1.30.3");
    mkdirSync(istioDir, { recursive: true });
    const archive = join(istioDir, `istioctl-1.30.3-linux-${arch}.tar.gz`);
    execFileSync("tar", ["-czf", archive, "-C", work, "istioctl"]);
    const archiveDigest = sha256(readFileSync(archive));
    writeFileSync(
      `${archive}.sha256`,
      `${tamper ? sha256("x") : archiveDigest}  ${archive.split("/").at(-1)}\n`,
    );
    const kindDir = join(dir, "kind", "v0.31.0");
    mkdirSync(kindDir, { recursive: true });
    const kindBinary = "#!/bin/sh\necho 'kind v0.31.0 go1.25 linux/amd64'\n";
    writeFileSync(join(kindDir, `kind-linux-${arch}`), kindBinary);
    writeFileSync(
      join(kindDir, `kind-linux-${arch}.sha256sum`),
      `${tamper ? sha256("x") : sha256(kindBinary)}  kind-linux-${arch}\n`,
    );
    return {
      ISTIO_RELEASES_URL: `file://${dir}/istio`,
      KIND_RELEASES_URL: `file://${dir}/kind`,
      TOOLS_DIR: temp("tools"),
    };
  }

  it.skipIf(process.platform !== "linux")(
    "download, verify and put the pinned versions first on PATH",
    () => {
      const env = release(false);
      const result = bash(
        "ensure_istioctl && ensure_kind && command -v istioctl kind && istioctl && kind version",
        env,
      );
      expect(result.stderr).toMatch(/verified sha256 [a-f0-9]{64} {2}istioctl-1\.30\.3-linux-/);
      expect(result.status).toBe(0);
      expect(result.stdout.split("\n")).toEqual([
        join(env.TOOLS_DIR, "istio-1.30.3", "istioctl"),
        join(env.TOOLS_DIR, "kind-v0.31.0", "kind"),
        "1.30.3",
        "kind v0.31.0 go1.25 linux/amd64",
        "",
      ]);
    },
  );

  it.skipIf(process.platform !== "linux")("install nothing when the checksum differs", () => {
    const env = release(true);
    const istio = bash("ensure_istioctl", env);
    expect(istio.status).not.toBe(0);
    expect(istio.stderr).toContain("checksum mismatch");
    expect(existsSync(join(env.TOOLS_DIR, "istio-1.30.3", "istioctl"))).toBe(false);
    const kind = bash("ensure_kind", env);
    expect(kind.status).not.toBe(0);
    expect(existsSync(join(env.TOOLS_DIR, "kind-v0.31.0", "kind"))).toBe(false);
  });
});

/**
 * Fake docker, kind, kubectl, istioctl and npm. Each appends its argv to
 * $FAKE_LOG; behaviour that matters is switchable through FAKE_* variables.
 */
function fakeTools(): { bin: string; log: string; env: Record<string, string> } {
  const bin = temp("bin");
  const log = join(temp("log"), "calls.log");
  writeFileSync(log, "");
  const tools: Record<string, string> = {
    docker: `exit 0`,
    kind: `
case "$1" in
  version) echo "kind v0.31.0 go1.25 linux/amd64" ;;
  get) printf '%s\\n' \${FAKE_CLUSTERS:-} ;;
esac`,
    istioctl: `
args=" $* "
case "$args" in
  *" version --remote=false "*) echo "1.30.3" ;;
  *" analyze "*) exit "\${FAKE_ANALYZE_EXIT:-0}" ;;
esac`,
    kubectl: `
[ "$1" = "--context" ] && shift 2
args=" $* "
case "$args" in
  *" --dry-run=server "*)
    n=$(( $(cat "$FAKE_LOG.webhook" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$FAKE_LOG.webhook"
    [ "$n" -ge "\${FAKE_WEBHOOK_READY_AFTER:-1}" ] || { echo "webhook not ready" >&2; exit 1; } ;;
  *" get -f "*) printf 'userapi\\nmonitoring\\n' ;;
  *" get deployments,statefulsets,daemonsets -o name "*)
    case "$args" in *" -n userapi "*) printf 'deployment.apps/userapi-v1\\nstatefulset.apps/redis\\n' ;; esac ;;
  *" get pods -o name "*) echo "pod/userapi-v1-abc" ;;
  *" port-forward "*) echo "$$" >> "$FAKE_LOG.forwards"; echo "Forwarding from 127.0.0.1 -> 80"; exec sleep 300 ;;
esac`,
    npm: `
case "$*" in
  "run --silent synth")
    echo "synth-env USERAPI_OUTDIR=$USERAPI_OUTDIR USERAPI_IMAGE=$USERAPI_IMAGE USERAPI_TAG=$USERAPI_TAG USERAPI_IMAGE_PULL_POLICY=$USERAPI_IMAGE_PULL_POLICY USERAPI_V1_WEIGHT=$USERAPI_V1_WEIGHT USERAPI_V2_WEIGHT=$USERAPI_V2_WEIGHT" >> "$FAKE_LOG"
    printf 'apiVersion: v1\\nkind: Namespace\\nmetadata: {name: userapi}\\n' > "$USERAPI_OUTDIR/00-namespace.k8s.yaml" ;;
  "run --silent smoke "*) exit "\${FAKE_SMOKE_EXIT:-0}" ;;
esac`,
  };
  for (const [name, body] of Object.entries(tools)) {
    const path = join(bin, name);
    writeFileSync(
      path,
      `#!/usr/bin/env bash\necho "${name} $*" >> "$FAKE_LOG"\n${body.trim()}\nexit 0\n`,
    );
    chmodSync(path, 0o755);
  }
  return {
    bin,
    log,
    env: {
      FAKE_LOG: log,
      TOOLS_DIR: temp("tools"),
      HOME,
      PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
    },
  };
}

function runScript(script: string, env: Record<string, string>) {
  return spawnSync(join(ROOT, "scripts", script), [], {
    cwd: ROOT,
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const calls = (log: string) =>
  readFileSync(log, "utf8")
    .split("\n")
    .filter((line) => line !== "");

describe("the kind flow against fake tools", () => {
  it("kind-up.sh creates the cluster from the pinned node image and waits for the nodes", () => {
    const fake = fakeTools();
    const result = runScript("kind-up.sh", fake.env);
    expect(result.status, result.stderr).toBe(0);
    const log = calls(fake.log);
    const create = log.find((c) => c.startsWith("kind create cluster"));
    expect(create).toMatch(
      /--name userapi --image kindest\/node:v1\.35\.0@sha256:[a-f0-9]{64} --config \S+\/scripts\/kind\/cluster\.yaml/,
    );
    expect(log).toContain(
      "kubectl --context kind-userapi wait --for=condition=Ready nodes --all --timeout=180s",
    );
  });

  it("kind-up.sh leaves an existing cluster alone", () => {
    const fake = fakeTools();
    const result = runScript("kind-up.sh", { ...fake.env, FAKE_CLUSTERS: "userapi" });
    expect(result.status, result.stderr).toBe(0);
    expect(calls(fake.log).some((c) => c.startsWith("kind create"))).toBe(false);
  });

  it("install-istio.sh installs 1.30.3 from Istio's mirror and waits for the webhook", () => {
    const fake = fakeTools();
    const result = runScript("install-istio.sh", { ...fake.env, FAKE_WEBHOOK_READY_AFTER: "2" });
    expect(result.status, result.stderr).toBe(0);
    const log = calls(fake.log);
    expect(log).toContain(
      "istioctl --context kind-userapi install -y --set profile=default --set hub=gcr.io/istio-release --set tag=1.30.3 --set components.cni.enabled=true",
    );
    expect(log).toContain(
      "kubectl --context kind-userapi -n istio-system rollout status deployment/istiod --timeout=300s",
    );
    expect(log).toContain(
      "kubectl --context kind-userapi -n istio-system rollout status deployment/istio-ingressgateway --timeout=300s",
    );
    expect(log.filter((c) => c.includes("--dry-run=server"))).toHaveLength(2);
  }, 30_000);

  it("deploy.sh synthesizes with the fresh image and weights, applies, and waits for each rollout", () => {
    const fake = fakeTools();
    const result = runScript("deploy.sh", {
      ...fake.env,
      IMAGE_TAG: "ci",
      USERAPI_V1_WEIGHT: "10",
      USERAPI_V2_WEIGHT: "90",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = calls(fake.log);
    const synth = log.find((c) => c.startsWith("synth-env "));
    expect(synth).toMatch(
      / USERAPI_IMAGE=userapi USERAPI_TAG=ci USERAPI_IMAGE_PULL_POLICY=IfNotPresent USERAPI_V1_WEIGHT=10 USERAPI_V2_WEIGHT=90$/,
    );
    const outdir = /USERAPI_OUTDIR=(\S+)/.exec(synth ?? "")?.[1] ?? "";
    expect(outdir).not.toBe("dist");
    expect(log).toContain(`kubectl --context kind-userapi apply -f ${outdir}`);
    expect(log).toContain(
      "kubectl --context kind-userapi -n userapi rollout status deployment.apps/userapi-v1 --timeout=300s",
    );
    expect(log).toContain(
      "kubectl --context kind-userapi -n userapi rollout status statefulset.apps/redis --timeout=300s",
    );
    rmSync(outdir, { recursive: true, force: true });
  });

  it("analyze.sh fails when istioctl analyze reports errors", () => {
    const fake = fakeTools();
    const result = runScript("analyze.sh", { ...fake.env, FAKE_ANALYZE_EXIT: "79" });
    expect(result.status).toBe(79);
    expect(calls(fake.log)).toContain(
      "istioctl --context kind-userapi analyze --all-namespaces --failure-threshold=Error",
    );
  });

  it("analyze.sh DIR analyzes files offline", () => {
    const fake = fakeTools();
    const result = spawnSync(join(ROOT, "scripts", "analyze.sh"), ["dist"], {
      cwd: ROOT,
      encoding: "utf8",
      env: fake.env,
    });
    expect(result.status, result.stderr).toBe(0);
    const analyze = calls(fake.log).find((c) => c.includes(" analyze "));
    expect(analyze).toMatch(
      /^istioctl analyze --use-kube=false --failure-threshold=Error --suppress IST0101=Gateway \* dist\/\S+\.yaml/,
    );
  });

  it("smoke.sh port-forwards the ingress gateway, runs the smoke client, then stops the forward", () => {
    const fake = fakeTools();
    const result = runScript("smoke.sh", {
      ...fake.env,
      USERAPI_V1_WEIGHT: "10",
      USERAPI_V2_WEIGHT: "90",
    });
    expect(result.status, result.stderr).toBe(0);
    const log = calls(fake.log);
    expect(log).toContain(
      "kubectl --context kind-userapi -n istio-system port-forward svc/istio-ingressgateway 18080:80",
    );
    expect(log).toContain(
      "npm run --silent smoke -- --base-url http://127.0.0.1:18080 --requests 400 --v1-weight 10 --v2-weight 90 --wait-seconds 90",
    );
    // The fake port-forward exec'd into `sleep 300`; smoke.sh must have stopped it.
    const pids = readFileSync(`${fake.log}.forwards`, "utf8").split("\n").filter(Boolean);
    forwardPids.push(...pids.map(Number));
    expect(pids).toHaveLength(1);
    for (const pid of pids) expect(isRunning(Number(pid)), `port-forward ${pid}`).toBe(false);
  });

  it("smoke.sh fails when the smoke client fails", () => {
    const fake = fakeTools();
    const result = runScript("smoke.sh", { ...fake.env, FAKE_SMOKE_EXIT: "1" });
    expect(result.status).toBe(1);
    const pids = readFileSync(`${fake.log}.forwards`, "utf8").split("\n").filter(Boolean);
    forwardPids.push(...pids.map(Number));
    for (const pid of pids) expect(isRunning(Number(pid)), `port-forward ${pid}`).toBe(false);
  });

  it("kind-e2e.sh runs every step in order and deletes the cluster", () => {
    const fake = fakeTools();
    const result = runScript("kind-e2e.sh", { ...fake.env, IMAGE_TAG: "ci" });
    expect(result.status, result.stderr).toBe(0);
    const steps = calls(fake.log)
      .map((c) =>
        [
          ["docker build", "build"],
          ["kind create cluster", "kind-up"],
          ["kind load docker-image userapi:ci", "load-image"],
          ["istioctl --context kind-userapi install", "install-istio"],
          ["kubectl --context kind-userapi apply -f", "deploy"],
          ["istioctl --context kind-userapi analyze", "analyze"],
          ["npm run --silent smoke", "smoke"],
          ["kind delete cluster --name userapi", "kind-down"],
        ].find(([prefix]) => c.startsWith(prefix ?? "")),
      )
      .filter((step) => step !== undefined)
      .map((step) => step[1]);
    expect(steps).toEqual([
      "build",
      "kind-up",
      "load-image",
      "install-istio",
      "deploy",
      "analyze",
      "smoke",
      "kind-down",
    ]);
  }, 30_000);

  it("kind-e2e.sh prints diagnostics and still deletes the cluster when a step fails", () => {
    const fake = fakeTools();
    const result = runScript("kind-e2e.sh", {
      ...fake.env,
      SKIP_BUILD: "1",
      FAKE_SMOKE_EXIT: "3",
    });
    expect(result.status).toBe(3);
    const log = calls(fake.log);
    expect(log.some((c) => c.startsWith("docker build"))).toBe(false);
    expect(log).toContain("kubectl --context kind-userapi get events -A --sort-by=.lastTimestamp");
    expect(log).toContain(
      "kubectl --context kind-userapi -n userapi logs pod/userapi-v1-abc --all-containers --prefix --tail=300",
    );
    expect(log.at(-1)).toBe("kind delete cluster --name userapi");
    expect(result.stdout).toContain("===== events =====");
  }, 30_000);

  it("kind-e2e.sh keeps the cluster with KEEP_CLUSTER=1", () => {
    const fake = fakeTools();
    const result = runScript("kind-e2e.sh", { ...fake.env, SKIP_BUILD: "1", KEEP_CLUSTER: "1" });
    expect(result.status, result.stderr).toBe(0);
    expect(calls(fake.log).some((c) => c.startsWith("kind delete"))).toBe(false);
  }, 30_000);

  it("load-image.sh refuses to run without the image built", () => {
    const fake = fakeTools();
    writeFileSync(join(fake.bin, "docker"), "#!/usr/bin/env bash\nexit 1\n");
    const result = runScript("load-image.sh", fake.env);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain("image userapi:dev not found locally");
  });
});
