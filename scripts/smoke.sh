#!/usr/bin/env bash
# Port-forwards the Istio ingress gateway and runs the smoke client through it:
# health, readiness, a CRUD round trip, the v1/v2 weighted split and header routing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require kubectl "install kubectl: https://kubernetes.io/docs/tasks/tools/"
require npm "install Node.js 22 or newer: https://nodejs.org/"

port="${SMOKE_PORT:-18080}"
requests="${SMOKE_REQUESTS:-400}"
pf_log="$(mktemp)"

log "Port-forwarding svc/istio-ingressgateway to 127.0.0.1:${port}"
# kubectl itself, not the kc function: $! must be the port-forward's own pid.
kubectl --context "${KUBE_CONTEXT}" -n istio-system port-forward svc/istio-ingressgateway "${port}:80" \
  >"${pf_log}" 2>&1 &
pf_pid=$!
cleanup() {
  kill "${pf_pid}" 2>/dev/null || true
  wait "${pf_pid}" 2>/dev/null || true
  rm -f "${pf_log}"
}
trap cleanup EXIT

for _ in $(seq 1 60); do
  grep -q "Forwarding from" "${pf_log}" && break
  kill -0 "${pf_pid}" 2>/dev/null || {
    cat "${pf_log}" >&2
    die "kubectl port-forward exited"
  }
  sleep 1
done

cd "${ROOT_DIR}"
npm run --silent smoke -- \
  --base-url "http://127.0.0.1:${port}" \
  --requests "${requests}" \
  --v1-weight "${V1_WEIGHT}" \
  --v2-weight "${V2_WEIGHT}" \
  --wait-seconds "${SMOKE_WAIT_SECONDS:-90}"
