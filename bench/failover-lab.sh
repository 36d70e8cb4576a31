#!/usr/bin/env bash
# The failover benchmark's part on a kernel with IPVS (run by bench/failover.sh through
# tests/bin/vm.sh): build the failover lab, converge it, repeat failover_probe.py (kill -9
# over the IPv6 VIP too), converge again with sub-second VRRPv3 adverts, repeat, take the
# lab down. Writes
# $LVS_IPVS_OUT/failover.jsonl (one record per run) and meta.json.
#   bench/failover-lab.sh RUNS
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
. "$ROOT/tests/bin/lab-env.sh"
RUNS=$1
OUT=${LVS_IPVS_OUT:-$PODMAN_DIR}
PROBE="$ROOT/extensions/molecule/shared/files/failover_probe.py"
export MOLECULE_SCENARIO_NAME=failover

# series ADVERT_INT VIP FAULT...: RUNS failovers of each fault, measured on VIP
series() {
  local advert=$1 vip=$2; shift 2
  local fault run
  for fault in "$@"; do
    for run in $(seq "$RUNS"); do
      if ! python3 "$PROBE" --fault "$fault" --run "$run" --run-dir "$LVS_LAB_RUN" --advert-int "$advert" --vip "$vip" >>"$OUT/failover.jsonl"; then
        log "failover run $run ($fault, advert_int $advert, $vip) failed"
      fi
    done
  done
}

cd "$ROOT" || exit 1
status=1
if molecule create -s failover && molecule converge -s failover; then
  series 1 192.0.2.10 stop kill9 link_down
  series 1 2001:db8::10 kill9
  if molecule converge -s failover -- -e '{"director_vrrp_advert_int": 0.2, "director_vrrp_version": 3, "director_vrrp_auth_pass": ""}'; then
    series 0.2 192.0.2.10 kill9 stop
    status=0
  fi
fi
python3 - "$OUT/meta.json" <<'PY'
import json, platform, subprocess, sys
def out(*argv):
    done = subprocess.run(argv, capture_output=True, text=True)
    return (done.stdout + done.stderr).strip()
json.dump({
    "kernel": platform.release(),
    "keepalived": out("podman", "exec", "lvs-lab-lb1", "keepalived", "--version").splitlines()[0] if out("podman", "ps", "-q") else "",
    "podman": out("podman", "--version"),
    "cpus": out("nproc"),
}, open(sys.argv[1], "w"))
PY
molecule destroy -s failover
exit $status
