#!/usr/bin/env bash
# Installs metrics-server (scripts/kind/metrics-server.yaml, pinned) and waits
# until the resource metrics API answers, so the API's HorizontalPodAutoscalers
# get CPU metrics (deploy.sh fails when they do not).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_kubectl

log "Installing metrics-server"
kc apply -f "${ROOT_DIR}/scripts/kind/metrics-server.yaml"
kc -n kube-system rollout status deployment/metrics-server --timeout="${ROLLOUT_TIMEOUT}"
kc wait --for=condition=Available apiservice/v1beta1.metrics.k8s.io --timeout="${ROLLOUT_TIMEOUT}"
