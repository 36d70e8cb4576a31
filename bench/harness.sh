#!/usr/bin/env bash
# Where the test suite's time goes, measured where the kernel layer runs (the QEMU
# guest, or this host when its kernel has IPVS); results in bench/results/harness.*.
#   bash bench/harness.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"

"$ROOT/tests/bin/setup.sh"
work=$(mktemp -d "$CACHE/bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2016 # expanded by the shell that runs the command, in the guest
LVS_IPVS_VM_OUT="$work" ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_PATH" "$ROOT/tests/bin/vm.sh" bash -c \
  'cd /tmp && PATH="$(dirname "$0"):$PATH" ANSIBLE_COLLECTIONS_PATH="$3" "$0" "$1" run "$LVS_IPVS_OUT/harness.json"' \
  "$VENV/bin/python" "$ROOT/bench/harness.py" unused "$COLLECTIONS_PATH"
"$VENV/bin/python" "$ROOT/bench/harness.py" render "$ROOT/bench/results" "$work/harness.json"
cat "$ROOT/bench/results/harness.md"
