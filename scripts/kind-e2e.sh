#!/usr/bin/env bash
# The whole kind flow, in the order of the README's "Deploy to Kubernetes"
# sequence and of the CI kind job (.github/workflows/ci.yaml calls the same
# scripts, one step each): build the image, pin the tools, create the cluster,
# install metrics-server, load the image, install Istio, deploy, analyze,
# smoke-test, two canary releases (a promotion and a rollback), delete the cluster.
#
#   SKIP_BUILD=1    use an existing ${IMAGE_REPO}:${IMAGE_TAG} instead of building
#   KEEP_CLUSTER=1  leave the cluster running afterwards (to poke at it)
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/lib.sh
source "${here}/lib.sh"

finish() {
  local status=$?
  if [[ ${status} -ne 0 ]]; then
    log "Failed (exit ${status}); diagnostics follow"
    "${here}/diagnose.sh" || true
  fi
  if [[ "${KEEP_CLUSTER:-0}" == "1" ]]; then
    log "Keeping cluster ${CLUSTER_NAME} (delete it with scripts/kind-down.sh)"
  else
    "${here}/kind-down.sh" || true
  fi
  exit "${status}"
}

if [[ "${SKIP_BUILD:-0}" != "1" ]]; then
  require docker "install Docker: https://docs.docker.com/get-docker/"
  log "Building ${IMAGE}"
  (cd "${ROOT_DIR}" && docker build -t "${IMAGE}" .)
fi

# Assigned first: a failing tools.sh inside eval "$(...)" would go unnoticed.
tools_path="$("${here}/tools.sh")"
eval "${tools_path}"
trap finish EXIT
"${here}/kind-up.sh"
"${here}/install-metrics-server.sh"
"${here}/load-image.sh"
"${here}/install-istio.sh"
"${here}/deploy.sh"
"${here}/analyze.sh"
"${here}/smoke.sh"
"${here}/canary.sh"
log "kind e2e passed"
