#!/usr/bin/env bash
# Inside the VM: serve the lab to a controller on the host, until the host is done.
#   tests/bin/lab-service.sh SHARE
# The topology layer's Ansible controller and molecule run on the host, where Python is
# ~30x faster than in the emulated guest; the lab's containers and their IPVS tables stay
# in the guest. The host reaches them through the user-mode network card vm.sh adds
# (10.0.2.15 here, forwarded ports on the host's 127.0.0.1):
#   - podman's API service on port 8080: the host's podman client runs with CONTAINER_HOST
#     (create, destroy, the failover probe's podman exec);
#   - an SSH server on port 2222, from the lab's root file system in a chroot, that
#     Ansible's SSH uses as a jump to each container's own SSH server on the lab's
#     management network (the lab's key opens both).
# SHARE is a folder both sides write: the containers' /lab/run lives there (the failover
# probe on the host reads what they write), "ready" says the lab is served, the host
# writes "done" when the topology layer has ended.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
share=$1
export LVS_LAB_RUN="$share/run"
. "$ROOT/tests/bin/lab-env.sh"

modprobe virtio_net
nic=""
for path in /sys/class/net/*; do
  [[ -e $path/device ]] && nic=${path##*/}
done
if [[ -z $nic ]]; then
  log "no network card for the host (vm.sh adds it with LVS_IPVS_VM_FORWARDS)"
  exit 2
fi
ip addr add 10.0.2.15/24 dev "$nic"
ip link set "$nic" up
ip route add default via 10.0.2.2

podman --log-level=error system service --time=0 tcp:10.0.2.15:8080 &
service=$!

# The jump's root: the lab's file system seen through a bind mount, so the containers'
# overlays (which use the original folder as their lower layer) never see these mounts.
jump=/tmp/lvs-lab-jump
mkdir -p "$jump"
mount --bind "$LVS_LAB_ROOTFS" "$jump"
mount --bind /dev "$jump/dev"
mount -t proc proc "$jump/proc"
chroot "$jump" /usr/sbin/sshd -D -e -p 2222 -o UsePAM=no -o PermitRootLogin=prohibit-password \
  -o AllowTcpForwarding=yes -o PidFile=none 2>>"$share/jump.log" &
jumper=$!

serving=0
for _ in $(seq 60); do
  if (exec 3<>/dev/tcp/10.0.2.15/8080) 2>/dev/null && (exec 3<>/dev/tcp/10.0.2.15/2222) 2>/dev/null; then
    serving=1
    break
  fi
  sleep 1
done
((serving)) || { log "the podman service or the SSH jump did not start (see $share/jump.log)"; exit 1; }
read -r busy0 total0 < <(cpu_jiffies)
started=$SECONDS
echo "LVS_LAB_ROOTFS=$LVS_LAB_ROOTFS" > "$share/ready"
log "lab served to the host (podman API on 8080, SSH jump on 2222)"
until [[ -e $share/done ]]; do
  kill -0 "$service" "$jumper" 2>/dev/null || { log "the podman service or the SSH jump stopped"; exit 1; }
  sleep 2
done
read -r busy1 total1 < <(cpu_jiffies)
log "the host's topology layer ended after $((SECONDS - started)) s, the guest's $(nproc) CPUs $(cpu_busy "$busy0" "$total0" "$busy1" "$total1")"
kill "$service" "$jumper" 2>/dev/null
exit 0
