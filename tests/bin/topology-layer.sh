#!/usr/bin/env bash
# The topology layer: the molecule scenarios, each host a podman container with its own
# network namespace, file system and IPVS table, carrying real HTTP through the VIP.
#   tests/bin/topology-layer.sh [SCENARIO...]      default: dr nat tun failover
# On a host whose kernel has IPVS everything runs here. Without one, run-all.sh runs
# this on the host against the lab a VM serves (tests/bin/lab-service.sh; CONTAINER_HOST
# and LVS_LAB_JUMP_PORT set). The lab's environment comes from lab-env.sh; results go to
# $LVS_IPVS_OUT/topology.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
scenarios=("$@")
((${#scenarios[@]})) || scenarios=(dr nat tun failover)
. "$ROOT/tests/bin/lab-env.sh"
# A controller on the host with the lab in the VM (tests/bin/lab-service.sh): SSH reaches
# each container through the jump at 127.0.0.1:LVS_LAB_JUMP_PORT, one shared connection
# to it, and every shared connection of this run in a folder of its own (the same
# addresses come back in every run).
if [[ -n ${CONTAINER_HOST:-} ]]; then
  ANSIBLE_SSH_CONTROL_PATH_DIR=$(mktemp -d /tmp/lvs-lab-ssh.XXXXXX)
  export ANSIBLE_SSH_CONTROL_PATH_DIR
  jump=(ssh -i "$LVS_LAB_SSH_KEY" -p "$LVS_LAB_JUMP_PORT" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null
    -o LogLevel=ERROR -o ControlMaster=auto -o "ControlPath=$ANSIBLE_SSH_CONTROL_PATH_DIR/jump" -o ControlPersist=600)
  export LVS_LAB_SSH_ARGS="-o 'ProxyCommand=${jump[*]} -W %h:%p root@127.0.0.1'"
fi
# Mitogen's persistent interpreters: one per container for the whole playbook instead
# of an interpreter start per task (docs/testing.md). The kernel layer keeps
# Ansible's plain module path covered. Each playbook's time, split into module runs
# and controller work, goes to the log and to timing/topology.jsonl.
# (tests/bin/strategy: mitogen_linear without its CPU pinning, which kept the
# controller, its workers and their ssh on one of the guest's two CPUs).
export ANSIBLE_STRATEGY_PLUGINS="$ROOT/tests/bin/strategy" ANSIBLE_STRATEGY=${LVS_IPVS_STRATEGY:-lvs_mitogen_linear}
# Mitogen starts its interpreter in a container within the connection timeout; in the
# emulated guest, with several containers at once, that took longer than the default 10 s.
export ANSIBLE_TIMEOUT=60
# lvs.ipvs.preload: the collection's filters loaded once in the controller, not in every
# task's worker (the playbooks' nested site.yml runs inherit it).
export ANSIBLE_CALLBACKS_ENABLED=lvs.ipvs.preload
export ANSIBLE_CALLBACK_PLUGINS="$ROOT/tests/bin/callback" LVS_IPVS_TIMING="${LVS_IPVS_OUT:-/tmp}/timing/topology.jsonl"
# Molecule asks ansible-playbook for its version before every playbook: answered once.
LVS_LAB_ANSIBLE_PLAYBOOK=$(command -v ansible-playbook)
LVS_LAB_PLAYBOOK_VERSION=$(mktemp)
# shellcheck disable=SC2317 # called by the trap
leave() {
  rm -f "$LVS_LAB_PLAYBOOK_VERSION"
  if [[ -n ${CONTAINER_HOST:-} ]]; then
    "${jump[@]}" -O exit root@127.0.0.1 2>/dev/null
    rm -rf "$ANSIBLE_SSH_CONTROL_PATH_DIR"
  fi
}
trap leave EXIT
export LVS_LAB_ANSIBLE_PLAYBOOK LVS_LAB_PLAYBOOK_VERSION PATH="$ROOT/tests/bin/molecule-path:$PATH"
mkdir -p "$(dirname "$LVS_IPVS_TIMING")"

# The demo (playbooks/lab.sh, LVS_LAB_DEMO=1): the lab's steps one by one, each reported
# as it ends - create, converge, the traffic with the lab report (molecule's side
# effect), destroy; the checks of molecule test stay in the test suite.
demo() {
  local scenario=$1 step started rc=0
  local -A label=([create]="create the containers" [converge]="converge (playbooks/site.yml)"
    [side-effect]="traffic and the lab report" [destroy]="teardown")
  for step in create converge side-effect; do
    started=$SECONDS
    (cd "$ROOT" && molecule "$step" --scenario-name "$scenario") || rc=1
    progress "${label[$step]}: $((SECONDS - started)) s$( ((rc == 0)) || echo ', FAILED')"
    ((rc == 0)) || break
  done
  started=$SECONDS
  (cd "$ROOT" && molecule destroy --scenario-name "$scenario") || rc=1
  progress "${label[destroy]}: $((SECONDS - started)) s"
  return $rc
}

status=0
if [[ -n ${LVS_LAB_DEMO:-} ]]; then
  for scenario in "${scenarios[@]}"; do demo "$scenario" || status=1; done
  exit $status
fi
# The task that failed a scenario, from its output: the last failure Ansible did not
# ignore (the play ends there; cleanup and destroy still run after it), with its result:
# a failed assert prints it over several lines, the failing condition and fail_msg in it.
failed_task() {
  awk '/^TASK \[/ { task = $0 }
    /^(fatal|failed): \[/ {
      failure = "  " substr($0, 1, 600)
      if ($0 ~ /=> \{$/) {
        for (n = 0; n < 80 && (getline line) > 0; n++) { failure = failure "\n  " substr(line, 1, 600); if (line ~ /^\}/) break }
      }
      getline after
      if (after !~ /\.\.\.ignoring/) last = task "\n" failure
    }
    END { if (last) print last }' "$1"
}

for scenario in "${scenarios[@]}"; do
  started=$SECONDS
  steps=$(mktemp)
  output=$(mktemp)
  # a scenario passes when molecule does and no step of its sequence was skipped
  if (cd "$ROOT" && LVS_IPVS_TIMING_LABEL=$scenario LVS_LAB_STEPS=$steps molecule test --scenario-name "$scenario") 2>&1 | tee "$output" &&
    "$VENV/bin/python" "$ROOT/tests/bin/check_steps.py" "$ROOT/extensions/molecule/$scenario" "$steps"; then
    log "scenario $scenario passed in $((SECONDS - started)) s"
  else
    log "scenario $scenario FAILED after $((SECONDS - started)) s"
    # run-all.sh repeats this at the end of its output, where a CI log's tail shows it
    { echo "topology scenario $scenario FAILED at:"; failed_task "$output"; } | tee -a "${LVS_IPVS_FAILURES:-/dev/null}" >&2
    status=1
  fi
  rm -f "$steps" "$output"
done
cat "$LVS_LAB_RESULTS"/*.md 2>/dev/null
exit $status
