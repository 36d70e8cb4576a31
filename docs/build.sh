#!/usr/bin/env bash
# The documentation site: the guides (docs/*.md) and the reference from the collection's
# own documentation - every module's DOCUMENTATION/EXAMPLES/RETURN, every filter's and
# every role's argument spec, checked by antsibull-docs - built by Sphinx with warnings as
# errors. Output: docs/_build/html.
#   bash docs/build.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/tests/bin/common.sh"
[[ -x $VENV_DOCS/bin/sphinx-build ]] || "$ROOT/tests/bin/setup.sh"
export ANSIBLE_COLLECTIONS_PATH="$COLLECTIONS_PATH" PATH="$VENV_DOCS/bin:$PATH"
out="$ROOT/docs/_build"
rm -rf "$out" && mkdir -p "$out/rst"
chmod og-w "$out/rst"  # antsibull-docs writes only into a folder no one else may write to
# Documentation errors (bad references, markup, schema) fail here, naming plugin and field.
antsibull-docs lint-collection-docs --plugin-docs --skip-rstcheck "$ROOT"
antsibull-docs --config-file "$ROOT/docs/site/antsibull-docs.cfg" collection --use-current \
  --dest-dir "$out/rst" lvs.ipvs >"$out/antsibull.log" 2>&1 || { cat "$out/antsibull.log" >&2; exit 1; }
if grep -E "ERROR|did not return correct" "$out/antsibull.log" >&2; then exit 1; fi
cp "$ROOT/docs/site/index.rst" "$ROOT/docs/site/ansible.rst" "$out/rst/"
# The guides keep the repository's layout, so their relative links resolve on the site too.
mkdir -p "$out/rst/docs" "$out/rst/bench/results"
cp "$ROOT"/docs/*.md "$out/rst/docs/"
cp "$ROOT"/bench/results/{failover,fleet,table}.md "$ROOT"/bench/results/*.svg "$out/rst/bench/results/"
python "$ROOT/docs/site/mermaid_assets.py" "$CACHE/npm" "$out/static"
LVS_IPVS_DOCS_STATIC="$out/static" sphinx-build -q -W --keep-going -c "$ROOT/docs/site" -b html "$out/rst" "$out/html"
log "reference site: $out/html/index.html"
