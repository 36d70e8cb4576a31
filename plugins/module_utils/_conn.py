# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS connection table as the kernel prints it in /proc/net/ip_vs_conn.

Netlink has no command for connection entries, so this file (per network
namespace) is the only source; ipvsadm -Lc reads it too.
"""

from __future__ import annotations

import collections
import socket
import struct

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils._netns import PROC_NET

CONN_PROC = PROC_NET + "/ip_vs_conn"

# The state names the kernel prints, per protocol, in the order of its state tables
# (ip_vs_proto_tcp.c, ip_vs_proto_udp.c, ip_vs_proto_sctp.c). Persistence templates
# print NONE, or ASSURED once a connection has used them (ip_vs_conn.c).
TEMPLATE_STATES = ("NONE", "ASSURED")
PROTOCOL_STATES = {
    "tcp": ("NONE", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "SYNACK"),
    "udp": ("UDP",),
    "sctp": (
        "NONE",
        "INIT1",
        "INIT",
        "COOKIE_SENT",
        "COOKIE_REPLIED",
        "COOKIE_WAIT",
        "COOKIE_ECHOED",
        "ESTABLISHED",
        "SHUTDOWN_SENT",
        "SHUTDOWN_RECEIVED",
        "SHUTDOWN_ACK_SENT",
        "REJECTED",
        "CLOSED",
    ),
}
STATES = tuple(sorted({state for states in (*PROTOCOL_STATES.values(), TEMPLATE_STATES) for state in states}))


def _address(token: str) -> tuple[str, str]:
    # IPv4 is printed as %08X of the host-order address, IPv6 as %pI6 (full groups)
    if ":" in token:
        return "ipv6", socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, token))
    return "ipv4", socket.inet_ntoa(struct.pack(">I", int(token, 16)))


def parse_line(line: str) -> dict | None:
    words = line.split()
    if len(words) < 9 or words[0] == "Pro":
        return None
    client_family, client = _address(words[1])
    virtual = _address(words[3])[1]
    dest_family, dest = _address(words[5])
    return {
        "protocol": words[0].lower(),
        "family": client_family,
        "client_address": client,
        "client_port": int(words[2], 16),
        "virtual_address": virtual,
        "virtual_port": int(words[4], 16),
        "server_family": dest_family,
        "server_address": dest,
        "server_port": int(words[6], 16),
        "state": words[7],
        "expires": int(words[8]),
        "persistence_engine": words[9] if len(words) > 9 else None,
        "persistence_data": words[10] if len(words) > 10 else None,
        # persistence templates are the entries without a client port
        "template": words[2] == "0000",
    }


def parse(text: str) -> list:
    return [entry for entry in map(parse_line, text.splitlines()) if entry is not None]


def read(path: str = CONN_PROC) -> list:
    try:
        with open(path) as handle:
            return parse(handle.read())
    except FileNotFoundError:
        return []


def matches(entry: dict, protocol: str, address: str, port: int) -> bool:
    return entry["protocol"] == protocol and entry["virtual_address"] == address and entry["virtual_port"] == port


def _ordered_counts(protocol: str, counts: collections.Counter) -> dict:
    # the kernel's table order reads like the life of a connection; unknown names go last
    table = PROTOCOL_STATES.get(protocol, ())
    return dict(sorted(counts.items(), key=lambda item: (table.index(item[0]) if item[0] in table else len(table), item[0])))


def _as_service_key(key: tuple) -> model.ServiceKey:
    protocol, family, address, port = key
    return model.ServiceKey(family, protocol if protocol in model.PROTOCOLS else "tcp", address, port)


def _in_ipvsadm_order(service_keys) -> list:
    # fwmark templates print protocol IP, which ipvsadm's order has no place for: they go last
    ordered = model.ipvsadm_ordered_services(service_keys, key=_as_service_key)
    return sorted(ordered, key=lambda key: key[0] not in model.PROTOCOLS)


def _counted(protocol: str, server: tuple, counts: collections.Counter) -> dict:
    family, address, port = server
    return {"family": family, "address": address, "port": port, "total": sum(counts.values()), "states": _ordered_counts(protocol, counts)}


def summarize(entries: list, ipvsadm_order: bool = True) -> dict:
    """Count connection entries by protocol and state, in total, per virtual address and per real server.

    Entries are grouped by the virtual address and port the client used: the table does not
    record which firewall mark matched a connection.
    """
    totals: dict = {}
    services: dict = {}
    for entry in entries:
        protocol, state = entry["protocol"], entry["state"]
        totals.setdefault(protocol, collections.Counter())[state] += 1
        service = services.setdefault((protocol, entry["family"], entry["virtual_address"], entry["virtual_port"]), {})
        service.setdefault((entry["server_family"], entry["server_address"], entry["server_port"]), collections.Counter())[state] += 1
    service_keys = _in_ipvsadm_order(services) if ipvsadm_order else list(services)
    listed = []
    for key in service_keys:
        protocol, family, address, port = key
        servers = services[key]
        server_keys = model.ipvsadm_ordered_servers(servers, key=lambda server: model.DestKey(*server)) if ipvsadm_order else list(servers)
        counts = sum(servers.values(), collections.Counter())
        listed.append(
            {
                "protocol": protocol,
                "family": family,
                "address": address,
                "port": port,
                "total": sum(counts.values()),
                "states": _ordered_counts(protocol, counts),
                "servers": [_counted(protocol, server, servers[server]) for server in server_keys],
            }
        )
    return {
        "total": len(entries),
        "protocols": {protocol: _ordered_counts(protocol, counts) for protocol, counts in sorted(totals.items())},
        "services": listed,
    }
