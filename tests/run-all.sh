#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what it needs,
# then runs lint (ruff, ansible-lint) + ansible-test sanity, unit tests (pyroute2 0.7
# and 0.9), the real-kernel layer (netlink core + integration targets) in one QEMU
# boot, and the topology layer (molecule scenarios dr, nat, tun, failover) in another.
#   bash tests/run-all.sh            everything
#   LAYERS="unit" bash tests/run-all.sh   only some of: lint package docs sanity unit kernel topology
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
LAYERS=${LAYERS:-lint package docs sanity unit kernel topology}
declare -A took=()
failed=()

layer() {
  local name=$1; shift
  [[ " $LAYERS " == *" $name "* ]] || return 0
  log "=== $name"
  local started=$SECONDS
  if "$@"; then :; else failed+=("$name"); fi
  took[$name]=$((SECONDS - started))
}

lint() {
  "$VENV/bin/ruff" check "$ROOT/plugins" "$ROOT/tests" "$ROOT/extensions" "$ROOT/bench" &&
    "$VENV/bin/ruff" format --check "$ROOT/plugins" "$ROOT/tests" "$ROOT/extensions" "$ROOT/bench" &&
    "$VENV/bin/python" "$ROOT/tests/bin/check_targets.py" "$ROOT" &&
    (cd "$ROOT" && ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_PATH" PATH="$VENV_LINT/bin:$PATH" ansible-lint --nocolor -q)
}

# The built tarball installs, documents its modules, and a module runs from it.
package() {
  local work
  work=$(mktemp -d)
  (cd "$ROOT" && "$VENV/bin/ansible-galaxy" collection build --force --output-path "$work" >/dev/null) &&
    "$VENV/bin/ansible-galaxy" collection install -p "$work/installed" "$work"/lvs-ipvs-*.tar.gz >/dev/null &&
    ANSIBLE_COLLECTIONS_PATH="$work/installed" "$VENV/bin/ansible-doc" lvs.ipvs.ipvs_service lvs.ipvs.ipvs_server lvs.ipvs.ipvs_info >/dev/null &&
    ANSIBLE_COLLECTIONS_PATH="$work/installed" "$VENV/bin/ansible-doc" -t role lvs.ipvs.director lvs.ipvs.realserver lvs.ipvs.host_network lvs.ipvs.keepalived >/dev/null &&
    ANSIBLE_COLLECTIONS_PATH="$work/installed" "$VENV/bin/ansible-doc" -t filter lvs.ipvs.director_topology lvs.ipvs.realserver_topology \
      lvs.ipvs.realserver_entries lvs.ipvs.interface_networks lvs.ipvs.director_keepalived lvs.ipvs.keepalived_config >/dev/null &&
    ANSIBLE_COLLECTIONS_PATH="$work/installed" "$VENV/bin/ansible" localhost -m lvs.ipvs.ipvs_info -a 'gather=info' \
      -e ansible_python_interpreter="$VENV/bin/python" 2>/dev/null | grep -q '"loaded"'
  local rc=$?
  rm -rf "$work"
  return $rc
}

# The reference site: antsibull-docs checks and renders every plugin's and role's docs,
# Sphinx builds them with warnings as errors.
docs() {
  "$ROOT/docs/build.sh"
}

sanity() {
  "$ROOT/tests/bin/sanity.sh"
}

unit() {
  local rc=0
  for venv in "$VENV_PYROUTE2_07" "$VENV"; do
    (cd "$ROOT" && PYTHONPATH="$COLLECTIONS_PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/unit) || rc=1
  done
  return $rc
}

kernel() {
  "$ROOT/tests/bin/vm.sh" "$ROOT/tests/bin/kernel-layer.sh"
}

# Molecule scenarios on containers with real traffic, in one more boot of the VM.
topology() {
  "$ROOT/tests/bin/lab-image.sh" >/dev/null && "$ROOT/tests/bin/vm.sh" "$ROOT/tests/bin/topology-layer.sh"
}

started=$SECONDS
log "=== setup"
"$ROOT/tests/bin/setup.sh"
took[setup]=$((SECONDS - started))
layer lint lint
layer package package
layer docs docs
layer sanity sanity
layer unit unit
layer kernel kernel
layer topology topology
for name in setup lint package docs sanity unit kernel topology; do
  [[ -n ${took[$name]:-} ]] && log "$name: ${took[$name]} s"
done
if ((${#failed[@]})); then
  log "FAILED layers: ${failed[*]}"
  exit 1
fi
log "all layers passed in $((SECONDS - started)) s"
