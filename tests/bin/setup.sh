#!/usr/bin/env bash
# Install everything the test suite and the lab need on a fresh Debian/Ubuntu machine.
# Idempotent: a second run only checks. Needs root (or sudo) for the apt part.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"

APT_PACKAGES=(qemu-system-x86 kmod ipvsadm keepalived iproute2 busybox-static python3-venv git rsync shellcheck
  podman netavark aardvark-dns crun conmon iptables debootstrap openssh-client chromium)

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

# $1 venv dir, $2 requirements file; rebuilt when the file's content changes
make_venv() {
  local dir=$1 requirements=$2
  local stamp="$dir/.requirements"
  local want
  want=$(cat "$requirements")
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

make_venv "$VENV" "$ROOT/tests/requirements.txt"
make_venv "$VENV_PYROUTE2_07" "$ROOT/tests/requirements-pyroute2-0.7.txt"
make_venv "$VENV_LINT" "$ROOT/tests/requirements-lint.txt" "import ansiblelint"
make_venv "$VENV_DOCS" "$ROOT/tests/requirements-docs.txt" "import antsibull_docs, sphinx"
log "setup done: $("$VENV/bin/python" -c 'import pyroute2, ansible; print("ansible-core", ansible.__version__ if hasattr(ansible, "__version__") else "", "pyroute2", pyroute2.__version__)' 2>/dev/null || true)"
