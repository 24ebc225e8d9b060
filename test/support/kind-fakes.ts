/**
 * Recording fakes for the kind flow's tools (docker, kind, kubectl, istioctl,
 * npm (synth, smoke, token, canary), sysctl, sudo, id, uname, openssl). Each appends its argv to $FAKE_LOG and acts
 * like the real tool where the scripts depend on it; FAKE_* variables switch
 * the behaviour a test needs (a missing Secret, an HPA without metrics, an
 * istioctl that analyzes only "default", ...). Docker, kind, kubectl with a
 * cluster and istioctl cannot run on this machine: these fakes are how the
 * scripts' wiring is proven here, never the proof that a cluster works.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { readManifests } from "../../charts/lib/checks.js";

export const ROOT = resolve(import.meta.dirname, "..", "..");
/** The scripts run with a minimal env; HOME is the one value taken over. */
export const HOME = process.env.HOME ?? "/root";

/** The password the fake openssl "generates": a test looks for it in every output. */
export const FAKE_PASSWORD = "c0ffee".repeat(8);

const TOOLS: Record<string, string> = {
  docker: `
case "$1" in
  image) exit "\${FAKE_DOCKER_IMAGE_EXIT:-0}" ;;
esac`,
  kind: `
case "$1" in
  version) echo "kind v0.31.0 go1.25 linux/amd64" ;;
  get) printf '%s\\n' \${FAKE_CLUSTERS:-} ;;
esac`,
  istioctl: `
args=" $* "
case "$args" in
  *" version --remote=false "*) echo "1.30.3"; exit 0 ;;
  *" analyze "*) ;;
  *) exit 0 ;;
esac
# A small model of istioctl analyze: without -A (or with FAKE_ANALYZE_DEFAULT_ONLY)
# it looks at "default" only and reports nothing about other namespaces.
if [[ "$args" != *" -A "* || -n "\${FAKE_ANALYZE_DEFAULT_ONLY:-}" ]]; then
  echo "✔ No validation issues found when analyzing namespace: default." >&2
  exit 0
fi
probe=""
for a in "$@"; do case "$a" in *analyze-probe.yaml) probe="$a" ;; esac; done
errors=0
if [[ -n "$probe" ]]; then
  cp "$probe" "$FAKE_LOG.probe"
  for ns in $(sed -n 's/^  namespace: //p' "$probe"); do
    echo "Error [IST0101] (VirtualService $ns/analyze-probe $probe:3) Referenced host not found: \\"analyze-probe-missing.$ns.svc.cluster.local\\""
    errors=$((errors + 1))
  done
fi
# Offline there are no pods: every subset of a DestinationRule selects none.
if [[ "$args" == *" --use-kube=false "* && "$args" != *"IST0173=DestinationRule userapi/userapi"* && -z "\${FAKE_NO_IST0173:-}" ]]; then
  echo "Error [IST0173] (DestinationRule userapi/userapi dist/20-userapi.k8s.yaml:9) The Subset v1 defined in the DestinationRule does not select any pods."
  errors=$((errors + 1))
fi
if [[ -n "$probe" && -n "\${FAKE_PROBE_EXIT_ZERO:-}" ]]; then exit 0; fi
if [[ -z "$probe" && -n "\${FAKE_ANALYZE_WARNING:-}" ]]; then
  echo "Warning [IST0118] (Service userapi/redis dist/20-userapi.k8s.yaml:1) Port name foo does not follow the naming convention."
  errors=$((errors + 1))
fi
if [[ $errors -gt 0 ]]; then
  echo "Error: Analyzers found issues when analyzing all namespaces." >&2
  exit 79
fi
echo "✔ No validation issues found when analyzing all namespaces." >&2`,
  kubectl: `
[ "$1" = "--context" ] && shift 2
args=" $* "
ns=""; prev=""
for a in "$@"; do [ "$prev" = "-n" ] && ns="$a"; prev="$a"; done
key="$(printf '%s' "$ns" | tr -c 'A-Za-z0-9' _)"
listed() { eval "printf '%s\\n' \\\${$1_$key:-}"; }
case "$args" in
  *" version --client "*) echo "Client Version: v1.35.0"; echo "Kustomize Version: v5.7.1" ;;
  *" --dry-run=server "*)
    n=$(( $(cat "$FAKE_LOG.webhook" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$FAKE_LOG.webhook"
    [ "$n" -ge "\${FAKE_WEBHOOK_READY_AFTER:-1}" ] || { echo "webhook not ready" >&2; exit 1; } ;;
  *" get namespace monitoring "*)
    [ -n "\${FAKE_MONITORING_NAMESPACE:-}" ] || { echo 'Error from server (NotFound): namespaces "monitoring" not found' >&2; exit 1; } ;;
  *" get secret grafana-admin "*)
    [ -n "\${FAKE_GRAFANA_SECRET:-}" ] || { echo 'Error from server (NotFound): secrets "grafana-admin" not found' >&2; exit 1; } ;;
  *" create secret generic grafana-admin "*) cat > "$FAKE_LOG.secret"; echo "secret/grafana-admin created" ;;
  *" get -f "*) printf '%s\\n' \${FAKE_NAMESPACES:-userapi} ;;
  *" get deployments,statefulsets,daemonsets "*) listed FAKE_WORKLOADS ;;
  *" get hpa -o name "*) listed FAKE_HPAS | sed '/^$/d; s|^|horizontalpodautoscaler.autoscaling/|' ;;
  *" wait hpa "*) exit "\${FAKE_HPA_WAIT_EXIT:-0}" ;;
  *" get hpa -o jsonpath="*) for h in $(listed FAKE_HPAS); do echo "$h=\${FAKE_HPA_CPU-3m}"; done ;;
  *" get service istio-ingressgateway -o jsonpath="*) printf '%s' "\${FAKE_GATEWAY_NODE_PORT:-30080}" ;;
  *" get pods -o name "*) echo "pod/userapi-v1-abc" ;;
  *" port-forward "*) echo "$$" >> "$FAKE_LOG.forwards"; echo "Forwarding from 127.0.0.1 -> 80"; exec sleep 300 ;;
  *" get virtualservice userapi-ingress "*) cat "$FAKE_LOG.subsets" 2>/dev/null || printf v1 ;;
esac`,
  npm: `
case "$*" in
  "run synth")
    echo "synth-env USERAPI_OUTDIR=$USERAPI_OUTDIR USERAPI_IMAGE=$USERAPI_IMAGE USERAPI_TAG=$USERAPI_TAG USERAPI_IMAGE_PULL_POLICY=$USERAPI_IMAGE_PULL_POLICY USERAPI_V1_WEIGHT=$USERAPI_V1_WEIGHT USERAPI_V2_WEIGHT=$USERAPI_V2_WEIGHT AUTH_JWKS_FILE=\${AUTH_JWKS_FILE:-} AUTH_ISSUER=\${AUTH_ISSUER:-} AUTH_AUDIENCE=\${AUTH_AUDIENCE:-}" >> "$FAKE_LOG"
    [ -f "\${AUTH_JWKS_FILE:-/nonexistent}" ] || { echo "AUTH_JWKS_FILE: cannot read" >&2; exit 1; }
    printf 'apiVersion: v1\\nkind: Namespace\\nmetadata: {name: userapi}\\n' > "$USERAPI_OUTDIR/00-namespace.k8s.yaml"
    echo "synth-tracks USERAPI_V1_TAG=\${USERAPI_V1_TAG:-} USERAPI_V2_TAG=\${USERAPI_V2_TAG:-}" >> "$FAKE_LOG"
    # The split the synthesized VirtualService routes to, as the fake kubectl reports it once applied.
    if [ "$USERAPI_V2_WEIGHT" = 0 ]; then printf v1 > "$FAKE_LOG.subsets"; fi ;;
  "run -s token -- "*)
    # Like the token tool: the key is created on first use in --key-dir; prints a token.
    dir=""; prev=""; scopes=""
    for a in "$@"; do
      [ "$prev" = "--key-dir" ] && dir="$a"
      [ "$prev" = "--scope" ] && scopes="$scopes+$a"
      prev="$a"
    done
    [ -n "\${FAKE_TOKEN_EXIT:-}" ] && { echo "token: failed" >&2; exit "$FAKE_TOKEN_EXIT"; }
    mkdir -p "$dir"
    [ -f "$dir/private.jwk.json" ] || { echo '{"kty":"EC"}' > "$dir/private.jwk.json"; echo '{"keys":[]}' > "$dir/jwks.json"; echo "key-created $dir" >> "$FAKE_LOG"; }
    # FAKE_TOKEN (even empty) replaces the token printed.
    printf '%s\\n' "\${FAKE_TOKEN-fake.\${scopes#+}.sig}" ;;
  "run smoke "*)
    echo "smoke-env SMOKE_WRITE_TOKEN=\${SMOKE_WRITE_TOKEN:-} SMOKE_READ_TOKEN=\${SMOKE_READ_TOKEN:-}" >> "$FAKE_LOG"
    exit "\${FAKE_SMOKE_EXIT:-0}" ;;
  "run -s canary "*)
    # A rollout: its log (named by --log) says how it ended, and the split is left where it would be.
    echo "canary-env USERAPI_TOKEN=\${USERAPI_TOKEN:-}" >> "$FAKE_LOG"
    case " $* " in *" --rollback "*) printf v1 > "$FAKE_LOG.subsets"; exit 0 ;; esac
    log=""; prev=""; for a in "$@"; do [ "$prev" = "--log" ] && log="$a"; prev="$a"; done
    case "$log" in
      *rollback.json) set -- \${FAKE_CANARY_ROLLBACK:-rolled-back 1 v1} ;;
      *) set -- \${FAKE_CANARY_PROMOTION:-promoted 0 v2} ;;
    esac
    printf '{"outcome":"%s","steps":[{"tracks":{"v2":{"sources":{"mesh":{"errors":%s}}}}}]}' "$1" "\${FAKE_CANARY_MESH_ERRORS:-12}" > "$log"
    printf '%s' "$3" > "$FAKE_LOG.subsets"
    exit "$2" ;;
esac`,
  sysctl: `
case "$1" in
  -n)
    if [ -n "\${FAKE_INOTIFY_LOW:-}" ]; then
      case "$2" in fs.inotify.max_user_watches) echo 8192 ;; fs.inotify.max_user_instances) echo 128 ;; esac
    else
      echo 1048576
    fi ;;
  -w) shift; for s in "$@"; do echo "$s" | sed 's/=/ = /'; done ;;
esac`,
  sudo: `exec "$@"`,
  id: `
[ "$1" = "-u" ] && echo "\${FAKE_UID:-0}"`,
  // The scripts' Linux-only steps (inotify limits) follow FAKE_UNAME, whatever runs the tests.
  uname: `
case "$1" in -s) echo "\${FAKE_UNAME:-Linux}" ;; -m) echo x86_64 ;; esac`,
  openssl: `
[ "$1 $2" = "rand -hex" ] && echo "${FAKE_PASSWORD}"`,
};

export interface FakeTools {
  readonly bin: string;
  readonly log: string;
  /** The cluster's key folder (AUTH_KEY_DIR), in a temp folder; normalized to .auth/kind-userapi. */
  readonly authKeyDir: string;
  readonly env: Record<string, string>;
  /** The recorded calls, one `tool arg...` line each. */
  calls(): string[];
  /** The recorded calls without `--context kind-userapi` and with paths relative to the repository. */
  normalizedCalls(): string[];
}

/** A fresh set of fakes in its own temporary folders; `cleanup()` removes them. */
export function fakeTools(temp: (prefix: string) => string): FakeTools {
  const bin = temp("bin");
  const log = join(temp("log"), "calls.log");
  writeFileSync(log, "");
  for (const [name, body] of Object.entries(TOOLS)) {
    const path = join(bin, name);
    writeFileSync(
      path,
      `#!/usr/bin/env bash\necho "${name} $*" >> "$FAKE_LOG"\n${body.trim()}\nexit 0\n`,
    );
    chmodSync(path, 0o755);
  }
  const calls = () =>
    readFileSync(log, "utf8")
      .split("\n")
      .filter((line) => line !== "");
  // Never the repository's own .auth/: a folder of the test's, shown as the default.
  const authKeyDir = join(temp("auth"), "kind-userapi");
  return {
    bin,
    log,
    authKeyDir,
    env: {
      FAKE_LOG: log,
      TOOLS_DIR: temp("tools"),
      HOME,
      PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
      AUTH_KEY_DIR: authKeyDir,
    },
    calls,
    normalizedCalls: () =>
      calls().map((c) =>
        c
          .replace(/ --context kind-\S+/, "")
          .replaceAll(authKeyDir, ".auth/kind-userapi")
          .replaceAll(`${ROOT}/`, ""),
      ),
  };
}

/** Temporary folders for one test file, removed by `cleanupAll()`. */
export function tempFolders() {
  const made: string[] = [];
  return {
    temp: (prefix: string) => {
      const dir = mkdtempSync(join(tmpdir(), `userapi-${prefix}-`));
      made.push(dir);
      return dir;
    },
    cleanupAll: () => {
      for (const dir of made) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Variables as scripts/lib.sh sets them with no overrides in the environment (one bash run). */
export function libValues<const N extends string>(names: readonly N[]): Record<N, string> {
  const lines = execFileSync(
    "bash",
    ["-c", `source scripts/lib.sh && printf '%s\\n' ${names.map((n) => `"$${n}"`).join(" ")}`],
    { cwd: ROOT, encoding: "utf8", env: { HOME, PATH: "/usr/bin:/bin" } },
  ).split("\n");
  return Object.fromEntries(names.map((name, i) => [name, lines[i] ?? ""])) as Record<N, string>;
}

/** Runs scripts/NAME with ARGS and exactly ENV (plus nothing from this process). */
export function runScript(name: string, env: Record<string, string>, args: string[] = []) {
  return spawnSync(join(ROOT, "scripts", name), args, {
    cwd: ROOT,
    encoding: "utf8",
    env,
    timeout: 60_000,
  });
}

/**
 * What the fake kubectl answers about the cluster once dist/ is applied, read
 * from dist/ itself: its Namespaces in file order, and per namespace the
 * workloads (as `kubectl get deployments,statefulsets,daemonsets` lists them:
 * by kind, then name) and the HPAs.
 */
export function clusterAnswersFromDist(): Record<string, string> {
  const docs = readManifests(join(ROOT, "dist")).map((e) => e.doc);
  const namespaces = docs.filter((d) => d.kind === "Namespace").map((d) => d.metadata.name);
  const key = (ns: string) => ns.replace(/[^A-Za-z0-9]/g, "_");
  const answers: Record<string, string> = { FAKE_NAMESPACES: namespaces.join(" ") };
  for (const ns of namespaces) {
    const named = (kind: string) =>
      docs
        .filter((d) => d.kind === kind && d.metadata.namespace === ns)
        .map((d) => d.metadata.name)
        .sort();
    answers[`FAKE_WORKLOADS_${key(ns)}`] = ["Deployment", "StatefulSet", "DaemonSet"]
      .flatMap((kind) => named(kind).map((name) => `${kind}/${name}`))
      .join(" ");
    answers[`FAKE_HPAS_${key(ns)}`] = named("HorizontalPodAutoscaler").join(" ");
  }
  return answers;
}

/** The shell commands of README's kind sequence (the code block after its marker comment). */
export function readmeKindSequence(readme: string): string[] {
  const marker = readme.indexOf("<!-- kind-sequence:");
  if (marker < 0) throw new Error("README has no <!-- kind-sequence: ... --> marker");
  const block = /```sh\n([\s\S]*?)```/.exec(readme.slice(marker));
  if (!block?.[1]) throw new Error("no ```sh block after the kind-sequence marker");
  return block[1].split("\n").filter((line) => line.trim() !== "");
}

const TOOLS_COMPARED = new Set(["docker", "kind", "kubectl", "istioctl", "sudo", "npm"]);

/**
 * The tool command a README line runs, as the fakes record it: comments
 * dropped, the body of a bounded retry loop, the command inside
 * `[export] VAR="$(...)"`, without leading `VAR=value` assignments or a
 * trailing `>/dev/null`, the last stage of a pipeline. Undefined for lines
 * that run none of the recorded tools (eval, curl).
 */
export function commandOf(line: string): string | undefined {
  let command = line.replace(/\s+#\s.*$/, "").trim();
  const loop = /^for .*?; do (.+?) >\/dev\/null 2>&1 && break; sleep \d+; done$/.exec(command);
  if (loop?.[1]) command = loop[1];
  const captured = /^(?:export )?[A-Z_]+="?\$\((.+)\)"?$/.exec(command);
  if (captured?.[1]) command = captured[1];
  command = command.replace(/^(?:[A-Z_]+=\S+ )+/, "").replace(/ >\/dev\/null$/, "");
  const stages = command.split(" | ");
  command = stages.at(-1)?.trim() ?? command;
  return TOOLS_COMPARED.has(command.split(" ")[0] ?? "") ? command : undefined;
}

/**
 * Checks that `expected` occur in `recorded` in order; a README command may
 * leave out trailing arguments the script adds. Returns the first command not
 * found (in order), or undefined when all are.
 */
export function firstMissingInOrder(expected: string[], recorded: string[]): string | undefined {
  let from = 0;
  for (const command of expected) {
    const at = recorded.findIndex(
      (call, i) => i >= from && (call === command || call.startsWith(`${command} `)),
    );
    if (at < 0) return command;
    from = at + 1;
  }
  return undefined;
}
