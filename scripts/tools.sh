#!/usr/bin/env bash
# Puts the pinned kind, kubectl and istioctl first on PATH. Each is downloaded
# into .tools/ (and checked against the SHA-256 file its project publishes)
# only when the one on PATH is missing or another version.
#
#   eval "$(scripts/tools.sh)"                  this shell: prints an export PATH=... line
#   scripts/tools.sh --github-path >> "$GITHUB_PATH"   later CI steps: one directory a line
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode="${1:-export}"
case "${mode}" in
  export | --github-path) ;;
  *) die "usage: scripts/tools.sh [--github-path]" ;;
esac

require curl "install curl (Debian/Ubuntu: apt-get install -y curl)"
ensure_kind
ensure_kubectl
ensure_istioctl

# The directories of the three tools as now resolved, each once, in PATH order.
dirs=()
for tool in kind kubectl istioctl; do
  dir="$(dirname "$(command -v "${tool}")")"
  [[ " ${dirs[*]} " == *" ${dir} "* ]] || dirs+=("${dir}")
done
log "kind ${KIND_VERSION}, kubectl ${KUBECTL_VERSION} and istioctl ${ISTIO_VERSION} from: ${dirs[*]}"

if [[ "${mode}" == --github-path ]]; then
  printf '%s\n' "${dirs[@]}"
else
  joined="$(IFS=:; printf '%s' "${dirs[*]}")"
  # shellcheck disable=SC2016  # $PATH is for the shell that evals this line
  printf 'export PATH=%q:"$PATH"\n' "${joined}"
fi
