#!/usr/bin/env bash
# Run ansible-test integration targets against this machine's kernel (as root), one
# ansible-test run per target, each timed (tests/bin/callback/lvs_timing.py splits the
# time into module runs and controller work).
# Called inside the VM by tests/bin/vm.sh, or directly on a host whose kernel has IPVS.
#   tests/bin/integration.sh TARGET...
# Targets run under Mitogen's persistent-interpreter strategy (a module run costs less
# than half as much in the emulated guest: bench/results/harness.md), except those in
# LVS_IPVS_PLAIN_TARGETS, which keep Ansible's own AnsiballZ path covered: between
# them every module runs that way too.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
export PATH="$VENV/bin:$PATH"
PLAIN=" ${LVS_IPVS_PLAIN_TARGETS:-ipvs_load conntrack_tuning examples} "

stage=$(mktemp -d /tmp/lvs-ipvs-it.XXXXXX)
dest="$stage/ansible_collections/lvs/ipvs"
mkdir -p "$dest"
rsync -a --exclude '.venv*' --exclude .cache --exclude .git --exclude tests/output "$ROOT/" "$dest/"
cd "$dest"
mitogen=$(python -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')
log "ansible-test integration on $(uname -r), $(python -c 'import pyroute2; print("pyroute2", pyroute2.__version__)')"
mkdir -p "${LVS_IPVS_OUT:-/tmp}/timing"
status=0
for target in "$@"; do
  strategy=mitogen_linear
  [[ $PLAIN == *" $target "* ]] && strategy=linear
  # ansible-test reads the targets' Ansible configuration from this file.
  cat > tests/integration/integration.cfg <<CFG
[defaults]
strategy_plugins = $mitogen/plugins/strategy
strategy = $strategy
callback_plugins = $ROOT/tests/bin/callback
[callback_lvs_timing]
output = ${LVS_IPVS_OUT:-/tmp}/timing/kernel.jsonl
label = $target
CFG
  started=$SECONDS
  if ansible-test integration --local --allow-destructive --allow-root --color no -v "$target"; then
    log "target $target passed in $((SECONDS - started)) s ($strategy)"
  else
    log "target $target FAILED after $((SECONDS - started)) s ($strategy)"
    status=1
  fi
done
exit $status
