#!/usr/bin/env bash
# Installs Istio ${ISTIO_VERSION} (pinned, checksum-verified istioctl) with its
# ingress gateway and CNI plugin, then waits until istiod, the gateway and the
# validating webhook all answer, so the next apply is not rejected.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require kubectl "install kubectl: https://kubernetes.io/docs/tasks/tools/"
ensure_istioctl

log "Installing Istio ${ISTIO_VERSION} (images from ${ISTIO_HUB})"
# The CNI plugin replaces the privileged istio-init container, which a namespace
# enforcing the "restricted" Pod Security Standard would reject.
ictl install -y \
  --set profile=default \
  --set hub="${ISTIO_HUB}" \
  --set tag="${ISTIO_VERSION}" \
  --set components.cni.enabled=true

kc -n istio-system rollout status deployment/istiod --timeout="${ROLLOUT_TIMEOUT}"
kc -n istio-system rollout status deployment/istio-ingressgateway --timeout="${ROLLOUT_TIMEOUT}"
kc wait --for=condition=Ready pods -A -l k8s-app=istio-cni-node --timeout="${ROLLOUT_TIMEOUT}"

# The webhook is registered before istiod serves it: poll a server-side dry run
# of a real Istio object until the webhook admits it.
log "Waiting for Istio's validating webhook"
probe="$(mktemp)"
trap 'rm -f "${probe}"' EXIT
cat >"${probe}" <<'YAML'
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: webhook-probe
  namespace: istio-system
spec:
  selector:
    istio: ingressgateway
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["*"]
YAML
for attempt in $(seq 1 60); do
  if kc apply --dry-run=server -f "${probe}" >/dev/null 2>&1; then
    log "Istio is ready (webhook answered after ${attempt} attempt(s))"
    exit 0
  fi
  sleep 2
done
kc apply --dry-run=server -f "${probe}"
die "Istio's validating webhook did not become ready"
