# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS connection table as the kernel prints it in /proc/net/ip_vs_conn.

Netlink has no command for connection entries, so this file (per network
namespace) is the only source; ipvsadm -Lc reads it too.
"""

from __future__ import annotations

import socket
import struct

from ansible_collections.lvs.ipvs.plugins.module_utils._netns import PROC_NET

CONN_PROC = PROC_NET + "/ip_vs_conn"


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
