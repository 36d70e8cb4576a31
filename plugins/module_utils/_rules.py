# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Render services and real servers as ``ipvsadm -Sn`` rule lines.

Diffs use these lines because they are what an LVS operator already reads.
"""

from __future__ import annotations

from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._model import (
    HOST_PREFIX,
    MASQUERADE,
    ROUTE,
    TUNNEL,
    Dest,
    Service,
    ServiceKey,
    host_port,
    ipvsadm_ordered_servers,
    ipvsadm_ordered_services,
    netmask_text,
)

_PROTOCOL_OPTION = {"tcp": "-t", "udp": "-u", "sctp": "--sctp-service"}
# The kernel turns a real server whose address is local into "local": ipvsadm -Sn writes -g
# for it, and -R gives it back to the kernel, which makes it local again.
_METHOD_OPTION = {ROUTE: "-g", "local": "-g", TUNNEL: "-i", MASQUERADE: "-m"}


def service_address(key: ServiceKey) -> str:
    if key.is_fwmark:
        return "-f %d%s" % (key.fwmark, " -6" if key.family == "ipv6" else "")
    return "%s %s" % (_PROTOCOL_OPTION[key.protocol], host_port(key.family, key.address, key.port))


def service_rule(service: Service) -> str:
    # the option order of ipvsadm -Sn
    words = ["-A", service_address(service.key), "-s", service.scheduler]
    if service.persistent:
        words += ["-p", str(service.persistence_timeout)]
        if service.persistence_netmask != HOST_PREFIX[service.key.family]:
            words += ["-M", netmask_text(service.key.family, service.persistence_netmask)]
    if service.persistence_engine:
        words += ["--pe", service.persistence_engine]
    if service.one_packet:
        words.append("-o")
    if service.scheduler_flags:
        words += ["-b", ",".join(service.scheduler_flags)]
    return " ".join(words)


def server_rule(service: ServiceKey, dest: Dest) -> str:
    words = ["-a", service_address(service), "-r", dest.key.label(), _METHOD_OPTION.get(dest.forwarding_method, "--" + dest.forwarding_method)]
    words += ["-w", str(dest.weight)]
    if dest.upper_threshold:
        words += ["-x", str(dest.upper_threshold)]
    if dest.lower_threshold:
        words += ["-y", str(dest.lower_threshold)]
    if dest.forwarding_method == TUNNEL:
        words += ["--tun-type", dest.tunnel_type]
        if dest.tunnel_port:
            words += ["--tun-port", str(dest.tunnel_port)]
        if dest.tunnel_checksum:
            words.append("--tun-" + dest.tunnel_checksum)
    return " ".join(words)


def render(service: Service | None, servers=()) -> str:
    """One service and its servers as rule lines, ending in a newline (or empty)."""
    if service is None:
        return ""
    lines = [service_rule(service)]
    lines += [server_rule(service.key, dest) for dest in ipvsadm_ordered_servers(servers, key=lambda dest: dest.key)]
    return "\n".join(lines) + "\n"


def render_table(table: plan.Table) -> str:
    """The whole table as ``ipvsadm -Sn`` writes it, in its order, plus the
    thresholds (-x, -y) that ipvsadm -S leaves out."""
    lines = []
    for key in ipvsadm_ordered_services(table.services):
        lines.append(service_rule(table.services[key]))
        servers = table.servers_of(key)
        lines += [server_rule(key, servers[dest]) for dest in ipvsadm_ordered_servers(servers)]
    return "".join(line + "\n" for line in lines)


def command(op: plan.Operation) -> str:
    """The ipvsadm command that does what ``op`` does (-A/-E/-D, -a/-e/-d)."""
    if op.action == plan.DELETE_SERVICE:
        return "-D " + service_address(op.service)
    if op.action == plan.DELETE_SERVER:
        return "-d %s -r %s" % (service_address(op.service), op.before.key.label())
    rule = service_rule(op.after) if op.server is None else server_rule(op.service, op.after)
    if op.action in (plan.EDIT_SERVICE, plan.EDIT_SERVER):
        verb, rest = rule.split(" ", 1)
        rule = {"-A": "-E", "-a": "-e"}[verb] + " " + rest
    return rule
