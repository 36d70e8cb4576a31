# Dual-stack hosts: lvs_address lists one address per family, a server naming the host takes
# the address of its service's family on the director and on the real server, servers given
# by either address find the host, and unicast VRRP runs each family between that family's
# addresses. A host of one family keeps giving its one address to every service.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

HOSTVARS = {
    "lb1": {"lvs_address": ["192.0.2.2", "2001:db8::2"]},
    "lb2": {"lvs_address": ["2001:db8::3", "192.0.2.3"]},
    "web1": {"lvs_address": ["192.0.2.11", "2001:db8::11"]},
    "web2": {"lvs_address": "192.0.2.12"},
}
V4 = {"address": "192.0.2.10", "port": 80, "servers": [{"host": "web1"}]}
V6 = {"address": "2001:db8::10", "port": 80, "servers": [{"host": "web1"}]}
V6_MARK = {"fwmark": 6, "family": "ipv6", "servers": [{"host": "web1"}]}


def _addresses(table: list) -> list:
    return [[server["address"] for server in entry["servers"]] for entry in table]


def test_a_server_naming_a_dual_stack_host_takes_the_address_of_its_services_family():
    table = topology.director_table([V4, V6, V6_MARK], HOSTVARS, "lb1")
    assert _addresses(table) == [["192.0.2.11"], ["2001:db8::11"], ["2001:db8::11"]]


def test_a_host_of_one_family_gives_its_address_to_a_tunnel_of_the_other():
    tunnelled = dict(V6, forwarding_method="tunnel", servers=[{"host": "web2"}])
    assert _addresses(topology.director_table([tunnelled], HOSTVARS, "lb1")) == [["192.0.2.12"]]
    network = topology.realserver_network([tunnelled], HOSTVARS, "web2")
    assert network["addresses"] == [["sit0", "2001:db8::10/128"]]


def test_a_host_of_one_family_named_by_a_routed_service_of_the_other_is_refused_naming_the_server():
    with pytest.raises(TopologyError) as error:
        topology.director_table([dict(V6, servers=[{"host": "web2"}])], HOSTVARS, "lb1")
    assert str(error.value).startswith("host 'lb1': director_services[0] (tcp [2001:db8::10]:80): ")
    assert "192.0.2.12" in str(error.value)


def test_the_real_server_carries_the_vip_of_each_family_and_finds_servers_given_by_either_address():
    services = [V4, dict(V6, servers=[{"address": "2001:db8::11"}])]
    network = topology.realserver_network(services, HOSTVARS, "web1")
    assert network["addresses"] == [["lo", "192.0.2.10/32"], ["lo", "2001:db8::10/128"]]
    fleet = topology.realserver_fleet(services, HOSTVARS, "web1")
    assert [entry["server"]["address"] for entry in topology.host_entries(fleet, HOSTVARS, "web1")] == ["192.0.2.11", "2001:db8::11"]


def test_unicast_vrrp_runs_each_family_between_that_familys_addresses():
    instances = keepalived.director_keepalived([V4, V6], HOSTVARS, "lb1", {"vrrp": True, "interface": "eth1", "peers": ["lb1", "lb2"]})["vrrp_instances"]
    assert [(item["name"], item["unicast_src_ip"], item["unicast_peers"]) for item in instances] == [
        ("lvs_v4", "192.0.2.2", ["192.0.2.3"]),
        ("lvs_v6", "2001:db8::2", ["2001:db8::3"]),
    ]


def test_a_peer_without_an_address_of_the_family_is_refused():
    hostvars = dict(HOSTVARS, lb2={"lvs_address": "192.0.2.3"})
    with pytest.raises(TopologyError, match=r"peer 'lb2' has no IPv6 lvs_address for unicast VRRP"):
        keepalived.director_keepalived([V4, V6], hostvars, "lb1", {"vrrp": True, "interface": "eth1", "peers": ["lb1", "lb2"]})


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "host 'web1' lvs_address must be an address or a list of one address per family, got []"),
        (["192.0.2.11", "192.0.2.21"], "host 'web1' lvs_address[1]: a second IPv4 address; lvs_address lists at most one per family"),
        (["192.0.2.11", "not-an-address"], "host 'web1' lvs_address[1]"),
        (["192.0.2.11", "2001:db8::11\nflush"], "host 'web1' lvs_address[1]"),
    ],
)
def test_a_bad_address_list_is_refused_naming_host_and_position(value, message):
    with pytest.raises(TopologyError) as error:
        topology.director_table([V4], dict(HOSTVARS, web1={"lvs_address": value}), "lb1")
    assert str(error.value).startswith("host 'lb1': director_services[0] (tcp 192.0.2.10:80).servers[0]: " + message)
