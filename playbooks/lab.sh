#!/usr/bin/env bash
# The demo lab: deploy the DR topology of playbooks/inventories/dr with
# playbooks/site.yml onto containers (a client, a director, three real servers),
# send real HTTP requests through the VIP, print how they were spread over the real
# servers and what the director, a real server and the client hold (docs/lab.md walks
# through it), and tear everything down. On a fresh Debian/Ubuntu machine, as root:
#   bash playbooks/lab.sh            (LAB_SCENARIO=nat, tun or failover for the others)
# It installs what the lab needs (tests/bin/setup.sh with LVS_IPVS_SETUP=lab), builds
# the containers' image from Debian packages, and boots a Debian kernel under QEMU for
# the containers when this kernel has no IPVS. Each step is printed as it ends, with
# the time since the start. The checks stay in the test suite (tests/run-all.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
scenario=${LAB_SCENARIO:-dr}
results=$(mktemp -d)
progress_file=$results/progress
: > "$progress_file"
# the steps as they end, with the time since the start
start=$(date +%s)
tail -n +1 -f "$progress_file" | while IFS= read -r line; do
  elapsed=$(($(date +%s) - start))
  printf '[%2d:%02d] %s\n' $((elapsed / 60)) $((elapsed % 60)) "$line"
done &
shower=$!
trap 'kill $shower 2>/dev/null; rm -rf "$results"' EXIT

log "the $scenario lab: set-up, container image, VM boot (when this kernel has no IPVS), create, converge, traffic, destroy"
# The test suite's topology layer for this scenario in demo mode: it installs what the
# lab needs, builds the image, and runs the lab where the kernel has IPVS (the VM, when
# this one has not; Ansible stays on this machine).
if LVS_LAB_PROGRESS=$progress_file LVS_LAB_DEMO=1 LVS_IPVS_SETUP=lab \
  bash "$ROOT/tests/run-all.sh" topology --scenario "$scenario" > "$results/lab.log" 2>&1; then
  sleep 1
  echo
  # the spread of the requests, then what the director, a real server and the client hold
  cat "$CACHE/out/topology/$scenario.md" "$CACHE/out/topology/$scenario"-view-lvs_{directors,realservers,clients}.md 2>/dev/null || true
  echo
  log "lab done in $(($(date +%s) - start)) s (rerun with LAB_SCENARIO=nat, tun or failover)"
else
  sleep 1
  tail -n 60 "$results/lab.log"
  log "the lab failed; the lines above are the end of its log"
  exit 1
fi
