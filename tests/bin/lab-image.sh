#!/usr/bin/env bash
# Build the lab's container image from Debian packages (no registry): a minimal
# bookworm root file system with the packages of extensions/molecule/packages.txt
# (Python, the modules' libraries, ipvsadm, keepalived, curl, an SSH server) that lets
# in the lab's key. Prints the tarball's path.
#   tests/bin/lab-image.sh      (cached in .cache/lab; rebuilt when this file changes)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
LAB="$CACHE/lab"
# the packages the Containerfile of Docker and Podman hosts installs too
PACKAGE_LIST="$ROOT/extensions/molecule/packages.txt"
PACKAGES=$(paste -sd, "$PACKAGE_LIST")
stamp=$(cat "$0" "$PACKAGE_LIST" | sha256sum | cut -c1-16)

if [[ -f $LAB/rootfs.tar && $(cat "$LAB/stamp" 2>/dev/null) == "$stamp" ]]; then
  echo "$LAB/rootfs.tar"
  exit 0
fi
command -v debootstrap >/dev/null || { log "debootstrap is missing (tests/bin/setup.sh installs it)"; exit 2; }
rm -rf "$LAB" && mkdir -p "$LAB"
log "building the lab image with debootstrap (about a minute)"
$SUDO debootstrap --variant=minbase --include="$PACKAGES" bookworm "$LAB/rootfs" >"$LAB/debootstrap.log" 2>&1 ||
  { tail -n 20 "$LAB/debootstrap.log" >&2; exit 1; }
# Slimmer image, faster import: no documentation, locales or package caches.
$SUDO rm -rf "$LAB"/rootfs/usr/share/{doc,man,info,locale,i18n} "$LAB"/rootfs/var/cache/apt/*.bin \
  "$LAB"/rootfs/var/cache/apt/archives/*.deb "$LAB"/rootfs/var/lib/apt/lists/*
ssh-keygen -q -t ed25519 -N '' -C lvs-lab -f "$LAB/id_ed25519"
$SUDO install -d -m 700 "$LAB/rootfs/root/.ssh" "$LAB/rootfs/run/sshd"
$SUDO install -m 600 "$LAB/id_ed25519.pub" "$LAB/rootfs/root/.ssh/authorized_keys"
$SUDO tar -C "$LAB/rootfs" -cf "$LAB/rootfs.tar" .
$SUDO rm -rf "$LAB/rootfs"
echo "$stamp" > "$LAB/stamp"
echo "$LAB/rootfs.tar"
