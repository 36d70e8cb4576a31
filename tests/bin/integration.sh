#!/usr/bin/env bash
# Run the ansible-test integration targets against this machine's kernel (as root).
# Called inside the VM by tests/bin/vm.sh, or directly on a host whose kernel has IPVS.
#   tests/bin/integration.sh [ansible-test integration arguments, e.g. target names]
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
export PATH="$VENV/bin:$PATH"

stage=$(mktemp -d /tmp/lvs-ipvs-it.XXXXXX)
dest="$stage/ansible_collections/lvs/ipvs"
mkdir -p "$dest"
rsync -a --exclude '.venv*' --exclude .cache --exclude .git --exclude tests/output "$ROOT/" "$dest/"
cd "$dest"
log "ansible-test integration on $(uname -r), $(python -c 'import pyroute2; print("pyroute2", pyroute2.__version__)')"
ansible-test integration --local --allow-destructive --allow-root --continue-on-error --color no -v "$@"
