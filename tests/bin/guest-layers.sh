#!/usr/bin/env bash
# The layers that need a kernel with IPVS, in one boot of the VM (or right here on a
# host with IPVS): each layer's exit status and time go to $LVS_IPVS_OUT/layers/ for
# run-all.sh, which reports them as if each had run on its own.
#   tests/bin/guest-layers.sh LAYER[:ARGS]...    LAYER is kernel or topology; ARGS, comma
#                                                 separated, are its targets or scenarios;
#                                                 lab:SHARE serves the lab to the host
#                                                 (tests/bin/lab-service.sh)
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
# In the VM this tree is read over 9p, which QEMU serves slowly, and every playbook run
# (a target's, molecule's, site.yml's inside dr's verify) loads the collection's plugins
# and roles again: the layers run from a copy in the guest's memory.
if [[ ${LVS_IPVS_IN_VM:-0} == 1 && -z ${LVS_IPVS_COLLECTIONS_PATH:-} ]]; then
  stage=/tmp/lvs-ipvs-stage
  stage_collection "$stage"
  export LVS_IPVS_CACHE=$CACHE LVS_IPVS_VENV=$VENV LVS_IPVS_VENV07=$VENV_PYROUTE2_07 LVS_IPVS_COLLECTIONS_PATH=$stage
  exec "$stage/ansible_collections/lvs/ipvs/tests/bin/guest-layers.sh" "$@"
fi
out="${LVS_IPVS_OUT:-/tmp}/layers"
mkdir -p "$out"
status=0
for spec in "$@"; do
  name=${spec%%:*} args=()
  [[ $spec == *:* ]] && IFS=, read -r -a args <<< "${spec#*:}"
  started=$SECONDS
  read -r busy0 total0 < <(cpu_jiffies)
  if [[ $name == lab ]]; then
    "$ROOT/tests/bin/lab-service.sh" "${args[@]}"
  else
    "$ROOT/tests/bin/$name-layer.sh" "${args[@]}"
  fi
  rc=$?
  read -r busy1 total1 < <(cpu_jiffies)
  echo "$rc" > "$out/$name.rc"
  echo $((SECONDS - started)) > "$out/$name.seconds"
  log "layer $name: exit $rc after $((SECONDS - started)) s, the guest's $(nproc) CPUs $(cpu_busy "$busy0" "$total0" "$busy1" "$total1")"
  ((rc == 0)) || status=1
done
exit $status
