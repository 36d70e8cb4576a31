#!/usr/bin/env bash
# Install everything the test suite and the lab need on a fresh Debian/Ubuntu machine.
# Idempotent: a second run only checks. Needs root (or sudo) for the apt part.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"

# LVS_IPVS_SETUP=lab: only what the demo lab needs (playbooks/lab.sh)
FOR=${LVS_IPVS_SETUP:-tests}
APT_PACKAGES=(qemu-system-x86 kmod iproute2 busybox-static python3-venv git rsync
  podman netavark aardvark-dns crun conmon iptables debootstrap openssh-client)
[[ $FOR == lab ]] || APT_PACKAGES+=(ipvsadm keepalived nftables shellcheck chromium debian-archive-keyring patchelf)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# $1 requirements file: its content and that of the files it includes (-r), the stamp
# a venv built from it keeps
requirements_stamp() {
  local included
  mapfile -t included < <(sed -n "s|^-r *|$(dirname "$1")/|p" "$1")
  cat "$1" "${included[@]}"
}

# $1 venv dir, $2 requirements file; rebuilt when the file's content changes
make_venv() {
  local dir=$1 requirements=$2
  local stamp="$dir/.requirements"
  local want
  want=$(requirements_stamp "$requirements")
  if [[ -x $dir/bin/python && -f $stamp && "$(cat "$stamp")" == "$want" ]]; then
    return
  fi
  log "creating $dir"
  rm -rf "$dir"
  "$PYTHON" -m venv "$dir"
  "$dir/bin/pip" install -q --disable-pip-version-check -r "$requirements" 2>&1 | grep -v "^WARNING: Location" >&2 || true
  "$dir/bin/python" -c "${3:-import pyroute2, netaddr}"
  echo "$want" > "$stamp"
}

# $1 Python version, $2 the Debian release that ships it. The oldest and the newest Python
# the modules support on directors, for the sanity layer's compile and import tests: the
# release's interpreter with its own C library, unpacked under $CACHE/python (nothing is
# installed on this machine), pointed at its own loader and libraries, linked from
# $CACHE/python/bin.
target_python() {
  local version=$1 release=$2
  local dir="$CACHE/python/$release" link="$CACHE/python/bin/python$version"
  if [[ -x $link ]] && "$link" -c 'import ctypes, ssl, decimal, venv' 2>/dev/null; then
    return
  fi
  log "unpacking Python $version from Debian $release"
  rm -rf "$dir" "$CACHE/debian/$release/archives"/*.deb && mkdir -p "$dir" "$CACHE/python/bin"
  debian_apt "$release" apt-get install -y --download-only --no-install-recommends "python$version" "python$version-venv" >/dev/null
  local deb
  for deb in "$CACHE/debian/$release/archives"/*.deb; do dpkg-deb -x "$deb" "$dir"; done
  rm -f "$CACHE/debian/$release/archives"/*.deb
  # the C library sits in /lib before Debian's merged /usr (bullseye), in /usr/lib after
  local loader=$dir/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
  [[ -e $loader ]] || loader=$dir/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
  # shellcheck disable=SC2016 # $ORIGIN is the dynamic loader's, not the shell's
  patchelf --set-interpreter "$loader" --force-rpath \
    --set-rpath '$ORIGIN/../lib/x86_64-linux-gnu:$ORIGIN/../../lib/x86_64-linux-gnu' "$dir/usr/bin/python$version"
  ln -sfn "$dir/usr/bin/python$version" "$link"
  "$link" -c 'import ctypes, ssl, decimal, venv'
}

# The docker command-line client (Debian's docker.io, unpacked, no daemon): the lint
# layer checks the molecule scenarios' docker commands against its flags
# (tests/bin/check_engine_flags.py); docker itself cannot run here.
docker_cli() {
  local dir="$CACHE/docker-cli"
  [[ -x $dir/usr/bin/docker ]] && return
  log "unpacking the docker client from Debian bookworm"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && debian_apt bookworm apt-get download docker.io >/dev/null && dpkg-deb -x docker.io_*.deb . &&
    find . -type f ! -path ./usr/bin/docker -delete)
  "$dir/usr/bin/docker" --version >/dev/null
}

if [[ $FOR == lab ]]; then
  # the tests' venv serves the lab too
  [[ $(cat "$VENV/.requirements" 2>/dev/null) == "$(requirements_stamp "$ROOT/tests/requirements.txt")" ]] ||
    make_venv "$VENV" "$ROOT/tests/requirements-lab.txt"
  log "setup done (the lab's part)"
  exit 0
fi

target_python 3.9 bullseye
target_python 3.13 trixie
docker_cli

make_venv "$VENV" "$ROOT/tests/requirements.txt"
make_venv "$VENV_PYROUTE2_07" "$ROOT/tests/requirements-pyroute2-0.7.txt"
make_venv "$VENV_LINT" "$ROOT/tests/requirements-lint.txt" "import ansiblelint"
make_venv "$VENV_DOCS" "$ROOT/tests/requirements-docs.txt" "import antsibull_docs, sphinx"
log "setup done: $("$VENV/bin/python" -c 'import pyroute2, ansible; print("ansible-core", ansible.__version__ if hasattr(ansible, "__version__") else "", "pyroute2", pyroute2.__version__)' 2>/dev/null || true)"
