#!/usr/bin/env bash
# Build extensions/molecule/Containerfile as the first `molecule create` on a Docker or
# Podman host does (podman build), and check that the image holds what the lab needs:
# Python with the modules' libraries, ipvsadm, keepalived, systemd, and an SSH server
# whose configuration is valid and authorizes the lab's key from /lab/run.
# Two differences, both of this machine: no registry is reachable, so FROM's
# debian:bookworm-slim is stood in for by a debootstrap --variant=minbase of bookworm
# (cached in .cache/containerfile); and its cgroups keep podman's runtime from running
# build steps, so they run in a chroot (--isolation=chroot).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
dir="$CACHE/containerfile" base=localhost/lvs-lab-debian-bookworm image=localhost/lvs-lab-containerfile-check
if ! podman image exists "$base"; then
  rm -rf "$dir" && mkdir -p "$dir"
  $SUDO debootstrap --variant=minbase bookworm "$dir/rootfs" http://deb.debian.org/debian >"$dir/debootstrap.log" 2>&1 ||
    { tail -n 20 "$dir/debootstrap.log" >&2; exit 1; }
  $SUDO tar -C "$dir/rootfs" -c . | podman import - "$base" >/dev/null 2>&1
  $SUDO rm -rf "$dir/rootfs"
fi
mkdir -p "$dir"
podman build --isolation=chroot --network=host --from="$base" --tag="$image" \
  --file="$ROOT/extensions/molecule/Containerfile" "$ROOT/extensions/molecule" >"$dir/build.log" 2>&1 ||
  { tail -n 20 "$dir/build.log" >&2; exit 1; }
root=$(podman image mount "$image")
trap 'podman image unmount "$image" >/dev/null; podman rmi "$image" >/dev/null' EXIT
chroot "$root" /usr/sbin/sshd -t
grep -qx 'AuthorizedKeysFile .ssh/authorized_keys /lab/run/authorized_keys' "$root/etc/ssh/sshd_config.d/lvs-lab.conf"
chroot "$root" python3 -c 'import pyroute2, netaddr, apt'
for program in /usr/sbin/ipvsadm /usr/sbin/keepalived /lib/systemd/systemd /usr/bin/curl /usr/sbin/sshd; do
  [[ -x $root$program ]] || { log "the image has no $program"; exit 1; }
done
[[ -d $root/run/sshd ]]
log "Containerfile: built with podman (bookworm minbase in place of debian:bookworm-slim); sshd, Python with pyroute2 and netaddr, ipvsadm, keepalived, systemd present"
