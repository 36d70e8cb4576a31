#!/usr/bin/env bash
# Run a command as root on a kernel with IPVS and return its exit status.
#
#   tests/bin/vm.sh COMMAND [ARGS...]
#
# The command may write result files into the folder $LVS_IPVS_OUT; they are copied
# to the host folder LVS_IPVS_VM_OUT names (when set) once the command has ended.
#
# On a host whose kernel has IPVS the command runs right here. Otherwise a Debian
# kernel (linux-image-amd64's current version; with LVS_IPVS_VM_RELEASE=trixie, that
# release's, fetched with apt lists of the harness's own) boots under QEMU software emulation
# via virtme-ng, sees this file system read-only, and runs the command once.
# The guest cannot return an exit code or print to our terminal, so it writes both
# into a shared folder. Python's stdlib and the venvs are copied into tmpfs inside
# the guest because imports over the guest's 9p root are ~80x slower.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"

if kernel_has_ipvs; then
  log "this kernel has IPVS: running without a VM"
  if [[ -n ${LVS_IPVS_VM_OUT:-} ]]; then
    mkdir -p "$LVS_IPVS_VM_OUT"
    export LVS_IPVS_OUT=$LVS_IPVS_VM_OUT
  fi
  exec "$@"
fi

RELEASE=${LVS_IPVS_VM_RELEASE:-}
kernel_version() {
  local ver
  if [[ -n $RELEASE ]]; then
    # lists a day old may name a kernel the mirror has replaced since
    local updated="$CACHE/debian/$RELEASE/lists.updated"
    if [[ -z $(find "$updated" -mtime -1 2>/dev/null) ]]; then
      debian_apt "$RELEASE" apt-get update >/dev/null && touch "$updated"
    fi
    debian_apt "$RELEASE" apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n1
    return
  fi
  ver=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n1)
  if [[ -z $ver ]]; then
    $SUDO apt-get update -q >/dev/null
    ver=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: linux-image-\(.*-amd64\)$/\1/p' | head -n1)
  fi
  echo "$ver"
}

ensure_kernel() {
  local ver=$1 dir="$CACHE/kernel/$1"
  if [[ ! -f $dir/vmlinuz ]]; then
    log "fetching Debian kernel $ver"
    rm -rf "$dir" && mkdir -p "$dir/deb"
    if [[ -n $RELEASE ]]; then
      (cd "$dir/deb" && debian_apt "$RELEASE" apt-get download "linux-image-$ver" >/dev/null 2>&1)
    else
      (cd "$dir/deb" && apt-get download -q "linux-image-$ver" >/dev/null 2>&1)
    fi
    dpkg -x "$dir"/deb/*.deb "$dir/x"
    cp "$dir/x/boot/vmlinuz-$ver" "$dir/vmlinuz.tmp"
    if [[ ! -d /lib/modules/$ver ]]; then
      $SUDO mkdir -p /lib/modules
      # bookworm's package has them in /lib, trixie's (merged /usr) in /usr/lib
      local modules=$dir/x/lib/modules/$ver
      [[ -d $modules ]] || modules=$dir/x/usr/lib/modules/$ver
      $SUDO cp -a "$modules" /lib/modules/
    fi
    rm -rf "$dir/x" "$dir/deb"
    mv "$dir/vmlinuz.tmp" "$dir/vmlinuz"
  fi
  if [[ ! -f /lib/modules/$ver/modules.dep.bin ]]; then
    $SUDO depmod "$ver"
  fi
}

# One tarball with the interpreter (binary, libpython, stdlib) and our venvs, rebuilt
# when a venv changes. Each path becomes a tmpfs in the guest: 9p has no page cache,
# so every exec would read libpython (23 MB with pyenv) and every import its files again.
python_tarball() {
  local tarball="$CACHE/pyroot.tar" paths=() excludes=() stdlib
  mapfile -t paths < <("$VENV/bin/python" - <<'PY'
import os, sys, sysconfig
stdlib = sysconfig.get_paths()["stdlib"]
if sys.base_prefix != "/usr":
    # a private build (pyenv, python.org): its bin/ and lib/ hold the binary and libpython
    print(os.path.join(sys.base_prefix, "bin"))
    print(os.path.join(sys.base_prefix, "lib"))
else:
    print(stdlib)
print("STDLIB=" + stdlib)
PY
)
  stdlib=${paths[-1]#STDLIB=}
  unset 'paths[-1]'
  for venv in "$VENV" "$VENV_PYROUTE2_07"; do
    [[ -d $venv ]] && paths+=("$venv")
  done
  for dir in site-packages test idlelib tkinter ensurepip lib2to3 turtledemo config-*; do
    excludes+=("--exclude=${stdlib#/}/$dir")
  done
  if [[ ! -f $tarball || -n $(find "${paths[@]}" -maxdepth 1 -name .requirements -newer "$tarball") ]]; then
    log "packing python for the guest"
    tar -C / -cf "$tarball.tmp" "${excludes[@]}" "${paths[@]#/}"
    mv "$tarball.tmp" "$tarball"
  fi
  printf '%s\n' "$tarball" "${paths[@]}"
}

ver=$(kernel_version)
[[ -n $ver ]] || { log "cannot find the version of linux-image-amd64"; exit 2; }
ensure_kernel "$ver"
mapfile -t py < <(python_tarball)

# A folder the host and the guest both write (LVS_IPVS_VM_SHARE), and TCP ports of the
# guest the host reaches on 127.0.0.1 (LVS_IPVS_VM_FORWARDS="HOSTPORT:GUESTPORT ...", a
# user-mode network card whose guest side is 10.0.2.15): the topology layer's controller
# runs on the host and drives the guest's containers through them (tests/bin/lab-service.sh).
extra=()
[[ -z ${LVS_IPVS_VM_SHARE:-} ]] || extra+=(--rwdir "$LVS_IPVS_VM_SHARE")
if [[ -n ${LVS_IPVS_VM_FORWARDS:-} ]]; then
  netdev=user,id=lab
  for forward in $LVS_IPVS_VM_FORWARDS; do
    netdev+=",hostfwd=tcp:127.0.0.1:${forward%%:*}-10.0.2.15:${forward##*:}"
  done
  extra+=(--qemu-opt=-netdev "--qemu-opt=$netdev" --qemu-opt=-device "--qemu-opt=virtio-net-pci,netdev=lab")
fi

rw=$(mktemp -d "$CACHE/vm.XXXXXX")
trap 'rm -rf "$rw"' EXIT
printf '%q ' "$@" > "$rw/cmd"
printf '%s\n' "${py[@]:1}" > "$rw/tmpfs-paths"
: > "$rw/guest.log"
tail -n +1 -F "$rw/guest.log" 2>/dev/null &
tailer=$!
log "booting $ver under QEMU (no KVM)"
PATH="$VENV/bin:$PATH" vng --disable-kvm --verbose --run "$CACHE/kernel/$ver/vmlinuz" \
  --memory "${LVS_IPVS_VM_MEMORY:-4G}" --cpus "${LVS_IPVS_VM_CPUS:-2}" --rwdir "$rw" "${extra[@]}" \
  --exec "bash $ROOT/tests/bin/guest.sh $rw ${py[0]}" > "$CACHE/vm-console.log" 2>&1 || true
sleep 1
kill "$tailer" 2>/dev/null || true
if [[ ! -f $rw/rc ]]; then
  log "the guest did not report an exit status; console tail:"
  tail -n 40 "$CACHE/vm-console.log" >&2
  exit 3
fi
rc=$(cat "$rw/rc")
log "guest finished with exit status $rc"
if [[ -n ${LVS_IPVS_VM_OUT:-} ]]; then
  mkdir -p "$LVS_IPVS_VM_OUT"
  cp -r "$rw/out/." "$LVS_IPVS_VM_OUT/"
fi
exit "$rc"
