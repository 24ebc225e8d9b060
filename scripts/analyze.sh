#!/usr/bin/env bash
# Runs istioctl analyze against the live cluster; any Error fails the script.
# Default (text) output on purpose: with -o json/yaml istioctl exits 0 even
# when it reports errors.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_istioctl
log "istioctl analyze (all namespaces, failing on Error)"
ictl analyze --all-namespaces --failure-threshold=Error
