# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The director's own nftables table (``inet lvs_ipvs``), rendered from checked traffic.

Every word of a rule comes from a model.MarkedTraffic (an address parsed and written back
by the model, a protocol of its list, whole port numbers) or a whole mark: nothing from the
inventory reaches the file as text. The file replaces the table in one transaction - it
creates the table when missing, deletes it and defines it again - so rules another tool
keeps in its own tables are never touched, and a rule the inventory no longer names is gone.
"""

from __future__ import annotations

TABLE = "lvs_ipvs"
_DESTINATION = {"ipv4": "ip daddr", "ipv6": "ip6 daddr"}


def _match(traffic) -> str:
    destination = "%s %s" % (_DESTINATION[traffic.family], traffic.address)
    if not traffic.ports:
        return "%s meta l4proto %s" % (destination, traffic.protocol)
    ports = [str(first) if first == last else "%d-%d" % (first, last) for first, last in traffic.ports]
    return "%s %s dport %s" % (destination, traffic.protocol, ports[0] if len(ports) == 1 else "{ %s }" % ", ".join(ports))


def _chain(name: str, priority: str, rules: list) -> list:
    return ["\tchain %s {" % name, "\t\ttype filter hook prerouting priority %s; policy accept;" % priority, *("\t\t" + rule for rule in rules), "\t}"]


def ruleset(traffic: dict) -> str:
    """The file ``nft -f`` loads for topology.director_traffic's result; empty when the
    director needs no table."""
    marks = ["%s meta mark set 0x%08x" % (_match(item), mark) for mark, items in traffic["marks"] for item in items]
    untracked = ["%s notrack" % _match(item) for item in traffic["untracked"]]
    if not marks and not untracked:
        return ""
    lines = [
        "#!/usr/sbin/nft -f",
        "# lvs.ipvs director: the marks of its firewall-mark services (chain fwmarks) and the",
        "# traffic kept out of conntrack (chain conntrack_bypass). Written by Ansible: edits are lost.",
        "table inet %s" % TABLE,
        "delete table inet %s" % TABLE,
        "table inet %s {" % TABLE,
    ]
    if untracked:
        lines += _chain("conntrack_bypass", "raw", untracked)
    if marks:
        lines += _chain("fwmarks", "mangle", marks)
    lines.append("}")
    return "\n".join(lines) + "\n"
