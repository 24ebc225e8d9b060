# shellcheck shell=bash
# shellcheck disable=SC2034  # the settings below are read by the scripts that source this file
# Shared settings and helpers for the kind scripts. Sourced, never run.
# Every pinned version of the kind flow lives here, in one place.

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '\n==> %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

readonly KIND_VERSION="v0.31.0"
# kind v0.31.0's default node image (Kubernetes 1.35.0), pinned by digest.
readonly KIND_NODE_IMAGE="kindest/node:v1.35.0@sha256:452d707d4862f52530247495d180205e029056831160e22870e37e3f6c1ac31f"
# The client of the node image's Kubernetes minor (kubectl supports one minor of skew).
readonly KUBECTL_VERSION="v1.35.0"
readonly ISTIO_VERSION="1.30.3"
# Istio publishes its images to Docker Hub; its older mirrors are being retired.
readonly ISTIO_HUB="docker.io/istio"
# Where release assets are downloaded from (overridable for mirrors and tests).
KIND_RELEASES_URL="${KIND_RELEASES_URL:-https://github.com/kubernetes-sigs/kind/releases/download}"
KUBECTL_RELEASES_URL="${KUBECTL_RELEASES_URL:-https://dl.k8s.io/release}"
ISTIO_RELEASES_URL="${ISTIO_RELEASES_URL:-https://github.com/istio/istio/releases/download}"

# The ingress gateway's fixed NodePort and the host port kind maps it to
# (scripts/kind/cluster.yaml and scripts/kind/istio-kind.yaml name the same numbers).
readonly GATEWAY_NODE_PORT=30080
readonly GATEWAY_HOST_PORT=30080

# kind runs every node as a container sharing the host kernel's inotify limits;
# kubelets, Istio's agents and CNI exhaust the defaults ("too many open files").
readonly INOTIFY_LIMITS=(fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512)

# package_version: the "version" of package.json, which is the API image's default tag.
package_version() {
  local version
  version="$(sed -nE 's/^  "version": "([^"]+)",?$/\1/p' "${ROOT_DIR}/package.json")"
  [[ "${version}" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "no version in ${ROOT_DIR}/package.json"
  printf '%s' "${version}"
}

# The chart's defaults (charts/config.ts; a test keeps them equal): the committed
# dist/ runs userapi:<package.json version> with a 25/75 split.
readonly DEFAULT_IMAGE_REPO="userapi"
DEFAULT_IMAGE_TAG="$(package_version)"
readonly DEFAULT_IMAGE_TAG
readonly DEFAULT_V1_WEIGHT=25
readonly DEFAULT_V2_WEIGHT=75

CLUSTER_NAME="${CLUSTER_NAME:-userapi}"
IMAGE_REPO="${IMAGE_REPO:-${DEFAULT_IMAGE_REPO}}"
IMAGE_TAG="${IMAGE_TAG:-${DEFAULT_IMAGE_TAG}}"
IMAGE="${IMAGE_REPO}:${IMAGE_TAG}"
APP_NAMESPACE="${APP_NAMESPACE:-userapi}"
MONITORING_NAMESPACE="monitoring"
V1_WEIGHT="${USERAPI_V1_WEIGHT:-${DEFAULT_V1_WEIGHT}}"
V2_WEIGHT="${USERAPI_V2_WEIGHT:-${DEFAULT_V2_WEIGHT}}"
TOOLS_DIR="${TOOLS_DIR:-${ROOT_DIR}/.tools}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-300s}"
# The cluster's token signing key (npm run token's folder: private.jwk.json and
# its public jwks.json), fresh for every new cluster and git-ignored (.auth/).
# deploy.sh synthesizes the manifests with that jwks.json into KIND_MANIFESTS_DIR.
AUTH_KEY_DIR="${AUTH_KEY_DIR:-${ROOT_DIR}/.auth/kind-${CLUSTER_NAME}}"
# Issuer and audience of the kind flow's tokens: the chart's and the token
# tool's defaults, passed explicitly so a stray AUTH_* in the shell cannot split them.
readonly KIND_AUTH_ISSUER="userapi-dev"
readonly KIND_AUTH_AUDIENCE="userapi"
KIND_MANIFESTS_DIR="${AUTH_KEY_DIR}/dist"

# require CMD HINT: fail early with an install hint instead of halfway through.
require() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is required but not on PATH: $2"
}

# os and arch in the spelling release assets use (linux|darwin, amd64|arm64).
platform_os() {
  case "$(uname -s)" in
    Linux) echo linux ;;
    Darwin) echo darwin ;;
    *) die "unsupported OS: $(uname -s)" ;;
  esac
}
platform_arch() {
  case "$(uname -m)" in
    x86_64 | amd64) echo amd64 ;;
    aarch64 | arm64) echo arm64 ;;
    *) die "unsupported architecture: $(uname -m)" ;;
  esac
}

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# fetch_verified URL DEST [SUFFIX]: downloads URL and the checksum file the
# project publishes next to it (URL.sha256 or URL.sha256sum: "<hex>[  <name>]"),
# and keeps DEST only when the SHA-256 digests match.
fetch_verified() {
  local url="$1" dest="$2" suffix="${3:-.sha256}"
  local tmp expected actual
  tmp="$(mktemp -d)"
  curl -fsSL --retry 3 --retry-delay 2 -o "${tmp}/file" "${url}"
  curl -fsSL --retry 3 --retry-delay 2 -o "${tmp}/sum" "${url}${suffix}"
  expected="$(cut -d' ' -f1 <"${tmp}/sum" | tr -d '[:space:]')"
  actual="$(sha256_of "${tmp}/file")"
  if [[ ! "${expected}" =~ ^[0-9a-f]{64}$ ]]; then
    rm -rf "${tmp}"
    die "no SHA-256 digest in ${url}${suffix}"
  fi
  if [[ "${expected}" != "${actual}" ]]; then
    rm -rf "${tmp}"
    die "checksum mismatch for ${url}: expected ${expected}, got ${actual}"
  fi
  echo "verified sha256 ${actual}  $(basename "${url}")" >&2
  mv "${tmp}/file" "${dest}"
  rm -rf "${tmp}"
}

# ensure_kind: puts kind ${KIND_VERSION} first on PATH, downloading and
# verifying it when the one on PATH is missing or another version.
ensure_kind() {
  if command -v kind >/dev/null 2>&1 && [[ "$(kind version 2>/dev/null)" == "kind ${KIND_VERSION} "* ]]; then
    return
  fi
  local dir="${TOOLS_DIR}/kind-${KIND_VERSION}"
  if [[ ! -x "${dir}/kind" ]]; then
    log "Installing kind ${KIND_VERSION} into ${dir}"
    mkdir -p "${dir}"
    fetch_verified \
      "${KIND_RELEASES_URL}/${KIND_VERSION}/kind-$(platform_os)-$(platform_arch)" \
      "${dir}/kind" .sha256sum
    chmod +x "${dir}/kind"
  fi
  PATH="${dir}:${PATH}"
  export PATH
}

# ensure_kubectl: the same for kubectl ${KUBECTL_VERSION} (dl.k8s.io publishes
# a .sha256 next to every binary).
ensure_kubectl() {
  # Output captured first: grep -q closing the pipe early would fail it under pipefail.
  if command -v kubectl >/dev/null 2>&1 &&
    grep -qx "Client Version: ${KUBECTL_VERSION}" <<<"$(kubectl version --client 2>/dev/null)"; then
    return
  fi
  local dir="${TOOLS_DIR}/kubectl-${KUBECTL_VERSION}"
  if [[ ! -x "${dir}/kubectl" ]]; then
    log "Installing kubectl ${KUBECTL_VERSION} into ${dir}"
    mkdir -p "${dir}"
    fetch_verified \
      "${KUBECTL_RELEASES_URL}/${KUBECTL_VERSION}/bin/$(platform_os)/$(platform_arch)/kubectl" \
      "${dir}/kubectl"
    chmod +x "${dir}/kubectl"
  fi
  PATH="${dir}:${PATH}"
  export PATH
}

# ensure_istioctl: the same for istioctl ${ISTIO_VERSION}.
ensure_istioctl() {
  if command -v istioctl >/dev/null 2>&1 &&
    grep -qE "(^|[: ])${ISTIO_VERSION//./\\.}\$" <<<"$(istioctl version --remote=false 2>/dev/null)"; then
    return
  fi
  local dir="${TOOLS_DIR}/istio-${ISTIO_VERSION}"
  if [[ ! -x "${dir}/istioctl" ]]; then
    local os asset
    os="$(platform_os)"
    # Istio names its macOS assets "osx" (amd64) and "osx-arm64".
    case "${os}-$(platform_arch)" in
      linux-amd64) asset="linux-amd64" ;;
      linux-arm64) asset="linux-arm64" ;;
      darwin-amd64) asset="osx" ;;
      darwin-arm64) asset="osx-arm64" ;;
    esac
    log "Installing istioctl ${ISTIO_VERSION} into ${dir}"
    mkdir -p "${dir}"
    fetch_verified \
      "${ISTIO_RELEASES_URL}/${ISTIO_VERSION}/istioctl-${ISTIO_VERSION}-${asset}.tar.gz" \
      "${dir}/istioctl.tar.gz"
    tar -xzf "${dir}/istioctl.tar.gz" -C "${dir}" istioctl
    rm -f "${dir}/istioctl.tar.gz"
  fi
  PATH="${dir}:${PATH}"
  export PATH
}

# raise_inotify_limits: raises (never lowers) the host's inotify limits to
# INOTIFY_LIMITS, with sudo when not root. Linux only: on macOS and Windows the
# nodes run in Docker Desktop's VM, whose limits are its own.
raise_inotify_limits() {
  [[ "$(uname -s)" == Linux ]] || return 0
  local setting key want have
  local -a raise=()
  for setting in "${INOTIFY_LIMITS[@]}"; do
    key="${setting%%=*}"
    want="${setting#*=}"
    # Debian keeps sysctl in /usr/sbin, which is not on a normal user's PATH.
    have="$(PATH="${PATH}:/usr/sbin:/sbin" sysctl -n "${key}")"
    [[ "${have}" =~ ^[0-9]+$ ]] || die "cannot read ${key} (sysctl -n ${key} printed '${have}')"
    ((have >= want)) || raise+=("${setting}")
  done
  [[ ${#raise[@]} -gt 0 ]] || return 0
  log "Raising inotify limits for kind: ${raise[*]}"
  if [[ "$(id -u)" -eq 0 ]]; then
    PATH="${PATH}:/usr/sbin:/sbin" sysctl -w "${raise[@]}" >&2
  else
    sudo sysctl -w "${raise[@]}" >&2 ||
      die "could not raise the inotify limits; run: sudo sysctl -w ${raise[*]}"
  fi
}

# ensure_auth_key: the token signing key in AUTH_KEY_DIR, created when absent:
# the token tool creates it on first use, so minting one (thrown away) makes it.
ensure_auth_key() {
  if [[ -f "${AUTH_KEY_DIR}/private.jwk.json" && -f "${AUTH_KEY_DIR}/jwks.json" ]]; then
    return
  fi
  require npm "install Node.js 20 or newer: https://nodejs.org/"
  log "Creating the token signing key of cluster ${CLUSTER_NAME} in ${AUTH_KEY_DIR}"
  (cd "${ROOT_DIR}" && npm run -s token -- --key-dir "${AUTH_KEY_DIR}" >/dev/null)
  [[ -f "${AUTH_KEY_DIR}/jwks.json" ]] || die "npm run token wrote no ${AUTH_KEY_DIR}/jwks.json"
}

# forget_auth_key: deletes the key pair (and the manifests made with it) of a
# cluster that is gone or about to be replaced; nothing else in AUTH_KEY_DIR.
forget_auth_key() {
  rm -f "${AUTH_KEY_DIR}/private.jwk.json" "${AUTH_KEY_DIR}/jwks.json" "${KIND_MANIFESTS_DIR}"/*.k8s.yaml
  rmdir "${KIND_MANIFESTS_DIR}" 2>/dev/null || true
}

# kubectl and istioctl against the kind cluster, whatever the current context is.
KUBE_CONTEXT="${KUBE_CONTEXT:-kind-${CLUSTER_NAME}}"
kc() { kubectl --context "${KUBE_CONTEXT}" "$@"; }

# wait_port_forward PID LOG WHAT: waits up to 60 s for a background
# `kubectl port-forward` (pid PID, output in LOG) to listen; dies, showing its
# output, if it exits first or never gets there.
wait_port_forward() {
  local pid="$1" pf_log="$2" what="$3"
  for _ in $(seq 1 60); do
    grep -q "Forwarding from" "${pf_log}" && return 0
    kill -0 "${pid}" 2>/dev/null || {
      cat "${pf_log}" >&2
      die "kubectl port-forward to ${what} exited"
    }
    sleep 1
  done
  die "kubectl port-forward to ${what} did not start within 60 s"
}
ictl() { istioctl --context "${KUBE_CONTEXT}" "$@"; }
