# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's own nftables tables, rendered from checked values: the director's
(``inet lvs_ipvs``) and a real server's (``inet lvs_ipvs_realserver``).

Every word of a rule comes from a model.MarkedTraffic (an address parsed and written back
by the model, a protocol of its list, whole port numbers), a whole mark, or an address and
MSS the topology computed: nothing from the inventory reaches the file as text. The file replaces the table in one transaction - it
creates the table when missing, deletes it and defines it again - so rules another tool
keeps in its own tables are never touched, and a rule the inventory no longer names is gone.
"""

from __future__ import annotations

TABLE = "lvs_ipvs"
REALSERVER_TABLE = "lvs_ipvs_realserver"
_DESTINATION = {"ipv4": "ip daddr", "ipv6": "ip6 daddr"}


def _match(traffic) -> str:
    destination = "%s %s" % (_DESTINATION[traffic.family], traffic.address)
    if not traffic.ports:
        return "%s meta l4proto %s" % (destination, traffic.protocol)
    ports = [str(first) if first == last else "%d-%d" % (first, last) for first, last in traffic.ports]
    return "%s %s dport %s" % (destination, traffic.protocol, ports[0] if len(ports) == 1 else "{ %s }" % ", ".join(ports))


def _chain(name: str, priority: str, rules: list, hook: str = "prerouting") -> list:
    return ["\tchain %s {" % name, "\t\ttype filter hook %s priority %s; policy accept;" % (hook, priority), *("\t\t" + rule for rule in rules), "\t}"]


def _replacing(table: str, comment: list, chains: list) -> str:
    lines = ["#!/usr/sbin/nft -f", *comment, "table inet %s" % table, "delete table inet %s" % table, "table inet %s {" % table, *chains, "}"]
    return "\n".join(lines) + "\n"


def ruleset(traffic: dict) -> str:
    """The file ``nft -f`` loads for topology.director_traffic's result; empty when the
    director needs no table."""
    marks = ["%s meta mark set 0x%08x" % (_match(item), mark) for mark, items in traffic["marks"] for item in items]
    untracked = ["%s notrack" % _match(item) for item in traffic["untracked"]]
    if not marks and not untracked:
        return ""
    chains = []
    if untracked:
        chains += _chain("conntrack_bypass", "raw", untracked)
    if marks:
        chains += _chain("fwmarks", "mangle", marks)
    comment = [
        "# lvs.ipvs director: the marks of its firewall-mark services (chain fwmarks) and the",
        "# traffic kept out of conntrack (chain conntrack_bypass). Written by Ansible: edits are lost.",
    ]
    return _replacing(TABLE, comment, chains)


def realserver_ruleset(clamps: list) -> str:
    """The file ``nft -f`` loads for a real server's [VIP, MSS] pairs (topology's
    ``mss_clamps``); empty when there are none. The client sends what the real server's
    SYN-ACK advertises, and that SYN-ACK goes straight to the client: only the real server
    can lower it."""
    if not clamps:
        return ""
    rules = [
        "%s saddr %s tcp flags & (syn | ack) == syn | ack tcp option maxseg size > %d tcp option maxseg size set %d"
        % ("ip6" if ":" in vip else "ip", vip, mss, mss)
        for vip, mss in clamps
    ]
    comment = [
        "# lvs.ipvs real server: the MSS its SYN-ACKs from tunnelled VIPs advertise, so that the",
        "# director's encapsulation of what clients send fits the path (chain mss_clamp).",
        "# Written by Ansible: edits are lost.",
    ]
    return _replacing(REALSERVER_TABLE, comment, _chain("mss_clamp", "mangle", rules, hook="output"))
