#!/usr/bin/env bash
# The topology layer, on a kernel with IPVS (inside the VM, or a host that has it):
# the molecule scenarios, each host a podman container with its own network
# namespace, file system and IPVS table, carrying real HTTP through the VIP.
#   tests/bin/topology-layer.sh                two lanes side by side (LVS_IPVS_TOPOLOGY_LANES)
#   tests/bin/topology-layer.sh SCENARIO...    these scenarios, one after another
# Each lane is a network and mount namespace of its own with its own podman storage,
# locks, networks and SSH connections, so two labs with the same addresses and container names run
# at once: the failover scenario mostly waits for VRRP timers and the others for
# interpreters, and one lane alone left the guest's second CPU half idle.
# The lab's environment comes from lab-env.sh; results go to $LVS_IPVS_OUT/topology.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
# dr and failover are the long ones (bench: docs/testing.md), one in each lane.
LANES=${LVS_IPVS_TOPOLOGY_LANES:-"dr tun|failover nat"}

# $@ scenarios: run them one after another in this network namespace
run_scenarios() {
  local status=0 scenario started
  . "$ROOT/tests/bin/lab-env.sh"
  # Mitogen's persistent interpreters: one per container for the whole playbook instead
  # of an interpreter start per task (docs/testing.md). The kernel layer keeps Ansible's
  # plain module path covered. Each playbook's time, split into module runs and
  # controller work, goes to the log and to timing/topology.jsonl.
  ANSIBLE_STRATEGY_PLUGINS="$("$VENV/bin/python" -c 'import ansible_mitogen, os; print(os.path.dirname(ansible_mitogen.__file__))')/plugins/strategy"
  export ANSIBLE_STRATEGY_PLUGINS ANSIBLE_STRATEGY=${LVS_IPVS_STRATEGY:-mitogen_linear}
  # Mitogen starts its interpreter in a container within the connection timeout; in the
  # emulated guest, with several containers at once, that took longer than the default 10 s.
  export ANSIBLE_TIMEOUT=60
  # SSH's shared connections are keyed by address, and both lanes use the same ones.
  export ANSIBLE_SSH_CONTROL_PATH_DIR="$PODMAN_DIR/cp"
  export ANSIBLE_CALLBACK_PLUGINS="$ROOT/tests/bin/callback" LVS_IPVS_TIMING="${LVS_IPVS_OUT:-/tmp}/timing/topology.jsonl"
  mkdir -p "$(dirname "$LVS_IPVS_TIMING")"
  for scenario in "$@"; do
    started=$SECONDS
    if (cd "$ROOT" && LVS_IPVS_TIMING_LABEL=$scenario molecule test --scenario-name "$scenario"); then
      log "scenario $scenario passed in $((SECONDS - started)) s"
    else
      log "scenario $scenario FAILED after $((SECONDS - started)) s"
      status=1
    fi
  done
  return $status
}

if [[ ${1:-} == --in-lane ]]; then
  shift
  ip link set lo up
  # Two places podman keeps per machine, whatever its configuration: the locks in POSIX
  # shared memory (/dev/shm/libpod_lock) and the networks' address allocations
  # (/run/containers/networks).
  mount -t tmpfs -o size=64M tmpfs /dev/shm
  mkdir -p /run/containers && mount -t tmpfs -o size=64M tmpfs /run/containers
  run_scenarios "$@"
  exit
fi

status=0
if (($#)); then
  run_scenarios "$@" || status=1
else
  # The lab's root file system, unpacked once here, is every lane's lower layer.
  . "$ROOT/tests/bin/lab-env.sh"
  pids=()
  IFS='|' read -r -a lanes <<< "$LANES"
  for i in "${!lanes[@]}"; do
    # shellcheck disable=SC2086 # a lane is a list of scenario names
    (
      started=$SECONDS
      LVS_LAB_PODMAN_DIR="$PODMAN_DIR/lane$i" unshare --net --mount --propagation private -- "$0" --in-lane ${lanes[$i]} 2>&1 | sed -u "s/^/[topology$i] /"
      rc=${PIPESTATUS[0]}
      log "lane topology$i (${lanes[$i]}): exit $rc after $((SECONDS - started)) s"
      exit "$rc"
    ) &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || status=1
  done
fi
cat "$LVS_LAB_RESULTS"/*.md 2>/dev/null
exit $status
