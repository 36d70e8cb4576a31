#!/usr/bin/env bash
# The topology layer, on a kernel with IPVS (inside the VM, or a host that has it):
# the molecule scenarios, each host a podman container with its own network
# namespace, file system and IPVS table, carrying real HTTP through the VIP.
#   tests/bin/topology-layer.sh [SCENARIO...]      default: dr nat tun failover
# The lab's environment comes from lab-env.sh; results go to $LVS_IPVS_OUT/topology.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(dr nat tun failover)
. "$ROOT/tests/bin/lab-env.sh"

status=0
for scenario in "${scenarios[@]}"; do
  started=$SECONDS
  if (cd "$ROOT" && molecule test --scenario-name "$scenario"); then
    log "scenario $scenario passed in $((SECONDS - started)) s"
  else
    log "scenario $scenario FAILED after $((SECONDS - started)) s"
    status=1
  fi
done
cat "$LVS_LAB_RESULTS"/*.md 2>/dev/null
exit $status
