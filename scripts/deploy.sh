#!/usr/bin/env bash
# Deploys the manifests to the kind cluster and waits, every wait bounded, until
# they run and the API's HorizontalPodAutoscalers read CPU from metrics-server.
#
# The committed dist/ trusts no token (its JWKS is a placeholder), so the
# cluster gets its own synth: the chart with the public JWKS of the cluster's
# signing key (AUTH_KEY_DIR/jwks.json, created here when kind-up.sh did not),
# the image IMAGE_REPO:IMAGE_TAG (default userapi:<package.json version>, the
# image load-image.sh loaded) and the weights USERAPI_V1_WEIGHT/USERAPI_V2_WEIGHT,
# written to KIND_MANIFESTS_DIR (AUTH_KEY_DIR/dist, git-ignored; dist/ is left
# untouched). The private key never leaves AUTH_KEY_DIR.
#
# Grafana's admin credentials (Secret monitoring/grafana-admin) are created
# first when absent, with a random password that is never printed.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ensure_kubectl
require npm "install Node.js 20 or newer: https://nodejs.org/"
require openssl "install OpenSSL (Debian/Ubuntu: apt-get install -y openssl)"

readonly GRAFANA_ADMIN_SECRET="grafana-admin"

# ensure_grafana_admin_secret: Grafana sets its admin password once, when it
# first starts, so the Secret is created before dist/ (and its namespace with
# it; the apply then adds the namespace's labels). An existing Secret is kept.
ensure_grafana_admin_secret() {
  if ! kc get namespace "${MONITORING_NAMESPACE}" >/dev/null 2>&1; then
    kc create namespace "${MONITORING_NAMESPACE}" --save-config
  fi
  if kc -n "${MONITORING_NAMESPACE}" get secret "${GRAFANA_ADMIN_SECRET}" >/dev/null 2>&1; then
    log "Secret ${MONITORING_NAMESPACE}/${GRAFANA_ADMIN_SECRET} exists: kept as it is"
    return
  fi
  log "Creating Secret ${MONITORING_NAMESPACE}/${GRAFANA_ADMIN_SECRET} (user admin, random password)"
  # The password travels through a pipe only: never on a command line (visible
  # in ps), in a file or in the log.
  openssl rand -hex 24 | tr -d '\n' |
    kc -n "${MONITORING_NAMESPACE}" create secret generic "${GRAFANA_ADMIN_SECRET}" \
      --from-literal=admin-user=admin --from-file=admin-password=/dev/stdin
  log "Read the password with: kubectl -n ${MONITORING_NAMESPACE} get secret ${GRAFANA_ADMIN_SECRET} -o jsonpath='{.data.admin-password}' | base64 -d"
}

# wait_for_hpa_metrics NS: every HPA in NS must turn ScalingActive (it computed
# replicas from a metric) and report a current CPU value; fails with the HPAs'
# descriptions otherwise.
wait_for_hpa_metrics() {
  local ns="$1" hpas cpu missing
  hpas="$(kc -n "${ns}" get hpa -o name)"
  [[ -n "${hpas}" ]] || return 0
  log "Waiting for the HorizontalPodAutoscalers in ${ns} to read CPU from metrics-server"
  if ! kc -n "${ns}" wait hpa --all --for=condition=ScalingActive --timeout="${ROLLOUT_TIMEOUT}"; then
    kc -n "${ns}" describe hpa >&2 || true
    die "the HPAs in ${ns} got no metrics within ${ROLLOUT_TIMEOUT}: is metrics-server up (scripts/install-metrics-server.sh)?"
  fi
  kc -n "${ns}" get hpa
  cpu="$(kc -n "${ns}" get hpa -o jsonpath='{range .items[*]}{.metadata.name}{"="}{.status.currentMetrics[?(@.resource.name=="cpu")].resource.current.averageValue}{"\n"}{end}')"
  missing="$(grep -E '^[^=]+=$' <<<"${cpu}" | cut -d= -f1 | tr '\n' ' ' || true)"
  if [[ -n "${missing}" ]]; then
    kc -n "${ns}" describe hpa >&2 || true
    die "HPA(s) without a current CPU metric in ${ns}: ${missing}"
  fi
}

ensure_auth_key
manifests="${KIND_MANIFESTS_DIR}"
log "Synthesizing ${IMAGE} (v1 ${V1_WEIGHT}% / v2 ${V2_WEIGHT}%) with the JWKS ${AUTH_KEY_DIR}/jwks.json into ${manifests}"
mkdir -p "${manifests}"
(
  cd "${ROOT_DIR}"
  AUTH_JWKS_FILE="${AUTH_KEY_DIR}/jwks.json" \
    AUTH_ISSUER="${KIND_AUTH_ISSUER}" \
    AUTH_AUDIENCE="${KIND_AUTH_AUDIENCE}" \
    USERAPI_OUTDIR="${manifests}" \
    USERAPI_IMAGE="${IMAGE_REPO}" \
    USERAPI_TAG="${IMAGE_TAG}" \
    USERAPI_IMAGE_PULL_POLICY=IfNotPresent \
    USERAPI_V1_WEIGHT="${V1_WEIGHT}" \
    USERAPI_V2_WEIGHT="${V2_WEIGHT}" \
    npm run synth
)
ls -1 "${manifests}"

ensure_grafana_admin_secret

# Files apply in name order: the chart names the Namespace file first.
kc apply -f "${manifests}"

namespaces="$(kc get -f "${manifests}" -o jsonpath='{range .items[?(@.kind=="Namespace")]}{.metadata.name}{"\n"}{end}')"
[[ -n "${namespaces}" ]] || die "the manifests in ${manifests} create no Namespace"
for ns in ${namespaces}; do
  # kind/name in lower case, e.g. deployment/userapi-v1, the form the README shows.
  workloads="$(kc -n "${ns}" get deployments,statefulsets,daemonsets \
    -o jsonpath='{range .items[*]}{.kind}{"/"}{.metadata.name}{"\n"}{end}' | tr '[:upper:]' '[:lower:]')"
  for workload in ${workloads}; do
    kc -n "${ns}" rollout status "${workload}" --timeout="${ROLLOUT_TIMEOUT}"
  done
done
for ns in ${namespaces}; do
  wait_for_hpa_metrics "${ns}"
done
kc get pods -A -o wide
