#!/usr/bin/env bash
# Prints what explains a failed deploy or smoke test: nodes, pods, events, the
# HPAs and metrics-server, Istio's ingress gateway Service, workload
# descriptions and the logs of every container (sidecars included) in the app
# namespaces and Istio's. Also writes them under DIAG_DIR when set.
# Never fails: it runs after something else already has.
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# The pinned kubectl when it can be had; whatever kubectl is on PATH otherwise.
if (ensure_kubectl) >/dev/null 2>&1; then ensure_kubectl; fi
dir="${DIAG_DIR:-}"
[[ -n "${dir}" ]] && mkdir -p "${dir}"

section() {
  local name="$1"
  shift
  printf '\n===== %s =====\n' "${name}"
  if [[ -n "${dir}" ]]; then
    "$@" 2>&1 | tee "${dir}/${name//[^A-Za-z0-9._-]/_}.txt"
  else
    "$@" 2>&1
  fi
}

section nodes kc get nodes -o wide
section pods kc get pods -A -o wide
section events kc get events -A --sort-by=.lastTimestamp
section hpa kc -n "${APP_NAMESPACE}" describe hpa
section metrics-server kc -n kube-system logs deployment/metrics-server --tail=100
section metrics-apiservice kc get apiservice v1beta1.metrics.k8s.io -o wide
section gateway-service kc -n istio-system get service istio-ingressgateway -o wide
for ns in "${APP_NAMESPACE}" "${MONITORING_NAMESPACE}" istio-system; do
  kc get namespace "${ns}" >/dev/null 2>&1 || continue
  section "${ns}-describe" kc -n "${ns}" describe deployments,statefulsets,daemonsets,pods
  for pod in $(kc -n "${ns}" get pods -o name); do
    section "${ns}-logs-${pod#pod/}" kc -n "${ns}" logs "${pod}" --all-containers --prefix --tail=300
    section "${ns}-previous-logs-${pod#pod/}" kc -n "${ns}" logs "${pod}" --all-containers --prefix --previous --tail=100
  done
done
exit 0
