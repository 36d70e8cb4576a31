#!/usr/bin/env bash
# The demo lab: deploy the DR topology of playbooks/inventories/dr with
# playbooks/site.yml onto containers (a client, a director, three real servers),
# send real HTTP requests through the VIP, print how they were spread over the real
# servers and what the director, a real server and the client hold (docs/lab.md walks
# through it), and tear everything down. On a fresh Debian/Ubuntu machine, as root:
#   bash playbooks/lab.sh            (LAB_SCENARIO=nat, tun or failover for the others)
# It installs what it needs (tests/bin/setup.sh), builds the containers' image from
# Debian packages, and boots a Debian kernel under QEMU when this kernel has no IPVS
# for the containers (about 5 minutes then after the first set-up, on 2 cores).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
scenario=${LAB_SCENARIO:-dr}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

log "deploying the $scenario topology and sending requests through it"
# The test suite's topology layer for this scenario alone: it installs what it needs,
# builds the image, and runs the lab where the kernel has IPVS (the VM, when this one has
# not; Ansible stays on this machine).
if bash "$ROOT/tests/run-all.sh" topology --scenario "$scenario" > "$results/lab.log" 2>&1; then
  echo
  # the spread of the requests, then what the director, a real server and the client hold
  cat "$CACHE/out/topology/$scenario.md" "$CACHE/out/topology/$scenario"-view-lvs_{directors,realservers,clients}.md 2>/dev/null || true
  echo
  log "lab done (the whole log was in $results/lab.log; rerun with LAB_SCENARIO=nat, tun or failover)"
else
  tail -n 60 "$results/lab.log"
  log "the lab failed; the lines above are the end of its log"
  exit 1
fi
