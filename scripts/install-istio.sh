#!/usr/bin/env bash
# Installs Istio ${ISTIO_VERSION} (pinned, checksum-verified istioctl; images
# from Docker Hub) with its ingress gateway and CNI plugin, then waits until
# istiod, the gateway, the CNI agents and the validating webhook all answer,
# so the next apply is not rejected.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_kubectl
ensure_istioctl

log "Installing Istio ${ISTIO_VERSION} (images from ${ISTIO_HUB}, CNI on)"
# The CNI plugin replaces the privileged istio-init container, which the
# userapi namespace's enforced "restricted" Pod Security Standard rejects.
# scripts/kind/istio-kind.yaml makes the gateway a NodePort Service on 30080.
ictl install -y \
  --set profile=default \
  --set hub="${ISTIO_HUB}" \
  --set tag="${ISTIO_VERSION}" \
  --set components.cni.enabled=true \
  --set components.cni.namespace=istio-system \
  -f "${ROOT_DIR}/scripts/kind/istio-kind.yaml"

kc -n istio-system rollout status deployment/istiod --timeout="${ROLLOUT_TIMEOUT}"
kc -n istio-system rollout status deployment/istio-ingressgateway --timeout="${ROLLOUT_TIMEOUT}"
kc -n istio-system rollout status daemonset/istio-cni-node --timeout="${ROLLOUT_TIMEOUT}"

# The webhook is registered before istiod serves it: retry a server-side dry
# run of an Istio object until the webhook admits it (2 minutes at most).
log "Waiting for Istio's validating webhook"
probe="${ROOT_DIR}/scripts/kind/webhook-probe.yaml"
for attempt in $(seq 1 60); do
  if kc apply --dry-run=server -f "${probe}" >/dev/null 2>&1; then
    log "Istio is ready (webhook answered after ${attempt} attempt(s))"
    exit 0
  fi
  sleep "${WEBHOOK_RETRY_SECONDS:-2}"
done
# One last try that shows the rejection.
kc apply --dry-run=server -f "${probe}" >&2 || die "Istio's validating webhook did not become ready"
