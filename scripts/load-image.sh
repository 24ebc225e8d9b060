#!/usr/bin/env bash
# Loads the locally built API image (IMAGE_REPO:IMAGE_TAG, by default
# userapi:<package.json version>, the image the committed dist/ names) into
# every kind node, so the pods start it with imagePullPolicy IfNotPresent.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require docker "install Docker: https://docs.docker.com/get-docker/"
ensure_kind

docker image inspect "${IMAGE}" >/dev/null 2>&1 ||
  die "image ${IMAGE} not found locally: build it first (docker build -t ${IMAGE} .)"
log "Loading ${IMAGE} into kind cluster ${CLUSTER_NAME}"
kind load docker-image "${IMAGE}" --name "${CLUSTER_NAME}"
