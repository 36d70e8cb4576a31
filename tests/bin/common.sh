# Shared settings of the test scripts (sourced, not run).
# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
# A step of the demo lab done (playbooks/lab.sh shows these lines as they come).
progress() { [[ -z ${LVS_LAB_PROGRESS:-} ]] || echo "$*" >> "$LVS_LAB_PROGRESS"; }
# Busy and total jiffies of all CPUs since boot: two readings tell how busy a phase kept them.
cpu_jiffies() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8, $2 + $3 + $4 + $5 + $6 + $7 + $8 }' /proc/stat; }
# $1 $2 busy and total at the start, $3 $4 at the end: "N% busy"
cpu_busy() { echo "$((100 * ($3 - $1) / ($4 - $2 + 1)))% busy"; }
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; fi
PYTHON=${PYTHON:-python3}
CACHE=${LVS_IPVS_CACHE:-$ROOT/.cache}
VENV=${LVS_IPVS_VENV:-$ROOT/.venv}
VENV_PYROUTE2_07=${LVS_IPVS_VENV07:-$ROOT/.venv-pyroute2-0.7}
# ansible-lint lives apart: the VM gets .venv packed into its memory, and lint stays out.
VENV_LINT=${LVS_IPVS_VENV_LINT:-$ROOT/.venv-lint}
VENV_DOCS=${LVS_IPVS_VENV_DOCS:-$ROOT/.venv-docs}
[[ -d $CACHE ]] || mkdir -p "$CACHE"
# The collection importable as ansible_collections.lvs.ipvs without copying it (or
# LVS_IPVS_COLLECTIONS_PATH: a staged copy).
COLLECTIONS_PATH=${LVS_IPVS_COLLECTIONS_PATH:-$CACHE/collections}
if [[ -z ${LVS_IPVS_COLLECTIONS_PATH:-} && ! -L $COLLECTIONS_PATH/ansible_collections/lvs/ipvs ]]; then
  mkdir -p "$COLLECTIONS_PATH/ansible_collections/lvs"
  ln -sfn "$ROOT" "$COLLECTIONS_PATH/ansible_collections/lvs/ipvs"
fi
# $1 a folder: the collection copied to $1/ansible_collections/lvs/ipvs, where
# ansible-test and a collections path look for it, without venvs, caches, git or
# build output; further arguments are rsync options (--delete).
stage_collection() {
  local dest="$1/ansible_collections/lvs/ipvs"
  shift
  mkdir -p "$dest"
  rsync -a "$@" --exclude '.venv*' --exclude .cache --exclude .git --exclude tests/output --exclude docs/_build \
    "$ROOT/" "$dest/"
}
# Whether this machine's kernel has IPVS (then the VM layers run right here, without a VM).
kernel_has_ipvs() {
  [[ ${LVS_IPVS_FORCE_VM:-0} != 1 ]] && { modprobe ip_vs 2>/dev/null || true; } && [[ -e /proc/net/ip_vs ]]
}

# $1 a Debian release, $2 apt-get or apt-cache, then its arguments: apt on that release's
# packages alone, with lists and downloads of its own under $CACHE/debian (the machine's
# apt sources and package status stay as they are)
debian_apt() {
  local release=$1 tool=$2 dir="$CACHE/debian/$1"
  shift 2
  local options=(-q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir" -o Dir::State::status="$dir/status"
    -o Debug::NoLocking=1 -o APT::Sandbox::User="$(id -un)")
  if [[ ! -f $dir/sources.list ]]; then
    mkdir -p "$dir/lists/partial" "$dir/archives/partial"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $release main" > "$dir/sources.list"
    # an empty package status: apt resolves every dependency, the C library included
    : > "$dir/status"
    apt-get "${options[@]}" update >/dev/null
  fi
  "$tool" "${options[@]}" "$@"
}
