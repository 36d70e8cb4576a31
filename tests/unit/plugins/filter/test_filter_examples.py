# Every EXAMPLES expression of the filters' documentation, evaluated as written against the
# HA lab's inventory (playbooks/inventories/ha), so a documented call that no longer fits
# the filter's signature or the inventory vocabulary fails here.
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from ansible.inventory.manager import InventoryManager
from ansible.parsing.dataloader import DataLoader
from ansible.vars.manager import VariableManager
from jinja2.nativetypes import NativeEnvironment

from ansible_collections.lvs.ipvs.plugins.filter import hostnet, keepalived, topology

COLLECTION = Path(__file__).resolve().parents[4]
INVENTORY = COLLECTION / "playbooks" / "inventories" / "ha" / "hosts.yml"
FILTER_DOCS = sorted((COLLECTION / "plugins" / "filter").glob("*.yml"))
# gathered network facts of lb1 (the subset interface_networks reads)
LB1_FACTS = {
    "interfaces": ["lo", "eth1"],
    "eth1": {"ipv4": {"address": "192.0.2.2", "netmask": "255.255.255.0"}, "ipv6": [{"address": "2001:db8::2", "prefix": "64"}]},
    "lo": {"ipv4": {"address": "127.0.0.1", "netmask": "255.0.0.0"}},
}


def lab_hostvars() -> tuple[dict, dict]:
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=[str(INVENTORY)])
    variables = VariableManager(loader=loader, inventory=inventory)
    hostvars = {host.name: variables.get_vars(host=host) for host in inventory.get_hosts()}
    groups = {name: [host.name for host in group.get_hosts()] for name, group in inventory.groups.items()}
    return hostvars, groups


def environment() -> NativeEnvironment:
    env = NativeEnvironment()
    for plugin in (topology, keepalived, hostnet):
        for name, function in plugin.FilterModule().filters().items():
            env.filters["lvs.ipvs." + name] = function
    return env


def documented_examples() -> list[tuple[str, str, str]]:
    return [
        (doc.stem, variable, expression) for doc in FILTER_DOCS for variable, expression in yaml.safe_load(yaml.safe_load(doc.read_text())["EXAMPLES"]).items()
    ]


ENV = environment()
EXAMPLES = documented_examples()


@pytest.fixture(scope="module")
def lab() -> tuple[dict, dict]:
    return lab_hostvars()


def context(lab: tuple[dict, dict], host: str) -> dict:
    hostvars, groups = lab
    variables = {
        **hostvars[host],
        "hostvars": hostvars,
        "groups": groups,
        "inventory_hostname": host,
        "ansible_facts": LB1_FACTS,
        "keepalived_auth_pass": "lab-secret",
    }
    # keepalived_config's example renders what director_keepalived's example returns
    variables["_keepalived"] = evaluated("director_keepalived", variables)
    # realserver_topology's and realserver_entries' fleet examples pick from realserver_fleet's
    variables["_fleet"] = evaluated("realserver_fleet", variables)
    return variables


def evaluated(filter_name: str, variables: dict):
    (expression,) = [example[2] for example in EXAMPLES if example[0] == filter_name]
    return ENV.from_string(expression).render(**variables)


def test_every_filter_documents_an_example():
    assert {example[0] for example in EXAMPLES} == {doc.stem for doc in FILTER_DOCS}


@pytest.mark.parametrize(("filter_name", "variable", "expression"), EXAMPLES)
def test_documented_example_runs_on_the_lab_inventory(lab, filter_name, variable, expression):
    host = "web1" if filter_name.startswith("realserver") else "lb1"
    result = ENV.from_string(expression).render(**context(lab, host))
    expected_shape = {
        "director_topology": lambda r: r["table"] and r["network"]["addresses"] == [["eth0", "192.0.2.10/32"], ["eth0", "2001:db8::10/128"]],
        # the ha inventory is dual-stack: the IPv6 VIP runs in a VRRPv3 instance between the IPv6 addresses
        "director_keepalived": lambda r: (
            [i["unicast_peers"] for i in r["vrrp_instances"]] == [["192.0.2.3"], ["2001:db8::3"]]
            and (r["vrrp_instances"][1]["version"], r["vrrp_instances"][1]["authenticate"]) == (3, False)
            and r["exclude"] == [{"address": "192.0.2.10", "port": 80}, {"address": "2001:db8::10", "port": 80}]
        ),
        "keepalived_config": lambda r: "vrrp_instance lvs_v4" in r and 'auth_pass "lab-secr"' in r and "HTTP_GET" in r,
        "realserver_entries": lambda r: r,
        "realserver_fleet": lambda r: r["variable"] == "lvs_services" and any("web1" in bucket for bucket in r["hosts"].values()),
        "realserver_topology": lambda r: r["addresses"],
        "interface_networks": lambda r: r == ["127.0.0.0/8", "192.0.2.0/24", "2001:db8::/64"],
        "host_network_config": lambda r: "module ipip\n" in r and "address lo 192.0.2.10/32\n" in r and r.endswith("boot\n"),
        "held_out": lambda r: [server.get("maintenance") for server in r[0]["servers"]] == [None, True],
    }[filter_name]
    assert expected_shape(result), (variable, result)
