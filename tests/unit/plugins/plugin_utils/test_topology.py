# The inventory vocabulary turned into each host's table and network, and the
# messages that name host and variable when the inventory is wrong.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

HOSTVARS = {
    "lb1": {"ansible_host": "10.89.100.20", "lvs_address": "192.0.2.2"},
    "web1": {"ansible_host": "10.89.100.31", "lvs_address": "192.0.2.11"},
    "web2": {"ansible_host": "192.0.2.12"},
    "web3": {"ansible_host": "web3.example.com", "lvs_address": "2001:db8::13"},
    "named": {"ansible_host": "named.example.com"},
}


def services(method="route", **extra):
    return [
        {
            "address": "192.0.2.10",
            "port": 80,
            "scheduler": "wrr",
            "forwarding_method": method,
            "servers": [{"host": "web1", "weight": 3}, {"host": "web2"}, {"address": "198.51.100.7", "port": 8080}],
            **extra,
        },
    ]


def test_director_table_resolves_hosts_and_keeps_options():
    table = topology.director_table(services(persistence_timeout=600), HOSTVARS, "lb1")
    assert table == [
        {
            "address": "192.0.2.10",
            "port": 80,
            "scheduler": "wrr",
            "persistence_timeout": 600,
            "servers": [
                {"address": "192.0.2.11", "weight": 3, "forwarding_method": "route"},
                {"address": "192.0.2.12", "forwarding_method": "route"},
                {"address": "198.51.100.7", "port": 8080, "forwarding_method": "route"},
            ],
        },
    ]


def test_server_method_overrides_service_method():
    svc = services()
    svc[0]["servers"][1]["forwarding_method"] = "tunnel"
    methods = [s["forwarding_method"] for s in topology.director_table(svc, HOSTVARS, "lb1")[0]["servers"]]
    assert methods == ["route", "tunnel", "route"]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"host": "web9"}, "host 'lb1': director_services[0] (tcp 192.0.2.10:80).servers[0] names host 'web9', which is not in the inventory"),
        ({"host": "named"}, "servers[0]: host 'named' ansible_host: 'named.example.com' is not an IP address"),
        ({"host": "web1", "address": "192.0.2.11"}, "servers[0] needs exactly one of host (an inventory host) or address"),
        ({"address": "192.0.2.300"}, "servers[0].address: '192.0.2.300' is not an IP address"),
        ({"host": "web1", "forwarding_method": "dr"}, "servers[0].forwarding_method must be one of route, tunnel, masquerade, got 'dr'"),
    ],
)
def test_bad_servers_name_host_and_variable(server, message):
    svc = services()
    svc[0]["servers"] = [server]
    with pytest.raises(TopologyError) as error:
        topology.director_table(svc, HOSTVARS, "lb1")
    assert message in str(error.value)


WHERE = "host 'lb1': director_services[0] (tcp 192.0.2.10:80)"


@pytest.mark.parametrize(
    ("service_changes", "server", "message"),
    [
        ({}, {"host": "web1", "weight": -1}, "real server 192.0.2.11 of TCP 192.0.2.10:80: weight -1 is out of range 0..2147483647"),
        ({}, {"host": "web1", "upper_threshold": 5, "lower_threshold": 9}, "lower_threshold 9 is above upper_threshold 5"),
        ({}, {"host": "web1", "tunnel_type": "gre"}, "tunnel_type only apply to forwarding_method tunnel, not route"),
        ({"persistence_netmask": "255.0.255.0"}, {"host": "web1"}, "persistence_netmask '255.0.255.0' is not valid for ipv4"),
        ({"scheduler": "fastest"}, {"host": "web1"}, "scheduler 'fastest' is unknown"),
        ({"scheduler": "rr\nrestore /x"}, {"host": "web1"}, "scheduler 'rr\\nrestore /x' is unknown"),
        ({"port": "eighty"}, {"host": "web1"}, "(tcp 192.0.2.10:eighty).port must be a whole number, got 'eighty'"),
        ({}, {"host": "web1", "weight": "\u00b2"}, ".servers[0].weight must be a whole number, got '\u00b2'"),
        ({"one_packet": "yes"}, {"host": "web1"}, ".one_packet must be true or false, got 'yes'"),
        ({}, {"host": "web1", "forwarding_method": "tunnel", "tunnel_type": "gue"}, "tunnel_type gue needs tunnel_port 1..65535"),
    ],
)
def test_what_ipvs_table_would_refuse_is_refused_on_the_controller(service_changes, server, message):
    svc = services(**service_changes)
    svc[0]["servers"] = [server]
    with pytest.raises(TopologyError) as error:
        topology.director_table(svc, HOSTVARS, "lb1")
    assert message in str(error.value)
    assert str(error.value).startswith("host 'lb1': director_services[0]")


def test_the_same_server_twice_is_refused():
    svc = services()
    svc[0]["servers"] = [{"host": "web1"}, {"address": "192.0.2.11"}]
    with pytest.raises(TopologyError, match=r"real server 192\.0\.2\.11:80 is listed twice"):
        topology.director_table(svc, HOSTVARS, "lb1")


def test_method_contradicting_the_real_servers_declaration_fails_on_both_sides():
    hostvars = {**HOSTVARS, "web1": {**HOSTVARS["web1"], "realserver_method": "tunnel"}}
    with pytest.raises(TopologyError, match=r"servers\[0\] sends to host 'web1' by route, but that host's realserver_method is tunnel"):
        topology.director_table(services(), hostvars, "lb1")
    with pytest.raises(TopologyError, match=r"host 'web1': realserver_services\[0\] \(tcp 192.0.2.10:80\)"):
        topology.realserver_network(services(), hostvars, "web1")


def test_service_without_address_or_fwmark():
    with pytest.raises(TopologyError, match=r"host 'lb1': director_services\[0\] needs an address \(the VIP\) or a fwmark"):
        topology.director_table([{"port": 80}], HOSTVARS, "lb1")


def test_director_network_loads_schedulers_and_carries_vips():
    svc = [*services(), {"fwmark": 7, "scheduler": "sh", "persistence_engine": "sip", "servers": []}]
    network = topology.director_network(svc, "lb1", "eth1")
    assert network["modules"] == ["ip_vs", "ip_vs_wrr", "ip_vs_sh", "ip_vs_pe_sip"]
    assert network["addresses"] == [["eth1", "192.0.2.10/32"]]
    assert network["sysctls"] == []


def test_director_network_for_nat_forwards_and_checks_the_vip_network():
    network = topology.director_network(services("masquerade"), "lb1", "eth1", ["192.0.2.0/24", "198.51.100.0/24"])
    assert network["sysctls"] == [("net.ipv4.ip_forward", "1")]
    with pytest.raises(TopologyError) as error:
        topology.director_network(services("masquerade"), "lb1", "eth1", ["198.51.100.0/24"])
    assert str(error.value) == (
        "host 'lb1': director_services[0] (tcp 192.0.2.10:80) uses masquerade, but its VIP 192.0.2.10 is outside "
        "every network of the director's interfaces (198.51.100.0/24)"
    )


def test_absent_services_need_nothing_on_the_director():
    network = topology.director_network(services(state="absent"), "lb1", "eth1")
    assert network == {"modules": ["ip_vs"], "sysctls": [], "addresses": [], "gateways": []}


def test_realserver_for_direct_routing():
    network = topology.realserver_network(services(), HOSTVARS, "web1")
    assert network == {
        "modules": [],
        "sysctls": [("net.ipv4.conf.all.arp_announce", "2"), ("net.ipv4.conf.all.arp_ignore", "1")],
        "addresses": [["lo", "192.0.2.10/32"]],
        "gateways": [],
        "gue_ports": [],
        "gre_devices": [],
        "mss_clamps": [],
    }


def test_realserver_for_ipv6_tunnel():
    svc = [{"address": "2001:db8::10", "port": 80, "forwarding_method": "tunnel", "servers": [{"host": "web3"}]}]
    network = topology.realserver_network(svc, HOSTVARS, "web3")
    assert network["modules"] == ["ip6_tunnel"]
    assert network["addresses"] == [["ip6tnl0", "2001:db8::10/128"]]
    assert network["sysctls"] == []


def test_realserver_for_ipv4_tunnel_relaxes_rp_filter():
    network = topology.realserver_network(services("tunnel"), HOSTVARS, "web2")
    assert network["modules"] == ["ipip"]
    assert network["addresses"] == [["tunl0", "192.0.2.10/32"]]
    assert ("net.ipv4.conf.tunl0.rp_filter", "0") in network["sysctls"]
    assert ("net.ipv4.conf.all.rp_filter", "loose") in network["sysctls"]


def test_realserver_for_explicit_ipip_is_the_default_tunnel():
    svc = services("tunnel")
    svc[0]["servers"][1]["tunnel_type"] = "ipip"
    assert topology.realserver_network(svc, HOSTVARS, "web2") == topology.realserver_network(services("tunnel"), HOSTVARS, "web2")


def _tunnelled(vip: str, server: dict) -> list:
    return [{"address": vip, "port": 80, "forwarding_method": "tunnel", "servers": [{"host": "web1", **server}]}]


V4_RS, V6_RS = {"lvs_address": "192.0.2.11"}, {"lvs_address": "2001:db8::11"}


@pytest.mark.parametrize(
    ("vip", "own", "server", "modules", "device", "gue_ports"),
    # GRE without a checksum: the fallback device of the outer family, whatever it carries
    [
        # GUE: a receive port of the outer family; the inner packet lands as IP in IP would
        ("192.0.2.10", V4_RS, {"tunnel_type": "gue", "tunnel_port": "6080"}, ["fou", "ipip"], "tunl0", [[6080, 4]]),
        ("192.0.2.10", V4_RS, {"tunnel_type": "gue", "tunnel_port": 6080, "tunnel_checksum": "remcsum"}, ["fou", "ipip"], "tunl0", [[6080, 4]]),
        ("2001:db8::10", V6_RS, {"tunnel_type": "gue", "tunnel_port": 6081}, ["fou", "fou6", "ip6_tunnel"], "ip6tnl0", [[6081, 6]]),
        ("2001:db8::10", V4_RS, {"tunnel_type": "gue", "tunnel_port": 6080}, ["fou", "sit"], "sit0", [[6080, 4]]),
        ("192.0.2.10", V4_RS, {"tunnel_type": "gre", "tunnel_checksum": "nocsum"}, ["ip_gre"], "gre0", []),
        ("2001:db8::10", V6_RS, {"tunnel_type": "gre"}, ["ip6_gre"], "ip6gre0", []),
        ("192.0.2.10", V6_RS, {"tunnel_type": "gre"}, ["ip6_gre"], "ip6gre0", []),
        # IP in IP across families: IPv4 in IPv6 lands on ip6tnl0, IPv6 in IPv4 on sit0
        ("192.0.2.10", V6_RS, {}, ["ip6_tunnel"], "ip6tnl0", []),
        ("2001:db8::10", V4_RS, {"tunnel_type": "ipip"}, ["sit"], "sit0", []),
    ],
)
def test_realserver_is_prepared_for_each_tunnel_type_and_family(vip, own, server, modules, device, gue_ports):
    hostvars = {"web1": own}
    network = topology.realserver_network(_tunnelled(vip, server), hostvars, "web1")
    assert network["modules"] == modules
    assert network["addresses"] == [[device, vip + ("/32" if "." in vip else "/128")]]
    assert network["gue_ports"] == gue_ports
    assert network["gre_devices"] == []
    if "." in vip:
        assert ("net.ipv4.conf.%s.rp_filter" % device, "0") in network["sysctls"]
        assert ("net.ipv4.conf.all.rp_filter", "loose") in network["sysctls"]
    else:
        assert network["sysctls"] == []


@pytest.mark.parametrize(
    ("vip", "own", "device"), [("192.0.2.10", V4_RS, ["lvs-gre", "gre", "192.0.2.11"]), ("2001:db8::10", V6_RS, ["lvs-ip6gre", "ip6gre", "2001:db8::11"])]
)
def test_checksummed_gre_gets_a_device_that_requires_checksums(vip, own, device):
    """The fallback devices drop GRE that carries a checksum: such GRE gets a device of its
    own, bound to the address the director sends to."""
    svc = [
        *_tunnelled(vip, {"tunnel_type": "gre", "tunnel_checksum": "csum"}),
        {**_tunnelled(vip, {"tunnel_type": "gre", "tunnel_checksum": "csum"})[0], "port": 443},
    ]
    network = topology.realserver_network(svc, {"web1": own}, "web1")
    assert network["gre_devices"] == [device]
    assert network["addresses"] == [[device[0], vip + ("/32" if "." in vip else "/128")]]
    assert network["modules"] == ["ip_gre" if "." in device[2] else "ip6_gre"]


@pytest.mark.parametrize(
    ("first", "second", "message"),
    [
        (
            "csum",
            "nocsum",
            r"\[1\] \(tcp 192.0.2.10:443\) sends to it over GRE without a checksum, but host 'web1': realserver_services\[0\] \(tcp 192.0.2.10:80\) does",
        ),
        ("nocsum", "csum", r"\[1\] \(tcp 192.0.2.10:443\) sends to it over GRE with a checksum, but .* does not: .*give them the same tunnel_checksum"),
    ],
)
def test_gre_with_and_without_a_checksum_to_one_host_is_refused(first, second, message):
    svc = [
        *_tunnelled("192.0.2.10", {"tunnel_type": "gre", "tunnel_checksum": first}),
        {**_tunnelled("192.0.2.10", {"tunnel_type": "gre", "tunnel_checksum": second})[0], "port": 443},
    ]
    with pytest.raises(TopologyError, match=message):
        topology.realserver_network(svc, {"web1": V4_RS}, "web1")


def test_one_gue_port_serves_every_service_that_uses_it():
    svc = [
        *_tunnelled("192.0.2.10", {"tunnel_type": "gue", "tunnel_port": 6080}),
        {**_tunnelled("192.0.2.20", {"tunnel_type": "gue", "tunnel_port": 6080})[0], "port": 443},
        {**_tunnelled("192.0.2.10", {"tunnel_type": "gre"})[0], "port": 8082},
        {**_tunnelled("192.0.2.10", {})[0], "port": 8080},
    ]
    network = topology.realserver_network(svc, {"web1": V4_RS}, "web1")
    assert network["gue_ports"] == [[6080, 4]]
    assert network["modules"] == ["fou", "ipip", "ip_gre"]
    assert network["addresses"] == [["tunl0", "192.0.2.10/32"], ["tunl0", "192.0.2.20/32"], ["gre0", "192.0.2.10/32"]]


@pytest.mark.parametrize(
    ("server", "message"),
    [
        ({"tunnel_type": "gue"}, r"\(tcp 192.0.2.10:80\): tunnel_type gue needs tunnel_port 1..65535"),
        ({"tunnel_type": "gue", "tunnel_port": "6080\nmodule evil"}, r"\(tcp 192.0.2.10:80\).tunnel_port must be a whole number"),
        ({"tunnel_type": "vxlan"}, r"\(tcp 192.0.2.10:80\): tunnel_type 'vxlan' is not one of ipip, gue, gre"),
        ({"tunnel_type": "gre", "tunnel_checksum": "remcsum"}, r"\(tcp 192.0.2.10:80\): tunnel_checksum remcsum only applies to tunnel_type gue"),
    ],
)
def test_a_bad_tunnel_is_refused_on_the_real_server_naming_host_and_service(server, message):
    with pytest.raises(TopologyError, match=r"^host 'web1': realserver_services\[0\] " + message):
        topology.realserver_network(_tunnelled("192.0.2.10", server), {"web1": V4_RS}, "web1")


def test_realserver_for_nat_routes_through_the_gateway():
    network = topology.realserver_network(services("masquerade"), HOSTVARS, "web1", nat_gateways="192.0.2.2")
    assert network == {"modules": [], "sysctls": [], "addresses": [], "gateways": ["192.0.2.2"], "gue_ports": [], "gre_devices": [], "mss_clamps": []}
    with pytest.raises(TopologyError, match=r"host 'web1': realserver_services\[0\] .* realserver_nat_gateway must give"):
        topology.realserver_network(services("masquerade"), HOSTVARS, "web1")


def test_server_given_by_address_matches_the_host():
    hostvars = {**HOSTVARS, "web7": {"ansible_host": "198.51.100.7"}}
    assert topology.realserver_network(services(), hostvars, "web7")["addresses"] == [["lo", "192.0.2.10/32"]]


def test_host_in_no_service_and_absent_services_carry_nothing():
    assert topology.realserver_network(services(), HOSTVARS, "lb1")["addresses"] == []
    assert topology.realserver_network(services(state="absent"), HOSTVARS, "web1")["addresses"] == []


def test_extra_vips_for_firewall_mark_services():
    extra = ["192.0.2.20", {"address": "192.0.2.21", "forwarding_method": "tunnel"}]
    network = topology.realserver_network([], HOSTVARS, "web1", extra_vips=extra)
    assert network["addresses"] == [["lo", "192.0.2.20/32"], ["tunl0", "192.0.2.21/32"]]


def test_realserver_entries_for_draining():
    entries = topology.realserver_entries(services(), HOSTVARS, "web1")
    assert entries == [
        {
            "service": {"address": "192.0.2.10", "port": 80},
            "server": {"address": "192.0.2.11", "weight": 3, "forwarding_method": "route"},
            "label": "tcp 192.0.2.10:80",
        },
    ]


class CountingHostvars(dict):
    """hostvars that count how often each host's variables are gathered, as Ansible's do at each read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.reads = {}

    def __getitem__(self, name):
        self.reads[name] = self.reads.get(name, 0) + 1
        return super().__getitem__(name)


def test_the_fleet_reads_each_named_host_once():
    many = [{"address": "192.0.2.%d" % (20 + index), "port": 80, "servers": [{"host": "web1"}, {"host": "web2"}]} for index in range(50)]
    hostvars = CountingHostvars(HOSTVARS)
    fleet = topology.realserver_fleet(many, hostvars, "web1")
    assert hostvars.reads == {"web1": 1, "web2": 1}
    assert len(topology.host_entries(fleet, hostvars, "web1")) == len(topology.host_entries(fleet, hostvars, "web2")) == 50


def test_a_host_reads_two_small_maps_of_a_large_fleet():
    """Each map a pick reads holds about sqrt(N) keys, since Ansible wraps every value of a map read in a template."""
    hostvars = {"rs%04d" % index: {"lvs_address": "10.0.%d.%d" % (index // 250, 1 + index % 250)} for index in range(2500)}
    many = [{"address": "192.0.2.1", "port": 80 + index, "servers": [{"host": "rs%04d" % index}]} for index in range(2500)]
    fleet = topology.realserver_fleet(many, hostvars, "rs0000")
    assert fleet["buckets"] == 50
    assert max(len(bucket) for bucket in fleet["hosts"].values()) < 100
    assert topology.realserver_entries(fleet, hostvars, "rs1234")[0]["service"] == {"address": "192.0.2.1", "port": 1314}


def test_a_host_picks_named_and_addressed_entries_in_the_services_order():
    hostvars = {**HOSTVARS, "web7": {"ansible_host": "198.51.100.7"}}
    mixed = [
        {"address": "192.0.2.20", "port": 80, "servers": [{"host": "web7"}]},
        {"address": "192.0.2.21", "port": 80, "servers": [{"host": "web1"}, {"address": "198.51.100.7"}]},
        {"address": "192.0.2.22", "port": 80, "servers": [{"host": "web7", "port": 8080}]},
    ]
    fleet = topology.realserver_fleet(mixed, hostvars, "web1")
    labels = [entry["label"] for entry in topology.realserver_entries(fleet, hostvars, "web7")]
    assert labels == ["tcp 192.0.2.20:80", "tcp 192.0.2.21:80", "tcp 192.0.2.22:80"]
    assert topology.realserver_entries(fleet, hostvars, "web7") == topology.realserver_entries(mixed, hostvars, "web7")


def test_a_fleet_error_names_the_host_whose_list_was_read():
    with pytest.raises(TopologyError, match=r"^host 'web2': realserver_services\[0\] \(tcp 192.0.2.10:80\).servers\[0\] names host 'web9'"):
        topology.realserver_fleet([{"address": "192.0.2.10", "port": 80, "servers": [{"host": "web9"}]}], HOSTVARS, "web2")


def test_a_host_names_its_own_entries_when_picking_from_a_fleet():
    fleet = topology.realserver_fleet(services("masquerade"), HOSTVARS, "web1")
    with pytest.raises(TopologyError, match=r"^host 'web2': realserver_services\[0\] \(tcp 192.0.2.10:80\) reaches it by masquerade"):
        topology.realserver_network(fleet, HOSTVARS, "web2")


def test_interface_networks_from_facts():
    facts = {
        "interfaces": ["lo", "eth0", "br-lan"],
        "eth0": {
            "ipv4": {"address": "192.0.2.2", "netmask": "255.255.255.0"},
            "ipv4_secondaries": [{"address": "192.0.2.10", "netmask": "255.255.255.255"}],
            "ipv6": [{"address": "2001:db8::2", "prefix": "64"}, {"address": "fe80::1", "prefix": "64"}],
        },
        "br_lan": {"ipv4": {"address": "198.51.100.1", "netmask": "255.255.255.0"}},
        "lo": {"ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}},
    }
    assert topology.interface_networks(facts) == [
        "127.0.0.0/8",
        "192.0.2.0/24",
        "192.0.2.10/32",
        "2001:db8::/64",
        "fe80::/64",
        "198.51.100.0/24",
    ]


@pytest.mark.parametrize("hostile", ["eth1\nrestore /etc/other.rules", "eth 1", "eth1;id", "x" * 10000])
def test_hostile_interface_settings_are_refused_naming_the_variable(hostile):
    with pytest.raises(TopologyError, match=r"^host 'lb1': director_vip_interface "):
        topology.director_network(services(), "lb1", hostile)
    with pytest.raises(TopologyError, match=r"^host 'web1': realserver_dr_interface "):
        topology.realserver_network(services(), HOSTVARS, "web1", hostile)


def test_held_servers_get_weight_0_by_host_or_address_and_the_rest_is_kept():
    held = topology.held_out(services(), ["web2", "198.51.100.7"])
    assert [server.get("maintenance") for server in held[0]["servers"]] == [None, True, True]
    weights = [server.get("weight") for server in topology.director_table(held, HOSTVARS, "lb1")[0]["servers"]]
    assert weights == [3, 0, 0]
    assert topology.held_out(services(), []) == services()
    with pytest.raises(TopologyError, match=r"^host 'lb1': the held real servers must be a list of host names or addresses, got 'web2'$"):
        topology.held_out(services(), "web2", host="lb1")


def test_a_server_in_maintenance_is_put_back_by_drain_with_weight_0():
    entries = topology.realserver_entries(services(servers=[{"host": "web1", "weight": 3, "maintenance": True}]), HOSTVARS, "web1")
    assert [entry["server"]["weight"] for entry in entries] == [0]
