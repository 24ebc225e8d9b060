#!/usr/bin/env bash
# Deletes the kind cluster (a no-op when it does not exist) and its token
# signing key: a key outliving its cluster only means one more key to leak.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_kind
log "Deleting kind cluster ${CLUSTER_NAME}"
kind delete cluster --name "${CLUSTER_NAME}"
forget_auth_key
