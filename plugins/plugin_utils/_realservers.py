# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every real server's host network for a play, derived and checked in one pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _hostnet as hostnet
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology

# The realserver role's variables a real server may set for itself.
OWN_VARIABLES = (
    "realserver_state",
    "realserver_dr_interface",
    "realserver_nat_gateway",
    "realserver_vips",
    "realserver_boot",
    "realserver_tunnel_mss_clamp",
    "realserver_tunnel_path_mtu",
    "realserver_nftables_file",
)
# ... and every variable of a host the derivation reads.
READ_VARIABLES = (*OWN_VARIABLES, "realserver_method", "lvs_address", "ansible_host")
STATES = ("present", "absent")
# The MTUs a path may have: IPv4's smallest datagram every host takes, and the largest an
# IP packet can be.
PATH_MTU = (576, 65535)


def bucket(host: str) -> str:
    """The bucket that holds a host's network: the first two hex digits of the SHA-1 of
    its name, which a template computes as ``(inventory_hostname | hash('sha1'))[:2]``.
    Ansible 2.19 wraps every value of a dict a template reads, so a host reading its
    network from one dict of the whole fleet would pay for the fleet; 256 buckets keep
    that read small up to fleets of tens of thousands."""
    return hashlib.sha1(host.encode("utf-8")).hexdigest()[:2]


def _own(variables: Mapping, host: str, name: str):
    try:
        return variables[name]
    except KeyError:
        raise topology.TopologyError("host '%s': %s is not defined (the lvs.ipvs.realserver role's defaults define it)" % (host, name)) from None


def _flag(variables: Mapping, host: str, name: str) -> bool:
    raw = _own(variables, host, name)
    try:
        return boolean(raw, strict=True)
    except TypeError:
        raise topology.TopologyError("host '%s': %s must be true or false, got %r" % (host, name, topology.shown(raw))) from None


def _path_mtu(variables: Mapping, host: str):
    """The MTU the MSS clamp fits, or None without realserver_tunnel_mss_clamp."""
    if not _flag(variables, host, "realserver_tunnel_mss_clamp"):
        return None
    raw = _own(variables, host, "realserver_tunnel_path_mtu")
    # as the role's int option takes it: a number, or its digits (-e name=value gives text)
    mtu = int(raw) if isinstance(raw, str) and raw.isascii() and raw.isdigit() else raw
    if isinstance(mtu, bool) or not isinstance(mtu, int) or not PATH_MTU[0] <= mtu <= PATH_MTU[1]:
        raise topology.TopologyError(
            "host '%s': realserver_tunnel_path_mtu must be a whole number of bytes %d..%d, got %r" % (host, *PATH_MTU, topology.shown(raw))
        )
    return mtu


def host_network(fleet: Mapping, hostvars: Mapping, host: str) -> dict:
    """One real server's host network (the settings of the host_network role), from its
    part of the fleet (``realserver_fleet``) and its own variables, checked as the
    role will write it."""
    variables = hostvars[host]
    state = _own(variables, host, "realserver_state")
    if state not in STATES:
        raise topology.TopologyError("host '%s': realserver_state must be present or absent, got %r" % (host, topology.shown(state)))
    boot = _flag(variables, host, "realserver_boot")
    network = topology.realserver_network(
        fleet,
        hostvars,
        host,
        _own(variables, host, "realserver_dr_interface"),
        _own(variables, host, "realserver_nat_gateway"),
        _own(variables, host, "realserver_vips"),
        path_mtu=_path_mtu(variables, host),
    )
    content = nftables.realserver_ruleset(network["mss_clamps"]) if state == "present" else ""
    table = []
    if content:
        file = hostnet.path(_own(variables, host, "realserver_nftables_file"), "host '%s': realserver_nftables_file" % host)
        table = [[nftables.REALSERVER_TABLE, file]]
    # as JSON holds it: a task compares and templates lists, never tuples
    network.update(
        name="realserver",
        state=state,
        sysctls=[list(pair) for pair in network["sysctls"]],
        restore="",
        boot=boot,
        nftables=table,
        nftables_content=content,
    )
    hostnet.config(
        host,
        network["name"],
        state,
        network["modules"],
        network["sysctls"],
        network["addresses"],
        network["gateways"],
        "",
        boot,
        network["gue_ports"],
        network["gre_devices"],
        table,
    )
    return network


def realserver_networks(services, hostvars: Mapping, hosts: Iterable[str], first: str, variable: str = "realserver_services") -> dict:
    """Each of ``hosts``' host network, by ``bucket``: the fleet derived once from the
    services ``first`` read from ``variable``, then each host's part and own variables.
    ``hostvars`` gives each host's variables as its tasks see them."""
    fleet = topology.realserver_fleet(services, hostvars, first, variable)
    networks = {}
    for host in hosts:
        networks.setdefault(bucket(host), {})[host] = host_network(fleet, hostvars, host)
    return networks
