#!/usr/bin/env bash
# Run ansible-test integration targets against this machine's kernel (as root), each
# timed (tests/bin/callback/lvs_timing.py splits a target's time into module runs and
# controller work and names it by its playbook).
# Called inside the VM by tests/bin/vm.sh, or directly on a host whose kernel has IPVS.
#   tests/bin/integration.sh TARGET...
# Targets run under Mitogen's persistent-interpreter strategy (a module run costs less
# than half as much in the emulated guest: docs/testing.md; tests/bin/strategy has it
# without Mitogen's CPU pinning), except those in LVS_IPVS_PLAIN_TARGETS, which keep
# Ansible's own AnsiballZ path covered: ipvs_load runs every module that way.
# Consecutive targets of one strategy share one ansible-test run: its own start-up
# costs about 25 s in the guest (docs/testing.md).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
export PATH="$VENV/bin:$PATH"
PLAIN=" ${LVS_IPVS_PLAIN_TARGETS:-ipvs_load} "

stage=$(mktemp -d /tmp/lvs-ipvs-it.XXXXXX)
stage_collection "$stage"
cd "$stage/ansible_collections/lvs/ipvs"
log "ansible-test integration on $(uname -r), $(python -c 'import pyroute2; print("pyroute2", pyroute2.__version__)')"
mkdir -p "${LVS_IPVS_OUT:-/tmp}/timing"
# $1 strategy, $2... targets: one ansible-test run
run_targets() {
  local strategy=$1 started=$SECONDS
  shift
  # ansible-test reads the targets' Ansible configuration from this file.
  cat > tests/integration/integration.cfg <<CFG
[defaults]
strategy_plugins = $ROOT/tests/bin/strategy
strategy = $strategy
callback_plugins = $ROOT/tests/bin/callback
callbacks_enabled = lvs.ipvs.preload
[callback_lvs_timing]
output = ${LVS_IPVS_OUT:-/tmp}/timing/kernel.jsonl
CFG
  if ansible-test integration --local --allow-destructive --allow-root --continue-on-error --color no -v "$@"; then
    log "targets $* passed in $((SECONDS - started)) s ($strategy)"
  else
    log "targets $* FAILED after $((SECONDS - started)) s ($strategy): see the FAILED target above"
    return 1
  fi
}

status=0 batch=() batch_strategy=""
for target in "$@"; do
  strategy=lvs_mitogen_linear
  [[ $PLAIN == *" $target "* ]] && strategy=linear
  if [[ $strategy != "$batch_strategy" && ${#batch[@]} -gt 0 ]]; then
    run_targets "$batch_strategy" "${batch[@]}" || status=1
    batch=()
  fi
  batch+=("$target") batch_strategy=$strategy
done
((${#batch[@]} == 0)) || run_targets "$batch_strategy" "${batch[@]}" || status=1
exit $status
