#!/usr/bin/env bash
# Everything that needs a kernel with IPVS, in one boot: the netlink core under each
# supported pyroute2 series, the targets that must run alone in the initial network
# namespace (they unload or reload ip_vs, or set host-wide conntrack sizes), then the
# other integration targets in two lanes side by side. Each lane runs in a
# network namespace of its own, so each has its own IPVS table and lab; the guest's
# second CPU would otherwise idle while a module starts.
#   tests/bin/kernel-layer.sh               everything
#   tests/bin/kernel-layer.sh TARGET...     only these targets (a developer's loop)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
ALONE="ipvs_load conntrack_tuning"
# Balanced by the targets' measured times (timing/kernel.jsonl, docs/testing.md).
LANES=${LVS_IPVS_LANES:-"examples ipvs_server ipvs_timeouts|ipvs_service ipvs_info ipvs_sync_daemon ipvs_table"}
status=0

# $1 lane name, $2... targets: run them in a network namespace of the lane's own
lane() {
  local name=$1 lane_started=$SECONDS rc
  shift
  ip netns add "$name"
  ip -n "$name" link set lo up
  ip netns exec "$name" "$ROOT/tests/bin/integration.sh" "$@" 2>&1 | sed -u "s/^/[$name] /"
  rc=${PIPESTATUS[0]}
  log "lane $name ($*): exit $rc after $((SECONDS - lane_started)) s"
  return "$rc"
}

if (($#)); then
  alone=() others=()
  for target in "$@"; do
    if [[ " $ALONE " == *" $target "* ]]; then alone+=("$target"); else others+=("$target"); fi
  done
  ((${#alone[@]} == 0)) || "$ROOT/tests/bin/integration.sh" "${alone[@]}" || status=1
  ((${#others[@]} == 0)) || lane lvs-lane0 "${others[@]}" || status=1
  exit $status
fi

# lvs-ipvs-net is a shell script: its tests run once, under the newer series. -rP shows
# what the tests print (the concurrency tests say what each run saw).
for venv in "$VENV_PYROUTE2_07" "$VENV"; do
  version=$("$venv/bin/python" -c 'import pyroute2; print(pyroute2.__version__)')
  started=$SECONDS
  skip=()
  [[ $venv == "$VENV" ]] || skip=(--ignore=tests/kernel/test_host_script.py)
  (cd "$ROOT" && PYTHONPATH="$COLLECTIONS_PATH" "$venv/bin/python" -m pytest -q -rP -p no:cacheprovider "${skip[@]}" tests/kernel) || status=1
  log "netlink core with pyroute2 $version: $((SECONDS - started)) s"
done

started=$SECONDS
# shellcheck disable=SC2086 # a list of target names
"$ROOT/tests/bin/integration.sh" $ALONE || status=1
log "targets run alone: $((SECONDS - started)) s"

started=$SECONDS
read -r busy0 total0 < <(cpu_jiffies)
pids=()
IFS='|' read -r -a lanes <<< "$LANES"
for i in "${!lanes[@]}"; do
  # shellcheck disable=SC2086 # a lane is a list of target names
  lane "lvs-lane$i" ${lanes[$i]} &
  pids+=($!)
  sleep 5  # ansible-test creates shared state (ssh keys) on its first run
done
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
read -r busy1 total1 < <(cpu_jiffies)
log "integration lanes: $((SECONDS - started)) s, the guest's $(nproc) CPUs $(cpu_busy "$busy0" "$total0" "$busy1" "$total1")"
exit $status
