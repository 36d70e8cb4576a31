#!/usr/bin/env bash
# The ipvs_table benchmark in one run: the host figures here, the kernel figures in the
# test VM (or right here when this kernel has IPVS), results rendered into bench/results/.
#   bash bench/table.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"

"$ROOT/tests/bin/setup.sh"
work=$(mktemp -d "$CACHE/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT

log "host: cold start and module memory"
"$VENV/bin/python" "$ROOT/bench/table.py" host "$work/host.json"

log "kernel: ipvs_table, ipvsadm and ansible-playbook, 10 to 100,000 real servers"
# shellcheck disable=SC2016 # expanded by the shell that runs the command, in the guest
# the guest starts with a clean environment: the sizes travel on its command line
LVS_IPVS_VM_OUT="$work" "$ROOT/tests/bin/vm.sh" env "BENCH_SIZES=${BENCH_SIZES:-}" "BENCH_PLAYBOOK_LIMIT=${BENCH_PLAYBOOK_LIMIT:-}" bash -c \
  '"$0" "$1" kernel "$LVS_IPVS_OUT/kernel.json"' "$VENV/bin/python" "$ROOT/bench/table.py"

"$VENV/bin/python" "$ROOT/bench/table.py" render "$ROOT/bench/results" "$work/host.json" "$work/kernel.json"
"$VENV/bin/python" "$ROOT/bench/plot.py" table "$ROOT/bench/results"
cat "$ROOT/bench/results/table.md"
