#!/usr/bin/env bash
# istioctl analyze; any Error-level finding fails the script.
#   scripts/analyze.sh        the live kind cluster, all namespaces
#   scripts/analyze.sh DIR    the manifests in DIR, offline (no cluster needed)
# Default (text) output on purpose: with -o json/yaml istioctl exits 0 even
# when it reports errors.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_istioctl
if [[ $# -gt 0 ]]; then
  dir="$1"
  [[ -d "${dir}" ]] || die "no such directory: ${dir}"
  log "istioctl analyze (offline) on ${dir}"
  # Offline there are no pods, so a Gateway's selector matches nothing
  # (IST0101 on Gateways only); the live run in the cluster checks it for real.
  istioctl analyze --use-kube=false --failure-threshold=Error \
    --suppress "IST0101=Gateway *" "${dir}"/*.yaml
else
  log "istioctl analyze (cluster ${KUBE_CONTEXT}, all namespaces)"
  ictl analyze --all-namespaces --failure-threshold=Error
fi
