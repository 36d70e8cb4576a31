# The real server's MSS clamp for tunnelled VIPs (realserver_tunnel_mss_clamp): what each
# encapsulation costs, the clamp each VIP gets on each host, the nftables table it is
# written into (read by the real nft -c, tests/unit/plugins/conftest.py), and every bad
# value refused naming the host and the variable.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _realservers as realservers
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

OWN = {
    "realserver_state": "present",
    "realserver_dr_interface": "lo",
    "realserver_nat_gateway": [],
    "realserver_vips": [],
    "realserver_boot": True,
    "realserver_tunnel_mss_clamp": True,
    "realserver_tunnel_path_mtu": 1500,
    "realserver_nftables_file": "/etc/lvs-ipvs/realserver.nft",
}
HOSTVARS = {
    "web1": {"lvs_address": "192.0.2.11", **OWN},
    "web2": {"lvs_address": "192.0.2.12", **OWN},
    "web6": {"lvs_address": "2001:db8::16", **OWN},
}


def _service(address: str, port: int, method: str = "tunnel", **server) -> dict:
    return {"address": address, "port": port, "forwarding_method": method, "servers": [{"host": server.pop("host", "web1"), **server}]}


@pytest.mark.parametrize(
    ("kind", "outer", "checksum", "overhead"),
    [
        ("ipip", 4, "", 20),
        ("ipip", 6, "", 40),
        ("gue", 4, "nocsum", 32),
        ("gue", 4, "csum", 32),
        ("gue", 4, "remcsum", 40),
        ("gue", 6, "nocsum", 52),
        ("gre", 4, "nocsum", 24),
        ("gre", 4, "csum", 28),
        ("gre", 6, "csum", 48),
    ],
)
def test_each_encapsulation_costs_what_ipvs_puts_before_the_packet(kind, outer, checksum, overhead):
    assert model.encapsulation_overhead(kind, outer, checksum) == overhead


def test_a_vip_is_clamped_to_fit_its_largest_encapsulation_on_this_host():
    """The lab's tun services: one VIP over IP in IP, GUE with remote checksum offload and
    GRE with a checksum; GUE's 40 bytes decide: 1500 - 40 - 20 - 20."""
    services = [
        _service("192.0.2.10", 80),
        _service("192.0.2.10", 8081, tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum"),
        _service("192.0.2.10", 8082, tunnel_type="gre", tunnel_checksum="csum"),
        # another host's larger encapsulation does not lower this host's clamp
        _service("192.0.2.20", 80, host="web2", tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum"),
        _service("192.0.2.20", 80),
    ]
    assert topology.realserver_network(services, HOSTVARS, "web1", path_mtu=1500)["mss_clamps"] == [["192.0.2.10", 1420], ["192.0.2.20", 1440]]


def test_each_family_pays_its_own_headers():
    services = [
        # IPv6 in IPv4 (sit): 1500 - 20 - 40 - 20
        _service("2001:db8::10", 80),
        # IPv4 in IPv6 GRE: 1400 - (40 + 4) - 20 - 20
        _service("192.0.2.10", 80, host="web6", tunnel_type="gre"),
    ]
    assert topology.realserver_network(services, HOSTVARS, "web1", path_mtu=1500)["mss_clamps"] == [["2001:db8::10", 1420]]
    assert topology.realserver_network(services, HOSTVARS, "web6", path_mtu=1400)["mss_clamps"] == [["192.0.2.10", 1316]]


def test_direct_routing_and_masquerade_are_never_clamped():
    services = [_service("192.0.2.10", 80, "route"), _service("192.0.2.30", 80, "masquerade", host="web2")]
    hostvars = {**HOSTVARS, "web2": {**HOSTVARS["web2"], "realserver_nat_gateway": "192.0.2.1"}}
    for host in ("web1", "web2"):
        network = realservers.host_network(services, hostvars, host)
        assert (network["mss_clamps"], network["nftables"], network["nftables_content"]) == ([], [], "")


def test_the_clamp_goes_into_the_real_servers_own_table_loaded_by_host_network():
    services = [_service("192.0.2.10", 80), _service("2001:db8::10", 443, tunnel_type="gue", tunnel_port=6080)]
    network = realservers.host_network(services, HOSTVARS, "web1")
    assert network["mss_clamps"] == [["192.0.2.10", 1440], ["2001:db8::10", 1408]]
    assert network["nftables"] == [["lvs_ipvs_realserver", "/etc/lvs-ipvs/realserver.nft"]]
    rules = [line.strip() for line in network["nftables_content"].splitlines() if "saddr" in line]
    assert rules == [
        "ip saddr 192.0.2.10 tcp flags & (syn | ack) == syn | ack tcp option maxseg size > 1440 tcp option maxseg size set 1440",
        "ip6 saddr 2001:db8::10 tcp flags & (syn | ack) == syn | ack tcp option maxseg size > 1408 tcp option maxseg size set 1408",
    ]
    # a SYN-ACK leaves through the output hook; only the collection's table is replaced
    assert "type filter hook output priority mangle; policy accept;" in network["nftables_content"]
    assert "delete table inet lvs_ipvs_realserver" in network["nftables_content"]


def test_without_the_option_or_when_absent_nothing_is_clamped():
    services = [_service("192.0.2.10", 80)]
    off = {**HOSTVARS, "web1": {**HOSTVARS["web1"], "realserver_tunnel_mss_clamp": "no"}}
    absent = {**HOSTVARS, "web1": {**HOSTVARS["web1"], "realserver_state": "absent"}}
    assert realservers.host_network(services, off, "web1")["nftables"] == []
    assert realservers.host_network(services, absent, "web1")["nftables_content"] == ""


def test_a_path_mtu_given_as_digits_is_taken():
    """-e realserver_tunnel_path_mtu=1400 reaches the derivation as text."""
    hostvars = {**HOSTVARS, "web1": {**HOSTVARS["web1"], "realserver_tunnel_path_mtu": "1400"}}
    assert realservers.host_network([_service("192.0.2.10", 80)], hostvars, "web1")["mss_clamps"] == [["192.0.2.10", 1340]]


@pytest.mark.parametrize(
    ("own", "message"),
    [
        ({"realserver_tunnel_mss_clamp": "maybe"}, "host 'web1': realserver_tunnel_mss_clamp must be true or false, got 'maybe'"),
        ({"realserver_tunnel_path_mtu": True}, "host 'web1': realserver_tunnel_path_mtu must be a whole number of bytes 576..65535, got 'True'"),
        ({"realserver_tunnel_path_mtu": "1400\n"}, "host 'web1': realserver_tunnel_path_mtu must be a whole number of bytes 576..65535, got '1400\\n'"),
        ({"realserver_tunnel_path_mtu": 100}, "host 'web1': realserver_tunnel_path_mtu must be a whole number of bytes 576..65535, got '100'"),
        ({"realserver_tunnel_path_mtu": 1e3}, "host 'web1': realserver_tunnel_path_mtu must be a whole number of bytes 576..65535, got '1000.0'"),
        (
            {"realserver_tunnel_path_mtu": 600},
            "host 'web1': realserver_tunnel_path_mtu 600 leaves 520 bytes of TCP payload for 192.0.2.10 once the director's "
            "encapsulation (40 bytes) is added; IPv4 needs at least 536",
        ),
        (
            {"realserver_nftables_file": "/etc/x.nft\nflush ruleset"},
            "host 'web1': realserver_nftables_file",
        ),
        ({"realserver_nftables_file": "relative.nft"}, "host 'web1': realserver_nftables_file"),
    ],
)
def test_a_bad_clamp_setting_is_refused_naming_host_and_variable(own, message):
    services = [_service("192.0.2.10", 80, tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum")]
    hostvars = {**HOSTVARS, "web1": {**HOSTVARS["web1"], **own}}
    with pytest.raises(TopologyError) as error:
        realservers.host_network(services, hostvars, "web1")
    assert str(error.value).startswith(message)


def test_the_renderer_writes_nothing_for_no_clamp():
    assert nftables.realserver_ruleset([]) == ""
