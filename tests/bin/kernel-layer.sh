#!/usr/bin/env bash
# Everything that needs a kernel with IPVS, in one boot: the netlink core under each
# supported pyroute2 series, the targets that must run alone in the initial network
# namespace (they unload or reload ip_vs, or set host-wide conntrack sizes), then the
# other integration targets in two lanes side by side. Each lane runs in a
# network namespace of its own, so each has its own IPVS table and lab; the guest's
# second CPU would otherwise idle while a module starts.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
LANES=${LVS_IPVS_LANES:-"ipvs_service ipvs_table|ipvs_info ipvs_server ipvs_timeouts ipvs_sync_daemon examples"}
status=0

for venv in "$VENV_PYROUTE2_07" "$VENV"; do
  version=$("$venv/bin/python" -c 'import pyroute2; print(pyroute2.__version__)')
  started=$SECONDS
  (cd "$ROOT" && PYTHONPATH="$COLLECTIONS_PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/kernel) || status=1
  log "netlink core with pyroute2 $version: $((SECONDS - started)) s"
done

started=$SECONDS
"$ROOT/tests/bin/integration.sh" ipvs_load conntrack_tuning || status=1
log "targets run alone: $((SECONDS - started)) s"

started=$SECONDS
pids=()
IFS='|' read -r -a lanes <<< "$LANES"
for i in "${!lanes[@]}"; do
  lane="lvs-lane$i"
  ip netns add "$lane"
  ip -n "$lane" link set lo up
  # shellcheck disable=SC2086 # a lane is a list of target names
  ( lane_started=$SECONDS
    ip netns exec "$lane" "$ROOT/tests/bin/integration.sh" ${lanes[$i]} 2>&1 | sed -u "s/^/[$lane] /"
    rc=${PIPESTATUS[0]}
    log "lane $lane (${lanes[$i]}): exit $rc after $((SECONDS - lane_started)) s"
    exit "$rc" ) &
  pids+=($!)
  sleep 5  # ansible-test creates shared state (ssh keys) on its first run
done
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
log "integration lanes: $((SECONDS - started)) s"
exit $status
