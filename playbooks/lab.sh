#!/usr/bin/env bash
# The demo lab: deploy the DR topology of playbooks/inventories/dr with
# playbooks/site.yml onto containers (a client, a director, three real servers),
# send real HTTP requests through the VIP, print how they were spread over the real
# servers and what the director, a real server and the client hold (docs/lab.md walks
# through it), and tear everything down. On a fresh Debian/Ubuntu machine, as root:
#   bash playbooks/lab.sh            (LAB_SCENARIO=nat, tun or failover for the others)
# It installs what it needs (tests/bin/setup.sh), builds the containers' image from
# Debian packages, and boots a Debian kernel under QEMU when this kernel has no IPVS
# (about 15 minutes then; a few on a host with IPVS).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
scenario=${LAB_SCENARIO:-dr}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

"$ROOT/tests/bin/setup.sh"
"$ROOT/tests/bin/lab-image.sh" >/dev/null
log "deploying the $scenario topology and sending requests through it"
if LVS_IPVS_VM_OUT=$results "$ROOT/tests/bin/vm.sh" "$ROOT/tests/bin/topology-layer.sh" "$scenario" > "$results/lab.log" 2>&1; then
  echo
  # the spread of the requests, then what the director, a real server and the client hold
  cat "$results/topology/$scenario.md" "$results/topology/$scenario"-view-lvs_{directors,realservers,clients}.md 2>/dev/null || true
  echo
  log "lab done (the whole log was in $results/lab.log; rerun with LAB_SCENARIO=nat, tun or failover)"
else
  tail -n 60 "$results/lab.log"
  log "the lab failed; the lines above are the end of its log"
  exit 1
fi
