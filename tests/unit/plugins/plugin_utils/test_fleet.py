# The fleet index gives every real server exactly what the per-host scan gave it before:
# the same network, the same drain entries, the same error. The expected values in
# data/realserver_before.json were recorded from commit ad88c12, whose filters scanned
# every service for each host, over the seeded inventories below.
from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _realservers as realservers
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology

RECORDED = Path(__file__).with_name("data") / "realserver_before.json"
HOSTS = ["lb1", "web1", "web2", "web3", "web4", "web5", "nohost"]
ADDRESSES = ["192.0.2.10", "192.0.2.11", "192.0.2.12", "192.0.2.13", "2001:db8::10", "2001:db8::11", "192.0.2.300", "[2001:db8::12]"]
METHODS = ["route", "tunnel", "masquerade"]


def _maybe(rng: random.Random, value, garbage=("x", None, 3, [], {})):
    """Almost always the plausible value, now and then garbage of another type."""
    return value if rng.random() < 0.99 else rng.choice(garbage)


def _server(rng: random.Random) -> dict:
    server = {"host": rng.choice(HOSTS[1:6] * 20 + HOSTS[6:])} if rng.random() < 0.7 else {"address": rng.choice(ADDRESSES[:6])}
    if rng.random() < 0.3:
        server["forwarding_method"] = _maybe(rng, rng.choice(METHODS))
    for key, values in (("port", [80, 8080]), ("weight", [0, 1, 5]), ("upper_threshold", [10]), ("tunnel_type", ["ipip", "gue"])):
        if rng.random() < 0.2:
            server[key] = _maybe(rng, rng.choice(values))
    return _maybe(rng, server, garbage=("web1", None, 7))


def _service(rng: random.Random) -> dict:
    service = {"port": rng.choice([80, 443, 8080])}
    if rng.random() < 0.85:
        service["address"] = _maybe(rng, rng.choice(ADDRESSES[:6] * 9 + ADDRESSES[6:]))
    else:
        service["fwmark"] = rng.randint(1, 9)
    if rng.random() < 0.5:
        service["forwarding_method"] = _maybe(rng, rng.choice(METHODS))
    if rng.random() < 0.2:
        service["protocol"] = rng.choice(["tcp", "udp"])
    if rng.random() < 0.1:
        service["state"] = "absent"
    service["servers"] = _maybe(rng, [_server(rng) for _number in range(rng.randint(0, 4))], garbage=("web1", None))
    return service


def _hostvars(rng: random.Random) -> dict:
    hostvars = {}
    for index, name in enumerate(HOSTS[:-1]):
        variables = {}
        if rng.random() < 0.97:
            variables["lvs_address" if rng.random() < 0.7 else "ansible_host"] = _maybe(rng, ADDRESSES[index % 6], garbage=("x",))
        if rng.random() < 0.1:
            variables["realserver_method"] = rng.choice(METHODS)
        hostvars[name] = variables
    return hostvars


def inventories(count: int = 200):
    """(services, hostvars, dr_interface, nat gateways) for each seed, the same on every run."""
    for seed in range(count):
        rng = random.Random(seed)
        services = [_service(rng) for _number in range(rng.randint(1, 6))]
        both = ["192.0.2.1", "2001:db8::1"]
        yield seed, services, _hostvars(rng), rng.choice(["lo"] * 9 + ["eth 0"]), rng.choice([None, "192.0.2.1", both, both])


def _outcome(function, *args):
    try:
        return {"value": function(*args)}
    except topology.TopologyError as error:
        return {"error": str(error)}


def derive(services, hostvars, host, dr_interface, gateways) -> dict:
    return {
        "network": _outcome(topology.realserver_network, services, hostvars, host, dr_interface, gateways),
        "entries": _outcome(topology.realserver_entries, services, hostvars, host),
    }


EXPECTED = json.loads(RECORDED.read_text())
CASES = list(inventories())
# Since the recording, a real server reached through a tunnel is prepared for the
# tunnel's type and families (ad88c12 put every tunnelled VIP on the device of the VIP's
# family, tunl0 or ip6tnl0, where GUE, GRE and a tunnel whose outer family differs never
# arrive): its network, pinned by test_topology.py's tunnel cases, is not compared with
# the recording. Every other network is the recorded one, with no GUE port.


def _reached_otherwise_since(seed: int, host: str) -> bool:
    entries = EXPECTED[str(seed)][host]["entries"].get("value", [])
    return any(
        entry["server"]["forwarding_method"] == "tunnel"
        and "address" in entry["service"]
        and ((entry["server"].get("tunnel_type") or "ipip") != "ipip" or (":" in entry["service"]["address"]) != (":" in entry["server"]["address"]))
        for entry in entries
    )


def _network_fails(seed: int, host: str) -> bool:
    return "error" in EXPECTED[str(seed)][host]["network"] or _reached_otherwise_since(seed, host)


def _now(network: dict) -> dict:
    """A recorded network as the derivation gives it now: with the fields added since,
    empty without GUE, GRE or an MSS clamp."""
    return {"value": {**network["value"], "gue_ports": [], "gre_devices": [], "mss_clamps": []}} if "value" in network else network


def _assert_network_as_recorded(network: dict, seed: int, host: str) -> None:
    """The network outcome as recorded, unless the host is reached through a tunnel that is
    prepared otherwise since."""
    if not _reached_otherwise_since(seed, host):
        assert network == _now(EXPECTED[str(seed)][host]["network"]), host


def _plain(value):
    """As JSON holds it (tuples become lists), to compare with the recording."""
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", CASES, ids=lambda case: "seed%d" % case[0])
def test_each_host_gets_what_the_per_host_scan_gave(case):
    seed, services, hostvars, dr_interface, gateways = case
    for host in HOSTS:
        outcome = _plain(derive(services, hostvars, host, dr_interface, gateways))
        assert outcome["entries"] == EXPECTED[str(seed)][host]["entries"], host
        _assert_network_as_recorded(outcome["network"], seed, host)


@pytest.mark.parametrize("case", CASES, ids=lambda case: "seed%d" % case[0])
def test_picking_from_one_fleet_index_gives_each_host_the_same(case):
    """Derived once for the play (by the first host), then picked by every host: the same
    value wherever the scan succeeded, an error wherever it failed."""
    seed, services, hostvars, dr_interface, gateways = case
    try:
        fleet = topology.realserver_fleet(services, hostvars, HOSTS[0])
    except topology.TopologyError as error:
        # what stops the fleet stopped every host's scan (which may have named a host's own
        # variable first); the fleet's message names the host whose list was read
        assert all(_network_fails(seed, host) for host in HOSTS)
        assert str(error).startswith("host '%s': realserver_services" % HOSTS[0]), str(error)
        return
    for host in HOSTS:
        picked = _plain(derive(fleet, hostvars, host, dr_interface, gateways))
        expected = EXPECTED[str(seed)][host]
        assert ("value" in picked["entries"]) == ("value" in expected["entries"]), (host, picked["entries"], expected["entries"])
        assert picked["entries"].get("value") == expected["entries"].get("value"), host
        if _network_fails(seed, host):
            assert "error" in picked["network"] or _reached_otherwise_since(seed, host), host
        else:
            assert picked["network"] == _now(expected["network"]), host


def test_the_recording_covers_successes_failures_and_every_method():
    outcomes = [host for hosts in EXPECTED.values() for host in hosts.values()]
    assert sum("value" in outcome["network"] for outcome in outcomes) > 500
    assert sum("error" in outcome["network"] for outcome in outcomes) > 500
    methods = {entry["server"]["forwarding_method"] for outcome in outcomes for entry in outcome["entries"].get("value", [])}
    assert methods == {"route", "tunnel", "masquerade"}


def _with_own_variables(hostvars: dict, dr_interface, gateways) -> dict:
    own = {
        "realserver_state": "present",
        "realserver_dr_interface": dr_interface,
        "realserver_nat_gateway": gateways,
        "realserver_vips": [],
        "realserver_boot": True,
        "realserver_tunnel_mss_clamp": False,
        "realserver_tunnel_path_mtu": 1500,
        "realserver_nftables_file": "/etc/lvs-ipvs/realserver.nft",
    }
    return {host: {**variables, **own} for host, variables in hostvars.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda case: "seed%d" % case[0])
def test_the_play_wide_derivation_gives_each_host_its_network_or_stops_on_an_error(case):
    """realserver_networks (the realserver_networks action's work) gives every host of the
    play what the per-host scan gave it, in its bucket; where the scan failed for any
    host, it fails."""
    seed, services, hostvars, dr_interface, gateways = case
    play = HOSTS[:-1]
    try:
        networks = realservers.realserver_networks(services, _with_own_variables(hostvars, dr_interface, gateways), play, play[0])
    except topology.TopologyError:
        assert any(_network_fails(seed, host) for host in play)
        return
    assert sum(len(bucket) for bucket in networks.values()) == len(play)
    for host in play:
        if _reached_otherwise_since(seed, host):
            continue
        network = networks[realservers.bucket(host)][host]
        expected = _now(EXPECTED[str(seed)][host]["network"])["value"]
        unchanged = {"name": "realserver", "state": "present", "restore": "", "boot": True, "nftables": [], "nftables_content": ""}
        assert _plain(network) == {**expected, **unchanged}, host


@pytest.mark.parametrize(
    ("own", "message"),
    [
        ({"realserver_state": "gone"}, "host 'web1': realserver_state must be present or absent, got 'gone'"),
        ({"realserver_boot": "maybe"}, "host 'web1': realserver_boot must be true or false, got 'maybe'"),
        ({"realserver_dr_interface": "lo\nrestore /etc/shadow"}, "host 'web1': realserver_dr_interface"),
        ({"realserver_vips": ["192.0.2.50\n"]}, "host 'web1': realserver_vips[0]"),
        ({"realserver_nat_gateway": "192.0.2.1; reboot"}, "host 'web1': realserver_nat_gateway[0]"),
    ],
)
def test_a_hosts_own_variable_is_refused_naming_host_and_variable(own, message):
    hostvars = _with_own_variables({"web1": {"lvs_address": "192.0.2.11"}}, "lo", None)
    hostvars["web1"].update(own)
    services = [{"address": "198.51.100.1", "port": 80, "servers": [{"host": "web1"}]}]
    with pytest.raises(topology.TopologyError, match="^" + re.escape(message)):
        realservers.realserver_networks(services, hostvars, ["web1"], "web1")


def test_an_undefined_own_variable_names_the_role_that_defines_it():
    with pytest.raises(topology.TopologyError, match="host 'web1': realserver_state is not defined"):
        realservers.realserver_networks([], {"web1": {}}, ["web1"], "web1")


def test_the_bucket_is_what_a_template_computes():
    from ansible.plugins.filter.core import get_hash

    for host in ["web1", "rs00042", "db-ünïcode", ""]:
        assert realservers.bucket(host) == get_hash(host, "sha1")[:2]
