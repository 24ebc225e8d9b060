#!/usr/bin/env bash
# Two canary releases on the kind cluster, after the smoke test (README
# "Canary releases"); the step fails unless both end as they must.
#
#  1. Promotion: the image under another tag (CANARY_TAG) is the candidate.
#     It is loaded into kind and deployed on the v2 track with no traffic
#     (USERAPI_V2_TAG, weights 100/0), then `npm run canary -- --load` moves
#     v2 to 100 %. Must exit 0, and the cluster's split must route to v2.
#  2. Rollback: weights back to 100/0 (npm run canary -- --rollback), an Istio fault on the v2 pods only
#     (scripts/kind/canary-v2-fault.yaml: 50 % of v2's requests get 503),
#     then the same command. Must exit 1 with v2's errors in the decision
#     log, and the cluster's split must route to v1 again.
#
# The load carries a token minted for the cluster's key (AUTH_KEY_DIR), as
# every request to /user through the mesh must. Prometheus (monitoring) is
# reached through a port-forward; the gateway through its NodePort.
#
#   CANARY_TAG            the candidate's tag (default canary-<IMAGE_TAG>)
#   CANARY_LOG_DIR        where promotion.json and rollback.json go (default .canary/)
#   CANARY_INTERVAL       analysis interval per step (default 60s: four scrapes at 15 s)
#   CANARY_RATE           requests per second of the load (default 20)
#   CANARY_PROMETHEUS_PORT  local port of the Prometheus port-forward (default 19090)
set -euo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
# shellcheck source=scripts/lib.sh
source "${here}/lib.sh"

require npm "install Node.js 20 or newer: https://nodejs.org/"
require docker "install Docker: https://docs.docker.com/get-docker/"
ensure_kind
ensure_kubectl

canary_tag="${CANARY_TAG:-canary-${IMAGE_TAG}}"
log_dir="${CANARY_LOG_DIR:-${ROOT_DIR}/.canary}"
interval="${CANARY_INTERVAL:-60s}"
rate="${CANARY_RATE:-20}"
prometheus_port="${CANARY_PROMETHEUS_PORT:-19090}"
# The cluster's development key pair (decision A6 of the auth flow).
key_dir="${AUTH_KEY_DIR:-${ROOT_DIR}/.auth/kind-${CLUSTER_NAME}}"
readonly FAULT_MANIFEST="${ROOT_DIR}/scripts/kind/canary-v2-fault.yaml"
mkdir -p "${log_dir}"

pf_pid=""
cleanup() {
  if [[ -n "${pf_pid}" ]]; then
    kill "${pf_pid}" 2>/dev/null || true
    wait "${pf_pid}" 2>/dev/null || true
  fi
  kc delete -f "${FAULT_MANIFEST}" --ignore-not-found >/dev/null 2>&1 || true
}
trap cleanup EXIT

# split_subsets: the subsets the VirtualService's weighted route sends to, as the cluster has it.
split_subsets() {
  kc -n "${APP_NAMESPACE}" get virtualservice userapi-ingress \
    -o jsonpath='{.spec.http[?(@.name=="split")].route[*].destination.subset}'
}

# deploy_candidate: the candidate on v2 with no traffic, through deploy.sh
# (the weights override makes it synthesize, and the synth reads USERAPI_V2_TAG).
deploy_candidate() {
  USERAPI_V2_TAG="${canary_tag}" USERAPI_V1_WEIGHT=100 USERAPI_V2_WEIGHT=0 "${here}/deploy.sh"
  [[ "$(split_subsets)" == "v1" ]] || die "after deploying the candidate, the split routes to '$(split_subsets)', not v1 only"
}

# run_canary NAME EXPECTED_EXIT EXPECTED_OUTCOME: one rollout, its log in ${log_dir}/NAME.json.
run_canary() {
  local name="$1" expected="$2" outcome="$3" status=0 got
  local log="${log_dir}/${name}.json"
  rm -f "${log}"
  log "Canary rollout '${name}': expecting ${outcome} (exit ${expected})"
  (
    cd "${ROOT_DIR}"
    USERAPI_TOKEN="${token}" npm run -s canary -- \
      --load --base-url "http://127.0.0.1:${GATEWAY_HOST_PORT}" --rate "${rate}" \
      --prometheus-url "http://127.0.0.1:${prometheus_port}" \
      --kube-context "${KUBE_CONTEXT}" \
      --interval "${interval}" --scrape-interval 15s \
      --log "${log}"
  ) || status=$?
  [[ -f "${log}" ]] || die "canary '${name}' wrote no decision log (${log})"
  got="$(node -p 'JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")).outcome' "${log}")"
  [[ "${status}" == "${expected}" && "${got}" == "${outcome}" ]] ||
    die "canary '${name}' ended '${got}' with exit ${status}; expected '${outcome}' with exit ${expected}"
}

log "Candidate image ${IMAGE_REPO}:${canary_tag} (the same build as ${IMAGE}, another tag)"
docker tag "${IMAGE}" "${IMAGE_REPO}:${canary_tag}"
kind load docker-image "${IMAGE_REPO}:${canary_tag}" --name "${CLUSTER_NAME}"

log "Minting the load's token for the cluster's key in ${key_dir}"
token="$(cd "${ROOT_DIR}" && npm run -s token -- --key-dir "${key_dir}" --sub canary --scope 'users:read users:write')"
[[ -n "${token}" ]] || die "npm run token printed no token"

log "Port-forwarding svc/prometheus (${MONITORING_NAMESPACE}) to 127.0.0.1:${prometheus_port}"
pf_log="${log_dir}/prometheus-port-forward.log"
# kubectl itself, not the kc function: $! must be the port-forward's own pid.
kubectl --context "${KUBE_CONTEXT}" -n "${MONITORING_NAMESPACE}" port-forward svc/prometheus \
  "${prometheus_port}:9090" >"${pf_log}" 2>&1 &
pf_pid=$!
wait_port_forward "${pf_pid}" "${pf_log}" Prometheus

# 1. A healthy candidate is promoted to 100 %.
deploy_candidate
run_canary promotion 0 promoted
[[ "$(split_subsets)" == "v2" ]] || die "after the promotion the split routes to '$(split_subsets)', not v2 only"

# 2. A faulty candidate is rolled back. Traffic goes back to v1 first, with the
# manual rollback command (README); v2 keeps the candidate, now faulted.
log "All traffic back on v1 (npm run canary -- --rollback)"
(cd "${ROOT_DIR}" && npm run -s canary -- --rollback --kube-context "${KUBE_CONTEXT}")
[[ "$(split_subsets)" == "v1" ]] || die "after --rollback the split routes to '$(split_subsets)', not v1 only"
log "Istio fault on the v2 pods only: ${FAULT_MANIFEST}"
kc apply -f "${FAULT_MANIFEST}"
run_canary rollback 1 rolled-back
[[ "$(split_subsets)" == "v1" ]] || die "after the rollback the split routes to '$(split_subsets)', not v1 only"
node -e '
  const log = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"));
  const errors = log.steps.reduce((n, s) => n + (s.tracks.v2.sources.mesh?.errors ?? 0), 0);
  if (!(errors > 0)) { console.error("the rollback log shows no v2 errors in the mesh view"); process.exit(1); }
  console.error("rolled back on v2 errors the app never saw: " + Math.round(errors) + " in the mesh view");
' "${log_dir}/rollback.json"
log "Canary releases passed: promotion and rollback logs in ${log_dir}"
