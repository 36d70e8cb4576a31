#!/usr/bin/env bash
# A director in this namespace, a client and real servers in their own network
# namespaces, wired with veth pairs. Documentation address ranges only:
#   client  198.51.100.2/24  <-> director 198.51.100.1   (VIP 192.0.2.100 on lvs-vip0)
#   rsN     203.0.113.N+1/24 <-> director 203.0.113.1    (default route back via the director: NAT)
#   lab.sh up [N_SERVERS] | down | client ARGS... | rundir
# Run from inside a named network namespace (a test lane), the lab's own namespaces
# and run folder take that name as prefix, so lanes can run side by side.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
prefix=$(ip netns identify $$ 2>/dev/null || true)
prefix=${prefix:-lvs}
run=/run/$prefix-ipvs-lab
client_ns=$prefix-client
py=${LAB_PYTHON:-python3}

up() {
  local servers=${1:-2}
  down
  mkdir -p "$run"
  sysctl -qw net.ipv4.ip_forward=1
  ip link add lvs-vip0 type dummy && ip link set lvs-vip0 up
  ip addr add 192.0.2.100/32 dev lvs-vip0
  ip netns add "$client_ns"
  ip link add lvs-c0 type veth peer name eth0 netns "$client_ns"
  ip addr add 198.51.100.1/24 dev lvs-c0 && ip link set lvs-c0 up
  ip -n "$client_ns" addr add 198.51.100.2/24 dev eth0
  ip -n "$client_ns" link set eth0 up && ip -n "$client_ns" link set lo up
  ip -n "$client_ns" route add default via 198.51.100.1
  ip link add lvs-rs type bridge && ip link set lvs-rs up
  ip addr add 203.0.113.1/24 dev lvs-rs
  for i in $(seq 1 "$servers"); do
    local ns=$prefix-rs$i
    ip netns add "$ns"
    ip link add "lvs-r$i" type veth peer name eth0 netns "$ns"
    ip link set "lvs-r$i" master lvs-rs up
    ip -n "$ns" addr add "203.0.113.$((i + 1))/24" dev eth0
    ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up
    ip -n "$ns" route add default via 203.0.113.1
    ip netns exec "$ns" "$py" "$here/echo.py" serve "203.0.113.$((i + 1))" 8080 "rs$i" \
      > "$run/rs$i.log" 2>&1 &
    echo $! > "$run/rs$i.pid"
  done
  for i in $(seq 1 "$servers"); do
    for _ in $(seq 1 100); do
      grep -q listening "$run/rs$i.log" 2>/dev/null && break
      sleep 0.2
    done
  done
}

down() {
  for pid in "$run"/*.pid; do
    if [[ -f $pid ]]; then kill "$(cat "$pid")" 2>/dev/null || true; fi
  done
  rm -rf "$run"
  for ns in $(ip netns list | awk -v p="$prefix-" 'index($1, p) == 1 {print $1}'); do ip netns del "$ns"; done
  for dev in lvs-vip0 lvs-c0 lvs-rs; do ip link del "$dev" 2>/dev/null || true; done
}

case ${1:-} in
  up) up "${2:-2}" ;;
  down) down ;;
  client) shift; exec ip netns exec "$client_ns" "$py" "$here/echo.py" "$@" ;;
  rundir) echo "$run" ;;
  *) echo "usage: $0 up [N] | down | client ARGS... | rundir" >&2; exit 2 ;;
esac
