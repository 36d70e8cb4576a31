#!/usr/bin/env bash
# ansible-test on a staged copy of the collection (it must sit in
# ansible_collections/lvs/ipvs), in venvs ansible-test makes itself: sanity's tools, and
# for units what tests/unit/requirements.txt names.
#   tests/bin/ansible-test.sh sanity|units [ARGS...]
# Other Pythons are found on PATH (tests/bin/setup.sh unpacks 3.9 and 3.13 in $CACHE/python/bin).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bin/common.sh"
export PATH="$VENV/bin:$PATH"
command=$1
shift
stage_collection "$CACHE/ansible-test" --delete
cd "$CACHE/ansible-test/ansible_collections/lvs/ipvs"
# git is how ansible-test lists the files of a collection
git init -q . && git add -A >/dev/null
# ansible-test bootstraps pip in its venvs with a script from a host this machine
# cannot reach; put an offline stand-in where it caches that script.
pip_version=$(sed -n "s/^ *pip='\(.*\)',$/\1/p" "$("$VENV/bin/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py" | head -n1)
mkdir -p "$HOME/.ansible/test/cache"
cp "$ROOT/tests/bin/get_pip_offline.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
[[ -f $HOME/.ansible/test/cache/pip-$pip_version-py3-none-any.whl ]] ||
  "$VENV/bin/python" -m pip download -q --no-deps --only-binary :all: -d "$HOME/.ansible/test/cache" "pip==$pip_version"
# ansible-test keeps its venvs in ~/.ansible/test/venv, keyed without the interpreter's
# path: one made by a Python that is gone since (another checkout's $CACHE/python) would
# fail every import test. Such venvs are dropped; ansible-test makes them again.
for venv_python in "$HOME"/.ansible/test/venv/*/*/*/bin/python; do
  [[ -L $venv_python && ! -e $venv_python ]] || continue
  log "dropping ansible-test's venv ${venv_python%/bin/python}: its Python is gone"
  rm -rf "${venv_python%/bin/python}"
done
# the venv's Python unless the arguments name another one
python=(--python "$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')")
[[ " $* " == *" --python "* ]] && python=()
ansible-test "$command" --venv "${python[@]}" --color no "$@"
