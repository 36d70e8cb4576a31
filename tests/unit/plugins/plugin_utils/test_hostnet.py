# The config of lvs-ipvs-net: one item a line, so no value may carry a second line or
# lose a word; each hostile value is refused naming the host and the role variable.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _hostnet as hostnet
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

GOOD = {
    "name": "realserver",
    "state": "present",
    "modules": ["ipip"],
    "sysctls": [["net.ipv4.conf.all.arp_ignore", "1"], ["net.ipv4.conf.all.rp_filter", "loose"], ["net.ipv4.vs.sync_threshold", "3 50"]],
    "addresses": [["lo", "192.0.2.10/32"], ["ip6tnl0", "2001:db8::10/128"]],
    "gateways": ["192.0.2.1", "2001:db8::1"],
    "gue_ports": [[6080, 4], [6080, 6]],
    "gre_devices": [["lvs-gre", "gre", "192.0.2.11"], ["lvs-ip6gre", "ip6gre", "2001:db8::11"]],
    "nftables": [["lvs_ipvs", "/etc/lvs-ipvs/director.nft"]],
    "restore": "/etc/lvs-ipvs/director.rules",
    "boot": True,
}
HOSTILE = {
    "newline and a restore line": "x\nrestore /etc/other.rules",
    "a space": "x y",
    "a quote": 'x"',
    "command substitution": "$(id)",
    "a semicolon": "x;id",
    "NUL": "x\x00",
    "10k characters": "x" * 10000,
}


def config(**changes) -> str:
    settings = dict(GOOD, **changes)
    return hostnet.config(
        "web1",
        *(settings[key] for key in ("name", "state", "modules", "sysctls", "addresses", "gateways", "restore", "boot", "gue_ports", "gre_devices", "nftables")),
    )


def test_the_config_lines():
    assert config() == (
        "# lvs.ipvs.host_network: realserver\n"
        "module ipip\n"
        "sysctl net.ipv4.conf.all.arp_ignore 1\n"
        "sysctl net.ipv4.conf.all.rp_filter loose\n"
        "sysctl net.ipv4.vs.sync_threshold 3 50\n"
        "address lo 192.0.2.10/32\n"
        "address ip6tnl0 2001:db8::10/128\n"
        "gue 6080 4\n"
        "gue 6080 6\n"
        "gre lvs-gre gre 192.0.2.11\n"
        "gre lvs-ip6gre ip6gre 2001:db8::11\n"
        "gateway 192.0.2.1\n"
        "gateway 2001:db8::1\n"
        "nft lvs_ipvs /etc/lvs-ipvs/director.nft\n"
        "restore /etc/lvs-ipvs/director.rules\n"
        "boot\n"
    )
    assert config(state="absent") == "# lvs.ipvs.host_network: realserver\n"


FIELDS = {
    "host_network_name": lambda bad: {"name": bad},
    "host_network_modules[0]": lambda bad: {"modules": [bad]},
    "host_network_sysctls[0] name": lambda bad: {"sysctls": [[bad, "1"]]},
    "host_network_sysctls[0] value": lambda bad: {"sysctls": [["net.ipv4.ip_forward", bad]]},
    "host_network_addresses[0] device": lambda bad: {"addresses": [[bad, "192.0.2.10/32"]]},
    "host_network_addresses[0] address": lambda bad: {"addresses": [["lo", bad]]},
    "host_network_gateways[0]": lambda bad: {"gateways": [bad]},
    "host_network_gue_ports[0] port": lambda bad: {"gue_ports": [[bad, 4]]},
    "host_network_gue_ports[0] family": lambda bad: {"gue_ports": [[6080, bad]]},
    "host_network_gre_devices[0] name": lambda bad: {"gre_devices": [[bad, "gre", "192.0.2.11"]]},
    "host_network_gre_devices[0] kind": lambda bad: {"gre_devices": [["lvs-gre", bad, "192.0.2.11"]]},
    "host_network_gre_devices[0] local address": lambda bad: {"gre_devices": [["lvs-gre", "gre", bad]]},
    "host_network_nftables[0] table": lambda bad: {"nftables": [[bad, "/etc/lvs-ipvs/director.nft"]]},
    "host_network_nftables[0] file": lambda bad: {"nftables": [["lvs_ipvs", "/etc/" + bad]]},
    "host_network_restore": lambda bad: {"restore": "/etc/" + bad},
}


@pytest.mark.parametrize("hostile", list(HOSTILE.values()), ids=list(HOSTILE))
@pytest.mark.parametrize("variable", list(FIELDS))
def test_a_hostile_value_is_refused_naming_the_variable(variable, hostile):
    with pytest.raises(TopologyError, match=r"^host 'web1': %s" % variable.replace("[", r"\[").replace("]", r"\]")):
        config(**FIELDS[variable](hostile))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"sysctls": [["net.ipv4.ip_forward"]]}, r"host_network_sysctls\[0\] must be a pair"),
        ({"addresses": [["lo", "192.0.2.10"]]}, r"address must be an address with its prefix"),
        ({"gateways": ["192.0.2.1", "192.0.2.2"]}, r"the only IPv4 gateway"),
        ({"restore": "relative/path"}, r"host_network_restore must be an absolute path"),
        ({"restore": "/etc/../root/x"}, r"host_network_restore must be an absolute path"),
        ({"sysctls": [["net.ipv4.ip_forward", True]]}, r"up to 4 whole numbers, or loose"),
        ({"gue_ports": [[0, 4]]}, r"host_network_gue_ports\[0\] port must be a UDP port 1..65535"),
        ({"gue_ports": [["6080", 4]]}, r"host_network_gue_ports\[0\] port must be a UDP port"),
        ({"gue_ports": [[6080, 5]]}, r"host_network_gue_ports\[0\] family must be 4 or 6"),
        ({"gue_ports": [6080]}, r"host_network_gue_ports\[0\] must be a pair"),
        ({"gre_devices": [["lvs-gre", "gre", "2001:db8::11"]]}, r"host_network_gre_devices\[0\] local address must be an IPv4 address"),
        ({"gre_devices": [["lvs-gre", "gre"]]}, r"host_network_gre_devices\[0\] must be a triple"),
        ({"nftables": [["Lvs", "/etc/lvs-ipvs/director.nft"]]}, r"host_network_nftables\[0\] table must be an nftables table name"),
        ({"nftables": [["lvs_ipvs", "director.nft"]]}, r"host_network_nftables\[0\] file must be an absolute path"),
        ({"nftables": ["lvs_ipvs"]}, r"host_network_nftables\[0\] must be a pair"),
    ],
)
def test_values_the_script_cannot_use_are_refused(changes, message):
    with pytest.raises(TopologyError, match=message):
        config(**changes)
