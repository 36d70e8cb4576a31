# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that turn the inventory's lvs_services into what one host must hold."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology


def _checked(function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except topology.TopologyError as error:
        raise AnsibleFilterError(str(error)) from None


def director_topology(services, hostvars, host, vip_interface=None, networks=None, variable="director_services", conntrack_bypass=False):
    return {
        "table": _checked(topology.director_table, services, hostvars, host, variable),
        "network": _checked(topology.director_network, services, host, vip_interface, networks, variable),
        "nftables": {"table": nftables.TABLE, "content": nftables.ruleset(_checked(topology.director_traffic, services, host, conntrack_bypass, variable))},
    }


def realserver_fleet(services, hostvars, host, variable="realserver_services"):
    return _checked(topology.realserver_fleet, services, hostvars, host, variable)


def realserver_topology(services, hostvars, host, dr_interface="lo", nat_gateways=None, extra_vips=None, variable="realserver_services"):
    return _checked(topology.realserver_network, services, hostvars, host, dr_interface, nat_gateways, extra_vips, variable)


def realserver_entries(services, hostvars, host, variable="lvs_services"):
    return _checked(topology.realserver_entries, services, hostvars, host, variable)


def held_out(services, held, variable="director_services", host=""):
    return _checked(topology.held_out, services, held, variable, host)


def interface_networks(facts):
    return topology.interface_networks(facts)


class FilterModule:
    def filters(self):
        return {
            "director_topology": director_topology,
            "realserver_fleet": realserver_fleet,
            "realserver_topology": realserver_topology,
            "realserver_entries": realserver_entries,
            "interface_networks": interface_networks,
            "held_out": held_out,
        }
