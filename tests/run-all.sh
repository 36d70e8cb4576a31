#!/usr/bin/env bash
# The whole test suite, from a fresh Debian/Ubuntu machine: installs what it needs,
# then runs lint (ruff, shellcheck, ansible-lint) + ansible-test sanity, unit tests (pyroute2 0.7
# and 0.9), and in one QEMU boot the real-kernel layer (netlink core + integration
# targets) and the topology layer (molecule scenarios dr, nat, tun, failover), then in
# a second short boot the netlink core and ipvs_service on Debian trixie's kernel.
#   bash tests/run-all.sh                       everything
#   LAYERS="unit" bash tests/run-all.sh         only some of: lint package docs sanity unit kernel
#                                               trixie-kernel topology
#   bash tests/run-all.sh kernel --target ipvs_server [--target ...]   one integration target
#   bash tests/run-all.sh topology --scenario nat [--scenario ...]     one molecule scenario
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
targets=() scenarios=() picked=()
while (($#)); do
  case $1 in
    lint | package | docs | sanity | unit | kernel | trixie-kernel | topology) picked+=("$1") ;;
    --target) targets+=("$2") && shift ;;
    --scenario) scenarios+=("$2") && shift ;;
    *) log "unknown argument $1 (see the head of $0)" && exit 2 ;;
  esac
  shift
done
((${#picked[@]} == 0)) || LAYERS=${picked[*]}
LAYERS=${LAYERS:-lint package docs sanity unit kernel trixie-kernel topology}
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

# ansible-lint (and the one galaxy-importer runs) also looks in ~/.ansible/collections,
# where an installed lvs.ipvs (the README's `ansible-galaxy collection install`) would
# stand in for this tree: both get an Ansible home of their own.
LINT_HOME=$CACHE/lint-home
lint() {
  "$VENV/bin/ruff" check "$ROOT/plugins" "$ROOT/tests" "$ROOT/extensions" "$ROOT/bench" &&
    "$VENV/bin/ruff" format --check "$ROOT/plugins" "$ROOT/tests" "$ROOT/extensions" "$ROOT/bench" &&
    (cd "$ROOT" && shellcheck -e SC1091 roles/host_network/files/lvs-ipvs-net playbooks/lab.sh bench/*.sh tests/run-all.sh tests/bin/*.sh .ci/run extensions/molecule/shared/files/*.sh) &&
    "$VENV/bin/python" "$ROOT/tests/bin/check_targets.py" "$ROOT" &&
    PATH="$VENV/bin:$PATH" "$VENV/bin/python" "$ROOT/tests/bin/check_engine_flags.py" "$ROOT" "$CACHE/docker-cli/usr/bin/docker" &&
    (cd "$ROOT" && mkdir -p "$LINT_HOME" &&
      ANSIBLE_HOME="$LINT_HOME" ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_PATH" PATH="$VENV_LINT/bin:$PATH" ansible-lint --nocolor -q)
}

# The built tarball installs (over any copy the machine already has), documents every
# module, filter, callback and role it ships, a module runs from it, and an execution environment
# can be built with it.
package() {
  local work rc=0
  work=$(mktemp -d)
  (cd "$ROOT" && "$VENV/bin/ansible-galaxy" collection build --force --output-path "$work" >/dev/null) &&
    "$VENV/bin/ansible-galaxy" collection install --force -p "$work/installed" "$work"/lvs-ipvs-*.tar.gz >/dev/null || rc=1
  local kind path name doc
  for path in "$ROOT"/plugins/modules/*.py "$ROOT"/plugins/filter/*.yml "$ROOT"/plugins/callback/*.py "$ROOT"/roles/*/; do
    case $path in
      */modules/*) kind=module ;;
      */filter/*) kind=filter ;;
      */callback/*) kind=callback ;;
      *) kind=role ;;
    esac
    name=$(basename "$path")
    name=${name%.*}
    # ansible-doc exits 0 for a plugin it cannot find (a warning on stderr): the name
    # must be in the documentation it prints
    doc=$(ANSIBLE_COLLECTIONS_PATH="$work/installed" "$VENV/bin/ansible-doc" -t "$kind" "lvs.ipvs.$name" 2>/dev/null) || doc=""
    [[ $doc == *"lvs.ipvs.$name"* ]] ||
      { log "ansible-doc -t $kind lvs.ipvs.$name: not documented by the installed tarball"; rc=1; }
  done
  ANSIBLE_COLLECTIONS_PATH="$work/installed" "$VENV/bin/ansible" localhost -m lvs.ipvs.ipvs_info -a 'gather=info' \
    -e ansible_python_interpreter="$VENV/bin/python" 2>/dev/null | grep -q '"loaded"' || rc=1
  # The execution environment: ansible-builder makes the build context from the tarball,
  # and the context's own introspection (what the image build installs) finds only the
  # controller's needs in the installed collection.
  cp "$work"/lvs-ipvs-*.tar.gz "$work/lvs-ipvs.tar.gz" && cp "$ROOT/tests/ee/execution-environment.yml" "$work/" &&
    (cd "$work" && "$VENV_LINT/bin/ansible-builder" create -f execution-environment.yml -c context >/dev/null) || rc=1
  local needs
  needs=$("$VENV_LINT/bin/python" "$work/context/_build/scripts/introspect.py" introspect "$work/installed" 2>&1) || rc=1
  [[ $needs == *"netaddr>=0.8  # from collection lvs.ipvs"* && $needs != *pyroute2* && $needs != *ipvsadm* ]] ||
    { log "the execution environment would install more (or less) than the controller needs: $needs"; rc=1; }
  galaxy_import "$work" || rc=1
  "$ROOT/tests/bin/check_containerfile.sh" || rc=1
  # Galaxy shows the README outside the source tree: a relative link would lead nowhere
  ! grep -nE '\]\((\.|[a-z][a-z0-9_./-]*)(#[^)]*)?\)' "$ROOT/README.md" || { log "README.md: links relative to the source tree (above) break on Galaxy"; rc=1; }
  (cd "$ROOT" && "$VENV_LINT/bin/antsibull-changelog" lint) || rc=1
  rm -rf "$work"
  return $rc
}

# Galaxy's own import checker (galaxy-importer: docs, role READMEs, ansible-lint) on the
# tarball. Galaxy requires a repository URL and the project has none yet, so galaxy.yml
# leaves it out: the tarball as built must fail on that alone, and the same tarball with
# a stand-in URL in its manifest must pass every other check.
galaxy_import() {
  local work=$1 tarball verdict
  tarball=$(ls "$work"/lvs-ipvs-[0-9]*.tar.gz)
  mkdir -p "$LINT_HOME"
  verdict=$(cd "$work" && ANSIBLE_HOME="$LINT_HOME" PATH="$VENV_LINT/bin:$PATH" "$VENV_LINT/bin/python" -m galaxy_importer.main "$tarball" 2>&1 | grep -v '^Loading ')
  [[ $verdict == *"Invalid collection metadata. 'repository' is required"* ]] ||
    { log "galaxy-importer on the built tarball: $verdict"; return 1; }
  mkdir -p "$work/standin/tree" && tar -xzf "$tarball" -C "$work/standin/tree" &&
    "$VENV/bin/python" -c 'import json, sys
path = sys.argv[1] + "/MANIFEST.json"
manifest = json.load(open(path))
manifest["collection_info"]["repository"] = "https://example.org/lvs/ipvs"
json.dump(manifest, open(path, "w"), indent=4)' "$work/standin/tree" &&
    tar -czf "$work/standin/${tarball##*/}" -C "$work/standin/tree" . || return 1
  verdict=$(cd "$work/standin" && ANSIBLE_HOME="$LINT_HOME" PATH="$VENV_LINT/bin:$PATH" "$VENV_LINT/bin/python" -m galaxy_importer.main "${tarball##*/}" 2>&1 | grep -v '^Loading ')
  log "galaxy-importer, stand-in repository URL: ${verdict//$'\n'/; }"
  [[ $verdict == *"Importer processing completed successfully"* && $verdict != *WARNING* && $verdict != *ERROR* ]]
}

# The reference site: antsibull-docs checks and renders every plugin's and role's docs,
# Sphinx builds them with warnings as errors; then every page is opened in headless
# Chromium with no way out (diagrams drawn, no console error, no request leaving the
# site, internal links resolve), and each promise of docs/promises.yml is checked to be
# in its page and to name tests that exist.
docs() {
  "$ROOT/docs/build.sh" &&
    "$VENV_DOCS/bin/python" "$ROOT/tests/bin/docs-browser.py" "$ROOT/docs/_build/html" "$ROOT/docs/_build/screenshots" &&
    "$VENV_DOCS/bin/python" "$ROOT/tests/bin/check_promises.py" "$ROOT"
}

# Every test under the venv's Python (the controller's), then the tests that depend on
# the target's Python (compile, import) under the oldest and newest the modules support
# on directors.
sanity() {
  "$ROOT/tests/bin/ansible-test.sh" sanity &&
    PATH="$CACHE/python/bin:$PATH" "$ROOT/tests/bin/ansible-test.sh" sanity --test compile --test import --python 3.9 &&
    PATH="$CACHE/python/bin:$PATH" "$ROOT/tests/bin/ansible-test.sh" sanity --test compile --test import --python 3.13
}

# Under the oldest pyroute2 series with pytest, under the newest the way a collection's
# users run them: ansible-test units, with tests/unit/requirements.txt.
unit() {
  (cd "$ROOT" && PYTHONPATH="$COLLECTIONS_PATH" "$VENV_PYROUTE2_07/bin/python" -m pytest -q -p no:cacheprovider tests/unit) &&
    "$ROOT/tests/bin/ansible-test.sh" units
}

# The kernel layer (netlink core, integration targets) and the topology layer (molecule
# scenarios on containers with real traffic) share one boot of the VM; each layer's
# status and time come back through $LVS_IPVS_OUT/layers, the playbooks' timings
# through $LVS_IPVS_OUT/timing.
# $1 layer, $2... its targets or scenarios: "layer" or "layer:a,b"
layer_spec() {
  local IFS=,
  if (($# > 1)); then echo "$1:${*:2}"; else echo "$1"; fi
}

guest_layers() {
  local specs=() out="$CACHE/out" name started=$SECONDS share="" ports=() vm vm_started
  if [[ " $LAYERS " == *" kernel "* ]]; then specs+=("$(layer_spec kernel "${targets[@]}")"); fi
  if [[ " $LAYERS " == *" topology "* ]]; then
    # In the VM the guest serves the lab and the host runs the controller: lab-service.sh.
    if kernel_has_ipvs; then
      specs+=("$(layer_spec topology "${scenarios[@]}")")
    else
      share=$(mktemp -d "$CACHE/lab-share.XXXXXX")
      specs+=("lab:$share")
    fi
  fi
  ((${#specs[@]})) || return 0
  if [[ -n $lab_image ]]; then
    wait "$lab_image" || { log "the lab image was not built"; failed+=(topology); return; }
    progress "container image: $((SECONDS - started)) s"
  fi
  rm -rf "$out"
  log "=== ${specs[*]} (one boot)"
  if [[ -z $share ]]; then
    LVS_IPVS_VM_OUT="$out" "$ROOT/tests/bin/vm.sh" "$ROOT/tests/bin/guest-layers.sh" "${specs[@]}" || true
  else
    mapfile -t ports < <("$VENV/bin/python" -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])')
    vm_started=$SECONDS
    LVS_IPVS_VM_SHARE=$share LVS_IPVS_VM_FORWARDS="${ports[0]}:8080 ${ports[1]}:2222" LVS_IPVS_VM_OUT="$out" \
      "$ROOT/tests/bin/vm.sh" "$ROOT/tests/bin/guest-layers.sh" "${specs[@]}" &
    vm=$!
    topology_on_host "$share" "${ports[@]}" "$vm" "$out"
    wait "$vm" || true
    rm -rf "$share"
  fi
  for spec in "${specs[@]}"; do
    name=${spec%%:*}
    [[ $name != lab ]] || continue
    took[$name]=$(cat "$out/layers/$name.seconds" 2>/dev/null || echo 0)
    [[ $(cat "$out/layers/$name.rc" 2>/dev/null) == 0 ]] || failed+=("$name")
  done
  took[vm]=$((SECONDS - started - ${took[kernel]:-0} - ${took[topology]:-0}))
  [[ ! -d $out/timing ]] || "$VENV/bin/python" "$ROOT/tests/bin/timing_report.py" "$out/timing" >&2
}

# The netlink core and the ipvs_service target once more on Debian trixie's kernel (6.12:
# schedulers 6.1 lacks), in a boot of its own (a VM even where this kernel has IPVS),
# its time the boot's too.
trixie_kernel() {
  [[ " $LAYERS " == *" trixie-kernel "* ]] || return 0
  local out="$CACHE/out-trixie" started=$SECONDS
  log "=== trixie-kernel (Debian trixie's kernel, a boot of its own)"
  rm -rf "$out"
  LVS_IPVS_FORCE_VM=1 LVS_IPVS_VM_RELEASE=trixie LVS_IPVS_VM_OUT="$out" "$ROOT/tests/bin/vm.sh" "$ROOT/tests/bin/guest-layers.sh" trixie-kernel || true
  took[trixie-kernel]=$((SECONDS - started))
  [[ $(cat "$out/layers/trixie-kernel.rc" 2>/dev/null) == 0 ]] || failed+=(trixie-kernel)
  [[ ! -d $out/timing ]] || "$VENV/bin/python" "$ROOT/tests/bin/timing_report.py" "$out/timing" >&2
}

# $1 the folder shared with the guest, $2 $3 the host's ports of its podman service and
# SSH jump, $4 the VM's process, $5 the results folder: once the guest serves the lab,
# the topology layer runs here (Ansible, molecule, the failover probe), its containers
# there.
topology_on_host() {
  local share=$1 podman_port=$2 jump_port=$3 vm=$4 out=$5 layer_started rc=0
  until [[ -e $share/ready ]]; do
    kill -0 "$vm" 2>/dev/null || { log "the VM ended before it served the lab"; failed+=(topology); return; }
    sleep 2
  done
  progress "boot of the VM that runs the containers: $((SECONDS - ${vm_started:-$SECONDS})) s"
  log "=== topology (controller on this machine, lab in the VM)"
  layer_started=$SECONDS
  (
    set -a
    . "$share/ready"
    set +a
    export CONTAINER_HOST="tcp://127.0.0.1:$podman_port" LVS_LAB_JUMP_PORT=$jump_port LVS_IPVS_OUT=$out LVS_LAB_RUN=$share/run
    "$ROOT/tests/bin/topology-layer.sh" "${scenarios[@]}"
  ) || rc=$?
  took[topology]=$((SECONDS - layer_started))
  ((rc == 0)) || failed+=(topology)
  touch "$share/done"
}

trap 'log "run-all.sh stopped at line $LINENO (exit $?)"' ERR
# what failed where, as the layers say it (the topology layer names the scenario and
# task), repeated below the per-layer times, where the tail of a CI log shows it
export LVS_IPVS_FAILURES="$CACHE/failures.txt"
mkdir -p "$CACHE"
: > "$LVS_IPVS_FAILURES"
started=$SECONDS
log "=== setup"
"$ROOT/tests/bin/setup.sh"
took[setup]=$((SECONDS - started))
progress "set-up: ${took[setup]} s"
# The lab image (a debootstrap, about a minute the first time) builds while the host
# layers run.
lab_image=""
if [[ " $LAYERS " == *" topology "* ]]; then
  "$ROOT/tests/bin/lab-image.sh" >/dev/null &
  lab_image=$!
fi
layer lint lint
layer package package
layer docs docs
layer sanity sanity
layer unit unit
guest_layers
trixie_kernel
for name in setup lint package docs sanity unit vm kernel topology trixie-kernel; do
  [[ -n ${took[$name]:-} ]] && log "$name: ${took[$name]} s"
done
if ((${#failed[@]})); then
  cat "$LVS_IPVS_FAILURES" >&2
  log "FAILED layers: ${failed[*]}"
  exit 1
fi
log "all layers passed in $((SECONDS - started)) s"
