# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every real server's host network for a play, derived and checked in one pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _hostnet as hostnet
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology

# The realserver role's variables a real server may set for itself.
OWN_VARIABLES = ("realserver_state", "realserver_dr_interface", "realserver_nat_gateway", "realserver_vips", "realserver_boot")
# ... and every variable of a host the derivation reads.
READ_VARIABLES = (*OWN_VARIABLES, "realserver_method", "lvs_address", "ansible_host")
STATES = ("present", "absent")


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


def host_network(fleet: Mapping, hostvars: Mapping, host: str) -> dict:
    """One real server's host network (the settings of the host_network role), from its
    part of the fleet (``realserver_fleet``) and its own variables, checked as the
    role will write it."""
    variables = hostvars[host]
    state = _own(variables, host, "realserver_state")
    if state not in STATES:
        raise topology.TopologyError("host '%s': realserver_state must be present or absent, got %r" % (host, topology.shown(state)))
    raw_boot = _own(variables, host, "realserver_boot")
    try:
        boot = boolean(raw_boot, strict=True)
    except TypeError:
        raise topology.TopologyError("host '%s': realserver_boot must be true or false, got %r" % (host, topology.shown(raw_boot))) from None
    network = topology.realserver_network(
        fleet,
        hostvars,
        host,
        _own(variables, host, "realserver_dr_interface"),
        _own(variables, host, "realserver_nat_gateway"),
        _own(variables, host, "realserver_vips"),
    )
    # as JSON holds it: a task compares and templates lists, never tuples
    network.update(name="realserver", state=state, sysctls=[list(pair) for pair in network["sysctls"]], restore="", boot=boot)
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
