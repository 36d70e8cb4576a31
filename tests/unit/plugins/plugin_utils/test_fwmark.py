# Firewall-mark services declared once: what their match groups is checked through the
# model, marked in the director's own nftables table (read back by nft -c, see
# conftest.py), carried as VIPs by the director and the DR/TUN real servers; and the
# conntrack bypass for every service that does not masquerade.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.filter.topology import director_topology
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

HOSTVARS = {"web1": {"lvs_address": "192.0.2.11"}, "web2": {"lvs_address": "192.0.2.12"}, "web6": {"lvs_address": "2001:db8::11"}}
WEB = {"address": "192.0.2.10", "port": 80, "servers": [{"host": "web1"}]}
HTTPS_PAIR = {
    "fwmark": 1,
    "persistence_timeout": 600,
    "match": [{"address": "192.0.2.10", "ports": [8443, "8444"]}, {"address": "192.0.2.20", "protocol": "udp", "ports": ["5000-5009", 5010]}],
    "servers": [{"host": "web1"}, {"host": "web2"}],
}
V6 = {"fwmark": 2, "family": "ipv6", "match": [{"address": "2001:DB8::10", "protocol": "sctp", "ports": [80]}], "servers": [{"host": "web6"}]}
NAT = {"address": "192.0.2.30", "port": 0, "persistent": True, "forwarding_method": "masquerade", "servers": [{"address": "198.51.100.1"}]}
TUN_ANY_PORT = {"address": "192.0.2.40", "port": 0, "persistent": True, "forwarding_method": "tunnel", "servers": [{"address": "203.0.113.1"}]}


def test_match_is_typed_by_the_model_ports_merged_and_addresses_canonical():
    key = model.service_key(fwmark=2, family="ipv6")
    (traffic,) = model.marked_traffic(key, [{"address": "2001:DB8:0::10", "ports": [90, "80-85", 86, "88-89"]}], "match")
    assert traffic == model.MarkedTraffic("ipv6", "tcp", "2001:db8::10", ((80, 86), (88, 90)))
    assert traffic.label() == "tcp [2001:db8::10]:80-86,88-90"


def test_the_director_marks_what_each_match_groups_and_carries_its_addresses():
    result = director_topology([WEB, HTTPS_PAIR, V6], HOSTVARS, "lb1", "eth1")
    assert result["network"]["addresses"] == [["eth1", "192.0.2.10/32"], ["eth1", "192.0.2.20/32"], ["eth1", "2001:db8::10/128"]]
    assert result["nftables"]["table"] == "lvs_ipvs"
    rules = [line.strip() for line in result["nftables"]["content"].splitlines()]
    assert rules[3:6] == ["table inet lvs_ipvs", "delete table inet lvs_ipvs", "table inet lvs_ipvs {"]
    assert [line for line in rules if "meta mark set" in line] == [
        "ip daddr 192.0.2.10 tcp dport 8443-8444 meta mark set 0x00000001",
        "ip daddr 192.0.2.20 udp dport 5000-5010 meta mark set 0x00000001",
        "ip6 daddr 2001:db8::10 sctp dport 80 meta mark set 0x00000002",
    ]
    assert "notrack" not in result["nftables"]["content"]
    # the table for ipvs_table has no match: the module's service is the mark alone
    assert [entry.get("match") for entry in result["table"]] == [None, None, None]


def test_no_match_and_no_bypass_is_no_table():
    assert director_topology([WEB, dict(HTTPS_PAIR, match=None)], HOSTVARS, "lb1")["nftables"]["content"] == ""


def test_the_bypass_leaves_masquerading_services_tracked():
    content = director_topology([WEB, HTTPS_PAIR, NAT, TUN_ANY_PORT], HOSTVARS, "lb1", conntrack_bypass=True)["nftables"]["content"]
    bypass = content[content.index("chain conntrack_bypass {") : content.index("chain fwmarks {")]
    assert [line.strip() for line in bypass.splitlines() if "notrack" in line] == [
        "ip daddr 192.0.2.10 tcp dport 80 notrack",
        "ip daddr 192.0.2.10 tcp dport 8443-8444 notrack",
        "ip daddr 192.0.2.20 udp dport 5000-5010 notrack",
        "ip daddr 192.0.2.40 meta l4proto tcp notrack",
    ]


def test_real_servers_by_route_carry_the_addresses_a_match_groups():
    network = topology.realserver_network([HTTPS_PAIR], HOSTVARS, "web2")
    assert network["addresses"] == [["lo", "192.0.2.10/32"], ["lo", "192.0.2.20/32"]]


def test_vrrp_moves_the_addresses_a_match_groups():
    groups = keepalived._address_groups([WEB, HTTPS_PAIR], "lb1", {}, "director_services")
    assert groups[0]["addresses"] == ["192.0.2.10/32", "192.0.2.20/32"]


def test_a_bad_match_met_by_vrrp_names_the_variable_the_services_came_from():
    with pytest.raises(TopologyError) as error:
        keepalived._address_groups([WEB, dict(HTTPS_PAIR, match=[{"address": "192.0.2.20", "ports": ["x"]}])], "lb1", {}, "lvs_services")
    assert str(error.value).startswith("host 'lb1': lvs_services[1]")


PREFIX = "host 'lb1': director_services"
WEB_8443 = dict(WEB, port=8443)
UDP_5005 = dict(V6, family="ipv4", match=[{"address": "192.0.2.20", "protocol": "udp", "ports": [5005]}])


def bad_match(*items) -> list:
    return [dict(HTTPS_PAIR, match=list(items))]


@pytest.mark.parametrize(
    ("services", "message"),
    [
        (
            [dict(WEB, port=8443), HTTPS_PAIR],
            PREFIX + r"\[1\] \(fwmark 1\).match takes tcp 192.0.2.10:8443-8444, and so does " + PREFIX + r"\[0\] \(tcp 192.0.2.10:8443\)",
        ),
        (
            [HTTPS_PAIR, dict(V6, family="ipv4", match=[{"address": "192.0.2.20", "protocol": "udp", "ports": [5005]}])],
            r"\[0\] \(fwmark 1\).match takes udp 192.0.2.20:5000-5010, and so does .*\[1\] \(fwmark 2\)",
        ),
        ([dict(TUN_ANY_PORT, address="192.0.2.10"), HTTPS_PAIR], r"takes tcp 192.0.2.10:8443-8444, and so does .*\[0\] \(tcp 192.0.2.10:0\)"),
        (
            [dict(WEB, match=HTTPS_PAIR["match"])],
            r"\(tcp 192.0.2.10:80\).match groups packets for a firewall-mark service; TCP 192.0.2.10:80 has no fwmark",
        ),
        ([dict(V6, family="ipv4")], r"\.match\[0\]\.address 2001:db8::10 is ipv6, but FWM 2 is ipv4"),
        (bad_match({"address": "192.0.2.10", "ports": ["80\n}"]}), r"\.match\[0\]\.ports\[0\] '80\\n}' is not a port 1..65535 or a range"),
        (
            [dict(HTTPS_PAIR, match=[{"address": "192.0.2.10 } flush ruleset", "ports": [80]}])],
            r"\.match\[0\]\.address '192.0.2.10 } flush ruleset' is not a valid",
        ),
        (
            [dict(HTTPS_PAIR, match=[{"address": "192.0.2.10", "protocol": "icmp", "ports": [80]}])],
            r"\.match\[0\]\.protocol 'icmp' is not one of tcp, udp, sctp",
        ),
        (bad_match({"address": "192.0.2.10", "port": 80}), r"\.match\[0\]: unknown key 'port' \(known: address, protocol, ports\)"),
        (bad_match({"address": "192.0.2.10", "ports": []}), r"\.match\[0\]\.ports must be a non-empty list"),
        (bad_match({"address": "192.0.2.10", "ports": ["90-80"]}), r"\.ports\[0\] '90-80' is not a port"),
        (bad_match({"address": "192.0.2.10", "ports": [True]}), r"\.ports\[0\] True is not a port"),
        ([dict(HTTPS_PAIR, match={"address": "192.0.2.10"})], r"\(fwmark 1\).match must be a non-empty list"),
    ],
)
def test_bad_match_is_refused_naming_host_service_and_field(services, message):
    with pytest.raises(TopologyError, match=message):
        topology.director_traffic(services, "lb1")


def test_an_absent_service_marks_nothing():
    assert topology.director_traffic([dict(HTTPS_PAIR, state="absent")], "lb1", True) == {"marks": [], "untracked": []}


def test_the_rendering_is_checked_by_nft_even_with_every_kind_of_rule():
    traffic = topology.director_traffic(
        [WEB, HTTPS_PAIR, V6, TUN_ANY_PORT, dict(V6, fwmark=3, match=[{"address": "2001:db8::20", "ports": [1, 65535]}])], "lb1", True
    )
    assert nftables.ruleset(traffic).count("meta mark set") == 4
