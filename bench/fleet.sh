#!/usr/bin/env bash
# What site.yml's checks cost the controller over fleets of 10 to 5,000 real servers
# (bench/fleet.py says how); results rendered into bench/results/fleet.*, after the
# earlier runs kept in bench/results/fleet-history.json.
#   bash bench/fleet.sh                           every fleet, with and without lvs.ipvs.preload
#   BENCH_FLEETS=1000x100,5000x1000 bash bench/fleet.sh
#   BEFORE=ad88c12 bash bench/fleet.sh            also that revision's checks (the first play of
#                                                 its site.yml) on the fleets in $BEFORE_FLEETS
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"

"$ROOT/tests/bin/setup.sh"
work=$(mktemp -d "$CACHE/bench.XXXXXX")
cleanup() {
  [[ ! -d $work/before ]] || git -C "$ROOT" worktree remove --force "$work/before"
  rm -rf "$work"
}
trap cleanup EXIT
runs=()
if [[ -n ${BEFORE:-} ]]; then
  git -C "$ROOT" worktree add --detach "$work/before" "$BEFORE" >/dev/null
  mkdir -p "$work/before-collections/ansible_collections/lvs"
  ln -s "$work/before" "$work/before-collections/ansible_collections/lvs/ipvs"
  "$VENV/bin/python" -c 'import sys, yaml; yaml.safe_dump(yaml.safe_load(open(sys.argv[1]))[:1], open(sys.argv[2], "w"), sort_keys=False)' \
    "$work/before/playbooks/site.yml" "$work/before/playbooks/bench-checks.yml"
  log "the checks of $BEFORE on ${BEFORE_FLEETS:=10x100,100x100,1000x100}"
  BENCH_FLEETS=$BEFORE_FLEETS BENCH_PRELOAD=off "$VENV/bin/python" "$ROOT/bench/fleet.py" run "$work/before.json" \
    "$work/before-collections" "$work/before/playbooks/bench-checks.yml" "before ($BEFORE)"
  runs+=("$work/before.json")
fi
log "the checks of this tree"
"$VENV/bin/python" "$ROOT/bench/fleet.py" run "$work/fleet.json"
"$VENV/bin/python" "$ROOT/bench/fleet.py" render "$ROOT/bench/results" "$ROOT/bench/results/fleet-history.json" "${runs[@]}" "$work/fleet.json"
cat "$ROOT/bench/results/fleet.md"
