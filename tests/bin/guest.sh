#!/usr/bin/env bash
# Runs inside the virtme-ng guest: make Python fast, run the command, report back.
#   guest.sh RWDIR PYTHON_TARBALL
set -uo pipefail
rw=$1 tarball=$2
exec >>"$rw/guest.log" 2>&1
started=$(date +%s)
while read -r path; do
  mount -t tmpfs -o size=2G tmpfs "$path"
done < "$rw/tmpfs-paths"
tar -C / -xf "$tarball"
export LVS_IPVS_IN_VM=1 HOME=/tmp/home ANSIBLE_HOME=/tmp/home/.ansible TMPDIR=/tmp LVS_IPVS_OUT=$rw/out
mkdir -p "$HOME" "$LVS_IPVS_OUT"
echo "guest: $(uname -r), python unpacked in $(( $(date +%s) - started )) s"
modprobe ip_vs
eval "$(cat "$rw/cmd")"
echo $? > "$rw/rc"
