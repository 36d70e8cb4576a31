"""One failover of the lab's director pair, measured from outside the directors.

    python3 failover_probe.py --fault stop|kill9|link_down --run N --run-dir DIR [options]

Runs on the machine that runs the lab's containers (podman or docker). The backup
director records address events with timestamps (ip -ts monitor); the client keeps
sending requests and holds one long-lived connection (failover_client.py); then the
fault hits the master:

  stop       systemctl stop keepalived (graceful: keepalived sends priority 0)
  kill9      every keepalived process frozen, then killed (no goodbye; systemd restarts it later)
  link_down  the master's VRRP interface goes down

takeover_s is the time from the fault to the VIP appearing on the backup. Once it has,
the client sends one line on its old connection (it must come back: the backup knows
the connection from the sync daemon), its ARP entry for the VIP must come to name the
backup while requests go on for a few seconds (gratuitous ARP, or the unsolicited
neighbour advertisement for an IPv6 VIP; client_arp_s is how long that took after the
VIP appeared). stale_vip_s is how long the
old master kept the VIP after the fault (after kill -9: until systemd restarted
keepalived, which drops it). Then the fault is undone (start, systemd's own restart,
link up) and the probe waits for the VIP to settle on --expect (the master with
preempt). Prints one JSON record.
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import os
import re
import subprocess
import time

FAULTS = {
    "stop": "systemctl stop keepalived",
    # Frozen first: a keepalived child outliving its parent by a moment gets SIGTERM
    # (PR_SET_PDEATHSIG) and would leave cleanly, which a power cut does not allow.
    "kill9": "pkill -STOP keepalived; pkill -KILL keepalived",
    "link_down": "ip link set {interface} down",
}
RESTORE = {"stop": "systemctl start keepalived", "kill9": None, "link_down": "ip link set {interface} up"}
STAMP = re.compile(r"^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+)\]")


class Lab:
    def __init__(self, engine: str):
        self.engine = engine

    def run(self, host: str, command: str, detach: bool = False) -> str:
        argv = [self.engine, "exec", "--env", "TZ=UTC"] + (["--detach"] if detach else []) + ["lvs-lab-" + host, "sh", "-c", command]
        return subprocess.run(argv, check=True, capture_output=True, text=True).stdout

    def holds(self, host: str, interface: str, vip: str) -> bool:
        return address_word(vip) in self.run(host, "ip -o addr show dev %s" % interface)

    def holders(self, hosts: list, interface: str, vip: str) -> list:
        return [host for host in hosts if self.holds(host, interface, vip)]


def address_word(vip: str) -> str:
    """How ip -o addr and ip monitor print the VIP: " inet 192.0.2.10/" or " inet6 2001:db8::10/"."""
    return " %s %s/" % ("inet6" if ":" in vip else "inet", vip)


def wait_for(path: str, timeout: float) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if os.path.exists(path):
            return True
        time.sleep(0.02)
    return False


def event_time(monitor: str, vip: str, deleted: bool, timeout: float = 0.0) -> float | None:
    """When the VIP was first added (or deleted) in an ip -ts monitor log; waits up to timeout."""
    deadline = time.time() + timeout
    while True:
        with open(monitor, encoding="utf-8") as log:
            for line in log:
                stamp = STAMP.match(line)
                if stamp and line[stamp.end() :].lstrip().startswith("Deleted") == deleted and address_word(vip) in line:
                    return datetime.datetime.fromisoformat(stamp.group(1)).replace(tzinfo=datetime.timezone.utc).timestamp()
        if time.time() >= deadline:
            return None
        time.sleep(0.02)


def mac_of_vip_at(lab: Lab, client: str, vip: str) -> str:
    words = lab.run(client, "ip neigh show %s" % vip).split()
    return words[words.index("lladdr") + 1] if "lladdr" in words else ""


def seconds_until_mac(lab: Lab, client: str, vip: str, mac: str, limit: float) -> float | None:
    """How long until the client's neighbour entry for the VIP names mac, within limit.
    The gratuitous ARP follows the address by a moment, and on a busy machine the first
    look can come before the client has processed it."""
    started = time.time()
    while True:
        if mac_of_vip_at(lab, client, vip) == mac:
            return round(time.time() - started, 3)
        if time.time() - started >= limit:
            return None
        time.sleep(0.2)


def longest_gap(requests: list) -> float:
    """Longest time between two answered requests."""
    answered = [started for started, ok, _reply in requests if ok]
    return max((later - earlier for earlier, later in zip(answered, answered[1:])), default=0.0)


def probe(args) -> dict:
    lab, tag = Lab(args.engine), "run%d-%s-%s" % (args.run, args.fault, args.advert_int)
    path = os.path.join(args.run_dir, tag)
    # A file left by an earlier probe of the same name would end this one at once.
    for leftover in glob.glob(glob.escape(path) + ".*"):
        os.unlink(leftover)
    for role, host in (("master", args.master), ("backup", args.backup)):
        lab.run(host, "exec ip -ts -o monitor address dev %s > /lab/run/%s.%s" % (args.interface, tag, role), detach=True)
        if not wait_for("%s.%s" % (path, role), 30):
            raise SystemExit("the address monitor on %s did not start" % host)
    lab.run(args.client, "exec python3 /lab/bin/failover_client.py %s %d %d /lab/run %s" % (args.vip, args.port, args.echo_port, tag), detach=True)
    if not wait_for(path + ".ready", 60):
        raise SystemExit("the client did not open its long-lived connection")
    # The master's sync daemon sends its buffer at least every 2 s.
    time.sleep(args.lead)
    fault_at = float(lab.run(args.master, "date +%s.%N; " + FAULTS[args.fault].format(interface=args.interface)).split()[0])
    added_at = event_time(path + ".backup", args.vip, deleted=False, timeout=args.timeout)
    open(path + ".go", "w", encoding="utf-8").close()
    backup_mac = lab.run(args.backup, "cat /sys/class/net/%s/address" % args.interface).strip()
    tail_started = time.time()
    arp_s = seconds_until_mac(lab, args.client, args.vip, backup_mac, args.tail)
    time.sleep(max(0.0, args.tail - (time.time() - tail_started)))
    open(path + ".stop", "w", encoding="utf-8").close()
    if not wait_for(path + ".client.json", 60):
        raise SystemExit("the client wrote no result")
    with open(path + ".client.json", encoding="utf-8") as handle:
        client = json.load(handle)
    restore = RESTORE[args.fault]
    if restore:
        lab.run(args.master, restore.format(interface=args.interface))
    holders, settle_deadline = [], time.time() + args.settle
    while time.time() < settle_deadline:
        holders = lab.holders([args.master, args.backup], args.interface, args.vip)
        if holders == [args.expect]:
            break
        time.sleep(0.5)
    released_at = event_time(path + ".master", args.vip, deleted=True)
    for host in (args.master, args.backup):
        lab.run(host, "pkill -x ip || true")
    requests = client["requests"]
    after_takeover = [ok for started, ok, _reply in requests if added_at and started > added_at + 0.5]
    return {
        "run": args.run,
        "fault": args.fault,
        "vip": args.vip,
        "takeover_s": round(added_at - fault_at, 3) if added_at else None,
        "lost_requests": sum(1 for _started, ok, _reply in requests if not ok),
        "requests": len(requests),
        "longest_gap_s": round(longest_gap(requests), 3),
        "synced_conn_survived": client["after"] == "ok" and all(result == "ok" for result in client["before"]),
        "long_lived_connection": client["after"],
        "answered_after_takeover": sum(after_takeover),
        "client_arp_to_backup": arp_s is not None,
        "client_arp_s": arp_s,
        "stale_vip_s": round(released_at - fault_at, 3) if released_at else None,
        "holders_after_restore": holders,
        "advert_int": args.advert_int,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fault", choices=sorted(FAULTS), required=True)
    parser.add_argument("--run", type=int, default=1)
    parser.add_argument("--run-dir", required=True, help="the folder the containers see as /lab/run")
    parser.add_argument("--engine", default=os.environ.get("LVS_LAB_ENGINE") or "podman")
    parser.add_argument("--master", default="lb1")
    parser.add_argument("--backup", default="lb2")
    parser.add_argument("--client", default="client")
    parser.add_argument("--expect", help="who must hold the VIP after the fault is undone (default: --master)")
    parser.add_argument("--vip", default="192.0.2.10")
    parser.add_argument("--port", type=int, default=80)
    parser.add_argument("--echo-port", type=int, default=9000)
    parser.add_argument("--interface", default="eth1")
    parser.add_argument("--advert-int", type=float, default=1.0)
    parser.add_argument("--lead", type=float, default=3.0, help="seconds of traffic before the fault")
    parser.add_argument("--tail", type=float, default=3.0, help="seconds of traffic after the takeover")
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds to wait for the takeover")
    parser.add_argument("--settle", type=float, default=40.0, help="seconds to wait for the VIP to settle after the repair")
    args = parser.parse_args()
    args.expect = args.expect or args.master
    print(json.dumps(probe(args)))


if __name__ == "__main__":
    main()
