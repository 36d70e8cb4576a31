#!/usr/bin/env bash
# VRRP failover of the lab's director pair (extensions/molecule/failover), measured:
# RUNS failovers per fault (graceful stop, kill -9, link down) at the role's default
# advert_int (1 s, VRRPv2), RUNS kill -9 failovers measured on the IPv6 VIP (its VRRPv3
# instance at the same interval), then RUNS kill -9 and stop failovers with sub-second
# VRRPv3 adverts (0.2 s). Each run records VIP takeover time, lost requests and whether the
# client's long-lived (synced) connection survived; results in bench/results/failover.*.
#   bash bench/failover.sh [RUNS]        (default 5; about 25 s per run plus 8 min set-up)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
RUNS=${1:-5}

"$ROOT/tests/bin/setup.sh"
"$ROOT/tests/bin/lab-image.sh" >/dev/null
work=$(mktemp -d "$CACHE/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
LVS_IPVS_VM_OUT="$work" "$ROOT/tests/bin/vm.sh" "$ROOT/bench/failover-lab.sh" "$RUNS"
"$VENV/bin/python" "$ROOT/bench/failover.py" "$work/failover.jsonl" "$work/meta.json" "$ROOT/bench/results"
"$VENV/bin/python" "$ROOT/bench/plot.py" failover "$ROOT/bench/results"
cat "$ROOT/bench/results/failover.md"
