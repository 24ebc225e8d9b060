#!/usr/bin/env bash
# istioctl analyze over all namespaces (-A), failing at ANALYZE_FAILURE_THRESHOLD
# (default Warning) or worse.
#   scripts/analyze.sh        the live kind cluster
#   scripts/analyze.sh DIR    the manifests in DIR, offline (--use-kube=false)
#
# Default (text) output on purpose: with -o json/yaml istioctl exits 0 even when
# it reports errors. Without -A istioctl analyzes only the "default" namespace
# and silently drops every message about ours, so a run can pass while it saw
# nothing. Hence a probe run first, with the same command plus a known-bad
# VirtualService in each namespace of ours and without the suppressions. It
# must fail, report an issue in each of those namespaces, and report every
# message a suppression hides (a suppression that hides nothing is an error).
# Only then does the real run count.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

threshold="${ANALYZE_FAILURE_THRESHOLD:-Warning}"
case "${threshold}" in
  Info | Warning | Error) ;;
  *) die "ANALYZE_FAILURE_THRESHOLD must be Info, Warning or Error (got '${threshold}')" ;;
esac
# Namespaces whose objects the analysis must see.
readonly ANALYZED_NAMESPACES=("${APP_NAMESPACE}" "${MONITORING_NAMESPACE}")

ensure_istioctl
istioctl_args=(analyze -A "--failure-threshold=${threshold}")
suppressions=()
files=()
if [[ $# -gt 0 ]]; then
  dir="$1"
  [[ -d "${dir}" ]] || die "no such directory: ${dir}"
  shopt -s nullglob
  files=("${dir}"/*.yaml)
  shopt -u nullglob
  [[ ${#files[@]} -gt 0 ]] || die "no *.yaml manifests in ${dir}"
  istioctl_args=(analyze --use-kube=false -A "--failure-threshold=${threshold}")
  # Offline there are no pods, so every subset of our DestinationRule "selects
  # no pods" (IST0173, an Error). Suppressed for that one object only; the
  # in-cluster run, where the pods exist, checks it for real.
  suppressions=("IST0173=DestinationRule ${APP_NAMESPACE}/userapi")
  run() { istioctl "$@"; }
  log "istioctl analyze (offline, all namespaces) on ${files[*]}"
else
  ensure_kubectl
  run() { ictl "$@"; }
  log "istioctl analyze (cluster ${KUBE_CONTEXT}, all namespaces)"
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
probe="${work}/analyze-probe.yaml"
for ns in "${ANALYZED_NAMESPACES[@]}"; do
  cat <<YAML
---
# Routes to a host that exists nowhere: istioctl must report it.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: analyze-probe
  namespace: ${ns}
spec:
  hosts:
    - analyze-probe.${ns}.svc.cluster.local
  http:
    - route:
        - destination:
            host: analyze-probe-missing.${ns}.svc.cluster.local
YAML
done >"${probe}"

# 1. The probe run: the real command plus the probe, minus the suppressions.
probe_status=0
probe_output="$(run "${istioctl_args[@]}" ${files[@]+"${files[@]}"} "${probe}" 2>&1)" || probe_status=$?
problems=()
[[ ${probe_status} -ne 0 ]] ||
  problems+=("it exited 0 on known errors: the failure threshold does not fail the step")
for ns in "${ANALYZED_NAMESPACES[@]}"; do
  grep -qF "(VirtualService ${ns}/analyze-probe" <<<"${probe_output}" ||
    problems+=("nothing was reported about namespace ${ns}: it is not analyzed")
done
for suppression in ${suppressions[@]+"${suppressions[@]}"}; do
  grep -qF "[${suppression%%=*}] (${suppression#*=}" <<<"${probe_output}" ||
    problems+=("no ${suppression%%=*} on ${suppression#*=}: the suppression '${suppression}' hides nothing, drop it")
done
if [[ ${#problems[@]} -gt 0 ]]; then
  printf '%s\n' "${probe_output}" >&2
  printf 'istioctl analyze probe: %s\n' "${problems[@]}" >&2
  die "istioctl analyze cannot be trusted as invoked: istioctl ${istioctl_args[*]}"
fi
log "Probe: istioctl analyze fails on known errors and sees ${ANALYZED_NAMESPACES[*]}"

# 2. The real run: our objects only, with the suppressions.
suppress_args=()
for suppression in ${suppressions[@]+"${suppressions[@]}"}; do
  suppress_args+=(--suppress "${suppression}")
done
status=0
output="$(run "${istioctl_args[@]}" ${suppress_args[@]+"${suppress_args[@]}"} ${files[@]+"${files[@]}"} 2>&1)" || status=$?
printf '%s\n' "${output}" >&2
[[ ${status} -eq 0 ]] || die "istioctl analyze reported issues at ${threshold} or worse (exit ${status})"
log "istioctl analyze: nothing at ${threshold} or worse"
