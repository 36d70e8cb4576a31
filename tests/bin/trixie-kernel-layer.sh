#!/usr/bin/env bash
# The netlink core (tests/kernel, under the newest pyroute2 series) and the ipvs_service
# target once more, on a second kernel: run-all.sh boots Debian trixie's (6.12, which
# has schedulers Debian bookworm's 6.1 lacks, twos among them) for this layer alone.
#   tests/bin/trixie-kernel-layer.sh
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
status=0
log "kernel $(uname -r)"
started=$SECONDS
(cd "$ROOT" && PYTHONPATH="$COLLECTIONS_PATH" "$VENV/bin/python" -m pytest -q -rP -p no:cacheprovider tests/kernel) || status=1
log "netlink core with pyroute2 $("$VENV/bin/python" -c 'import pyroute2; print(pyroute2.__version__)'): $((SECONDS - started)) s"
started=$SECONDS
"$ROOT/tests/bin/integration.sh" ipvs_service || status=1
log "ipvs_service: $((SECONDS - started)) s"
exit $status
