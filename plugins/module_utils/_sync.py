# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.ipvs_sync_daemon: the connection-sync daemons
(ipvsadm --start-daemon / --stop-daemon / -L --daemon)."""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import asdict, dataclass

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

ROLES = {"master": nl.STATE_MASTER, "backup": nl.STATE_BACKUP}
DEFAULT_GROUP = {"ipv4": "224.0.0.81", "ipv6": "ff02::81"}
DEFAULT_PORT = 8848
MAX_SYNCID = 255


@dataclass(frozen=True)
class Daemon:
    role: str
    interface: str
    syncid: int = 0
    sync_maxlen: int | None = None  # None: the kernel derives it from the interface MTU
    mcast_group: str = DEFAULT_GROUP["ipv4"]
    mcast_port: int = DEFAULT_PORT
    mcast_ttl: int = 1

    def as_dict(self) -> dict:
        return asdict(self)


def build_daemon(params: dict) -> Daemon:
    """Validate a daemon to start; every error names the option."""
    interface = params.get("interface")
    if not interface:
        raise IpvsError("a %s sync daemon needs interface" % params["role"])
    model.interface_name(interface, "interface")
    try:
        socket.if_nametoindex(interface)
    except OSError:
        raise IpvsError("interface %r does not exist in this network namespace" % interface) from None
    syncid = params.get("syncid") or 0
    if not 0 <= syncid <= MAX_SYNCID:
        raise IpvsError("syncid %d is out of range 0..%d" % (syncid, MAX_SYNCID))
    group = params.get("mcast_group")
    if group is None:
        group = DEFAULT_GROUP["ipv4"]
    else:
        group = model.parse_address(group, "mcast_group")[1]
        if not model.netaddr.IPAddress(group).is_multicast():
            raise IpvsError("mcast_group %s is not a multicast address" % group)
    port = DEFAULT_PORT if params.get("mcast_port") is None else params["mcast_port"]
    ttl = 1 if params.get("mcast_ttl") is None else params["mcast_ttl"]
    maxlen = params.get("sync_maxlen")
    for name, value, low, high in (("mcast_port", port, 1, 65535), ("mcast_ttl", ttl, 1, 255), ("sync_maxlen", maxlen, 1, 65535)):
        if value is not None and not low <= value <= high:
            raise IpvsError("%s %d is out of range %d..%d" % (name, value, low, high))
    return Daemon(params["role"], interface, syncid, maxlen, group, port, ttl)


def matches(current: dict, desired: Daemon) -> bool:
    wanted = desired.as_dict()
    if desired.sync_maxlen is None:
        wanted.pop("sync_maxlen")
    return all(current.get(name) == value for name, value in wanted.items())


def plan(current: dict | None, desired: Daemon | None) -> list:
    """[("stop", current)] / [("start", desired)] / both: the kernel cannot change a running daemon."""
    ops = []
    if current is not None and (desired is None or not matches(current, desired)):
        ops.append(("stop", current))
    if desired is not None and (current is None or ops):
        ops.append(("start", desired))
    return ops


def daemon_attrs(daemon: Daemon) -> list:
    family = "ipv6" if ":" in daemon.mcast_group else "ipv4"
    attrs = [
        ["IPVS_DAEMON_ATTR_STATE", ROLES[daemon.role]],
        ["IPVS_DAEMON_ATTR_MCAST_IFN", daemon.interface],
        ["IPVS_DAEMON_ATTR_SYNC_ID", daemon.syncid],
        ["IPVS_DAEMON_ATTR_MCAST_PORT", daemon.mcast_port],
        ["IPVS_DAEMON_ATTR_MCAST_TTL", daemon.mcast_ttl],
    ]
    group_attr = "IPVS_DAEMON_ATTR_MCAST_GROUP6" if family == "ipv6" else "IPVS_DAEMON_ATTR_MCAST_GROUP"
    attrs.append([group_attr, socket.inet_pton(model.FAMILIES[family], daemon.mcast_group)])
    if daemon.sync_maxlen is not None:
        attrs.append(["IPVS_DAEMON_ATTR_SYNC_MAXLEN", daemon.sync_maxlen])
    return attrs


def mixed_family_servers(client) -> list:
    return [
        "%s -> %s" % (key.label(), dest.key.label())
        for key, state in client.service_states().items()
        for dest in (dest_state.dest for dest_state in state.dests.values())
        if dest.key.family != key.family
    ]


def explain_start(client, daemon: Daemon, code: int) -> str:
    prefix = "cannot start the %s sync daemon on %s: " % (daemon.role, daemon.interface)
    if code == errno.EEXIST:
        return prefix + "a %s sync daemon is already running" % daemon.role
    if code == errno.EINVAL:
        mixed = mixed_family_servers(client)
        if mixed:
            return prefix + "the kernel refuses to sync while mixed-family real servers exist (%s)" % ", ".join(mixed)
    return prefix + os.strerror(code)


def describe(ops: list) -> list:
    return [{"action": action, "daemon": daemon if isinstance(daemon, dict) else daemon.as_dict()} for action, daemon in ops]


def render(daemon) -> str:
    if daemon is None:
        return ""
    data = daemon if isinstance(daemon, dict) else daemon.as_dict()
    words = ["--start-daemon", data["role"], "--mcast-interface", data["interface"], "--syncid", str(data["syncid"])]
    if data.get("sync_maxlen") is not None:
        words += ["--sync-maxlen", str(data["sync_maxlen"])]
    words += ["--mcast-group", data["mcast_group"], "--mcast-port", str(data["mcast_port"]), "--mcast-ttl", str(data["mcast_ttl"])]
    return " ".join(words) + "\n"


@netns.in_namespace
def run(params: dict, check_mode: bool, diff: bool, load_module) -> dict:
    desired = build_daemon(params) if params["state"] == "started" else None
    client = common.open_client(load_module, check_mode)
    try:
        running = client.daemons() if client is not None else []
        current = next((daemon for daemon in running if daemon["role"] == params["role"]), None)
        ops = plan(current, desired)
        if not check_mode:
            apply(client, ops)
    finally:
        if client is not None:
            client.close()
    result = {"changed": bool(ops), "daemon": (desired.as_dict() if desired else None), "operations": describe(ops)}
    if desired is not None and not ops:
        result["daemon"] = current
    if diff:
        result["diff"] = {"before": render(current), "after": render(result["daemon"])}
    return result


def apply(client, ops: list) -> None:
    applied = []
    for action, daemon in ops:
        try:
            if action == "stop":
                client.stop_daemon(daemon["role"])
            else:
                client.start_daemon(daemon_attrs(daemon))
        except nl.NetlinkError as exc:
            message = (
                explain_start(client, daemon, exc.code) if action == "start" else "cannot stop the %s sync daemon: %s" % (daemon["role"], os.strerror(exc.code))
            )
            if applied:
                message += " (the running %s daemon was stopped first, to change it)" % daemon.role
            raise IpvsError(message, applied=describe(applied), errno=exc.code) from None
        applied.append((action, daemon))
