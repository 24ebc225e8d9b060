#!/usr/bin/env bash
# Synthesizes the manifests with the freshly built image and the configured
# weights (the committed dist/ is left untouched), applies them to the kind
# cluster and waits for every rollout in the namespaces they create.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require kubectl "install kubectl: https://kubernetes.io/docs/tasks/tools/"
require npm "install Node.js 22 or newer: https://nodejs.org/"

out="${DEPLOY_DIR:-$(mktemp -d)}"
log "Synthesizing manifests for ${IMAGE} (v1 ${V1_WEIGHT}% / v2 ${V2_WEIGHT}%) into ${out}"
(
  cd "${ROOT_DIR}"
  USERAPI_OUTDIR="${out}" \
    USERAPI_IMAGE="${IMAGE_REPO}" \
    USERAPI_TAG="${IMAGE_TAG}" \
    USERAPI_IMAGE_PULL_POLICY=IfNotPresent \
    USERAPI_V1_WEIGHT="${V1_WEIGHT}" \
    USERAPI_V2_WEIGHT="${V2_WEIGHT}" \
    npm run --silent synth
)
ls -1 "${out}"

# Files are applied in name order; the chart names the Namespace file first.
log "Applying ${out}"
kc apply -f "${out}"

namespaces="$(kc get -f "${out}" -o jsonpath='{range .items[?(@.kind=="Namespace")]}{.metadata.name}{"\n"}{end}')"
[[ -n "${namespaces}" ]] || die "the synthesized manifests create no Namespace"
for ns in ${namespaces}; do
  for workload in $(kc -n "${ns}" get deployments,statefulsets,daemonsets -o name); do
    log "Waiting for ${ns}/${workload}"
    kc -n "${ns}" rollout status "${workload}" --timeout="${ROLLOUT_TIMEOUT}"
  done
done
kc get pods -A -o wide
