#!/usr/bin/env bash
# Creates the kind cluster (pinned kind and node image, the gateway's NodePort
# mapped to 127.0.0.1:30080); a no-op when it exists. Raises the host's inotify
# limits first (Linux), which a multi-node kind cluster with Istio exhausts.
# A new cluster gets a new token signing key in AUTH_KEY_DIR (the old one, of
# a cluster by the same name that is gone, is deleted first); an existing
# cluster keeps its key.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require docker "install Docker: https://docs.docker.com/get-docker/"
require npm "install Node.js 20 or newer: https://nodejs.org/"
ensure_kind
ensure_kubectl

raise_inotify_limits
if grep -qx "${CLUSTER_NAME}" <<<"$(kind get clusters 2>/dev/null)"; then
  log "kind cluster ${CLUSTER_NAME} already exists"
else
  log "Creating kind cluster ${CLUSTER_NAME} (${KIND_NODE_IMAGE%@*})"
  kind create cluster \
    --name "${CLUSTER_NAME}" \
    --image "${KIND_NODE_IMAGE}" \
    --config "${ROOT_DIR}/scripts/kind/cluster.yaml" \
    --wait 180s
  forget_auth_key
fi
kc wait --for=condition=Ready nodes --all --timeout=180s
kc get nodes -o wide
ensure_auth_key
