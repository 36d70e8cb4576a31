#!/usr/bin/env bash
# Everything that needs a kernel with IPVS, in one boot: the netlink core under each
# supported pyroute2 series, then the ansible-test integration targets.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
status=0
for venv in "$VENV_PYROUTE2_07" "$VENV"; do
  version=$("$venv/bin/python" -c 'import pyroute2; print(pyroute2.__version__)')
  log "netlink core on the real kernel with pyroute2 $version"
  started=$SECONDS
  (cd "$ROOT" && PYTHONPATH="$COLLECTIONS_PATH" "$venv/bin/python" -m pytest -q -p no:cacheprovider tests/kernel) || status=1
  log "pyroute2 $version: $((SECONDS - started)) s"
done
started=$SECONDS
"$ROOT/tests/bin/integration.sh" "$@" || status=1
log "integration targets: $((SECONDS - started)) s"
exit $status
