#!/usr/bin/env bash
# Runs the smoke client through the Istio ingress gateway: health, a CRUD round
# trip, the v1/v2 weighted split and header routing, over the public paths only,
# and authentication: tokens minted with the cluster's signing key
# (AUTH_KEY_DIR, see deploy.sh), one with users:read and users:write and one
# with users:read only; /user without a token must get the mesh's 403, a
# forged token 401, a write with the read-only token 403 insufficient_scope.
#
#   SMOKE_VIA=nodeport      (default) the gateway's fixed NodePort, which kind
#                           maps to http://127.0.0.1:30080 (scripts/kind/cluster.yaml)
#   SMOKE_VIA=port-forward  kubectl port-forward to the gateway Service, for a
#                           cluster without that mapping (SMOKE_PORT, default 18080)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require npm "install Node.js 20 or newer: https://nodejs.org/"
ensure_kubectl

via="${SMOKE_VIA:-nodeport}"
requests="${SMOKE_REQUESTS:-400}"

case "${via}" in
  nodeport)
    # Fail with the cause rather than with connection errors when the gateway
    # was installed without scripts/kind/istio-kind.yaml.
    node_port="$(kc -n istio-system get service istio-ingressgateway \
      -o jsonpath='{.spec.ports[?(@.port==80)].nodePort}')"
    [[ "${node_port}" == "${GATEWAY_NODE_PORT}" ]] ||
      die "the ingress gateway's http nodePort is '${node_port}', not ${GATEWAY_NODE_PORT}: install Istio with scripts/install-istio.sh, or use SMOKE_VIA=port-forward"
    base_url="http://127.0.0.1:${GATEWAY_HOST_PORT}"
    log "Smoke test through the ingress gateway's NodePort at ${base_url}"
    ;;
  port-forward)
    port="${SMOKE_PORT:-18080}"
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
    wait_port_forward "${pf_pid}" "${pf_log}" "the ingress gateway"
    base_url="http://127.0.0.1:${port}"
    ;;
  *) die "SMOKE_VIA must be nodeport or port-forward (got '${via}')" ;;
esac

[[ -f "${AUTH_KEY_DIR}/private.jwk.json" ]] ||
  die "no signing key in ${AUTH_KEY_DIR}: the cluster trusts none yet (run scripts/kind-up.sh and scripts/deploy.sh)"

cd "${ROOT_DIR}"
# mint SCOPE...: a token of the cluster's key for the smoke client (15 minutes).
mint() {
  local scopes=() scope
  for scope in "$@"; do scopes+=(--scope "${scope}"); done
  npm run -s token -- --key-dir "${AUTH_KEY_DIR}" --sub smoke "${scopes[@]}" \
    --ttl 15m --issuer "${KIND_AUTH_ISSUER}" --audience "${KIND_AUTH_AUDIENCE}"
}
# Assigned first, then exported: a failing mint inside export "$(...)" would go unnoticed.
write_token="$(mint users:read users:write)"
read_token="$(mint users:read)"
# Through the environment, never on a command line (ps would show it).
export SMOKE_WRITE_TOKEN="${write_token}" SMOKE_READ_TOKEN="${read_token}"
log "Smoke tokens minted with the key in ${AUTH_KEY_DIR}"
npm run smoke -- \
  --base-url "${base_url}" \
  --requests "${requests}" \
  --v1-weight "${V1_WEIGHT}" \
  --v2-weight "${V2_WEIGHT}" \
  --wait-seconds "${SMOKE_WAIT_SECONDS:-90}"
