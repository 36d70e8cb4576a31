# Reading the table with the real servers a run expects must give exactly what decoding
# every entry gives: an entry is only taken as an expected Dest when its configuration
# bytes are that Dest's encoding. A kernel stand-in answers the dumps with entries laid
# out as the kernel lays them out (counters and statistics between and after the
# configuration), in any attribute order.
from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lvs.ipvs.plugins.module_utils import _codec as codec
from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire
from ansible_collections.lvs.ipvs.tests.unit.plugins.module_utils.ipvs_strategies import dests, tables

SCHEMA = codec.Schema(nl.ipvs_msg)
STATS = [["IPVS_STATS_ATTR_" + name, 7] for name in nl._STATS_NAMES]
# net/netfilter/ipvs/ip_vs_ctl.c, ip_vs_genl_fill_dest
KERNEL_ORDER = (
    "ADDR",
    "PORT",
    "FWD_METHOD",
    "WEIGHT",
    "TUN_TYPE",
    "TUN_PORT",
    "TUN_FLAGS",
    "U_THRESH",
    "L_THRESH",
    "ACTIVE_CONNS",
    "INACT_CONNS",
    "PERSIST_CONNS",
    "ADDR_FAMILY",
    "STATS",
    "STATS64",
)


def dest_entry(dest: model.Dest, order=KERNEL_ORDER, connections: int = 3) -> list:
    values = {name.removeprefix("IPVS_DEST_ATTR_"): value for name, value in wire.dest_dump_values(dest).items()}
    values.update(ACTIVE_CONNS=connections, INACT_CONNS=connections * 2, PERSIST_CONNS=0, STATS={"attrs": STATS}, STATS64={"attrs": STATS})
    return [["IPVS_DEST_ATTR_" + name, values[name]] for name in order]


def dump(cmd: int, name: str, entries: list, seq: int) -> bytes:
    replies = [codec.message(0x1D, codec.NLM_F_MULTI, seq, cmd, nl.GENL_VERSION, SCHEMA.encode([[name, {"attrs": entry}]])) for entry in entries]
    return b"".join(replies) + struct.pack("=IHHIIi", 20, codec.NLMSG_DONE, codec.NLM_F_MULTI, seq, 0, 0)


class DumpingKernel(kernel.IpvsClient):
    """Answers the two dumps ``table`` sends from a held table, each entry in ``order``."""

    def __init__(self, held: plan.Table, orders):
        self._sequence = itertools.count(1)
        self._answers: list = []
        self._held = held
        self._orders = orders

    def _send(self, messages):
        ((cmd, payload, _flags),) = messages
        seq = next(self._sequence)
        if cmd == nl.CMD_GET_SERVICE:
            entries = [wire.service_attrs(service) for service in self._held.services.values()]
            self._answers.append(dump(nl.CMD_NEW_SERVICE, "IPVS_CMD_ATTR_SERVICE", entries, seq))
        else:
            selector = SCHEMA.decode(payload).get_attr("IPVS_CMD_ATTR_SERVICE")
            servers = self._held.servers_of(wire.decode_service_key(selector.get_attr)).values()
            entries = [dest_entry(dest, next(self._orders), index) for index, dest in enumerate(servers)]
            self._answers.append(dump(nl.CMD_NEW_DEST, "IPVS_CMD_ATTR_DEST", entries, seq))
        return [seq]

    def _receive(self) -> bytes:
        return self._answers.pop(0)


def read(held: plan.Table, expected=None, orders=None) -> plan.Table:
    return DumpingKernel(held, orders or itertools.repeat(KERNEL_ORDER)).table(expected)


def expected_of(table: plan.Table) -> dict:
    return {key: list(servers.values()) for key, servers in table.servers.items()}


def with_address(template: model.Dest, address: str) -> model.Dest:
    return model.Dest(model.DestKey(template.key.family, address, template.key.port), *template.setting())


@st.composite
def held_and_expected(draw):
    """A kernel's table and what a run expects. As in real tables, a service's servers
    share a few settings; a run expects some servers as the kernel holds them, some with
    another of those settings or another weight, and some the kernel does not hold."""
    held = draw(tables(max_services=3, max_servers=0))
    expected = {}
    for key in held.services:
        settings_pool = draw(st.lists(dests(key), min_size=1, max_size=3))
        servers = []
        for number in range(draw(st.integers(0, 6))):
            template = draw(st.sampled_from(settings_pool))
            host = "10.0.0.%d" % (number + 1) if template.key.family == "ipv4" else "2001:db8::%x" % (number + 1)
            servers.append(with_address(template, host))
        held.servers[key] = {dest.key: dest for dest in servers}
        wanted = []
        for dest in servers:
            choice = draw(st.sampled_from(["same", "other setting", "other weight", "absent"]))
            if choice == "same":
                wanted.append(dest)
            elif choice == "other setting":
                template = draw(st.sampled_from(settings_pool).filter(lambda other, dest=dest: other.key.family == dest.key.family))
                wanted.append(with_address(template, dest.key.address))
            elif choice == "other weight":
                wanted.append(dest._replace(weight=(dest.weight + 1) % model.MAX_WEIGHT))
        wanted += draw(st.lists(dests(key), max_size=2))
        expected[key] = wanted
    return held, expected


@settings(max_examples=200, deadline=None)
@given(held_and_expected(), st.randoms(use_true_random=False))
def test_a_read_with_expectations_equals_a_read_without(pair, rng):
    held, expected = pair
    names = list(KERNEL_ORDER)

    def orders():
        while True:
            rng.shuffle(names)
            yield tuple(names)

    assert read(held, expected, orders()) == read(held) == held


def test_a_table_that_holds_what_is_expected_is_read_without_decoding(monkeypatch):
    key = model.service_key("tcp", "192.0.2.1", 80)
    held = plan.Table({key: model.build_service(key)}, {})
    servers = [model.build_dest(key, "10.0.0.%d" % number, weight=number % 3) for number in range(1, 40)]
    servers.append(model.build_dest(key, "2001:db8::7", forwarding_method="tunnel", tunnel_type="gue", tunnel_port=6080))
    held.servers[key] = {dest.key: dest for dest in servers}
    monkeypatch.setattr(wire, "decode_dest", lambda *args: pytest.fail("an expected server was decoded"))
    found = read(held, expected_of(held))
    assert all(found.servers[key][dest.key] is dest for dest in servers)


def test_only_the_servers_that_differ_are_decoded(monkeypatch):
    key = model.service_key("udp", "2001:db8::1", 53)
    kept = [model.build_dest(key, "2001:db8::%x" % number, forwarding_method="masquerade") for number in range(10, 20)]
    moved = model.build_dest(key, "2001:db8::99", forwarding_method="masquerade", weight=5)
    held = plan.Table({key: model.build_service(key)}, {key: {dest.key: dest for dest in [*kept, moved]}})
    decoded = []
    original = wire.decode_dest
    monkeypatch.setattr(wire, "decode_dest", lambda *args: decoded.append(original(*args)) or decoded[-1])
    expected = {key: [*kept, model.build_dest(key, "2001:db8::99", forwarding_method="masquerade", weight=1)]}
    found = read(held, expected)
    assert decoded == [moved]
    assert found.servers[key][moved.key].weight == 5


@pytest.mark.parametrize(
    "entry,why",
    [
        (dest_entry(model.build_dest(model.service_key("tcp", "192.0.2.1", 80), "10.0.0.1"))[:-3], "lacks ADDR_FAMILY"),
        (
            [*dest_entry(model.build_dest(model.service_key("tcp", "192.0.2.1", 80), "10.0.0.1")), ["IPVS_DEST_ATTR_WEIGHT", 9]],
            "holds WEIGHT twice (a decoder keeps the last)",
        ),
    ],
)
def test_an_entry_without_one_layout_of_every_configuration_attribute_is_not_cut(entry, why):
    nest = codec.Schema(nl.ipvs_msg.dest)
    data = nest.encode(entry)
    assert codec.Selected(nest, wire.DEST_CONFIG_ATTRS).chunks(data, 0, len(data)) is None, why


def test_a_new_layout_of_a_known_length_is_walked_again():
    nest = codec.Schema(nl.ipvs_msg.dest)
    selected = codec.Selected(nest, wire.DEST_CONFIG_ATTRS)
    dest = model.build_dest(model.service_key("tcp", "192.0.2.1", 80), "10.0.0.1", weight=4)
    first = nest.encode(dest_entry(dest))
    swapped = list(KERNEL_ORDER)
    swapped[3], swapped[9] = swapped[9], swapped[3]  # WEIGHT and ACTIVE_CONNS, both u32
    second = nest.encode(dest_entry(dest, swapped))
    assert len(first) == len(second)
    order_first, chunks_first = selected.chunks(first, 0, len(first))
    order_second, chunks_second = selected.chunks(second, 0, len(second))
    assert order_first != order_second
    # the same attributes, cut in other runs
    assert nest.decode(b"".join(chunks_first)) == nest.decode(b"".join(chunks_second)) == nest.decode(first, names=wire.DEST_CONFIG_ATTRS)


def built_one_by_one(key: model.ServiceKey, servers: list):
    try:
        return tuple(model.build_dest(key, **server) for server in servers)
    except model.IpvsError as exc:
        return exc.message


def built_together(key: model.ServiceKey, servers: list, checked: dict):
    try:
        return model.build_dests(key, servers, checked)
    except model.IpvsError as exc:
        return exc.message


server_dicts = st.fixed_dictionaries(
    {"address": st.sampled_from(["10.0.0.1", "10.0.0.2", "2001:db8::2", "fe80::1", "10.0.0.300", " 10.0.0.3 ", "[2001:db8::3]"])},
    optional={
        "port": st.sampled_from([None, 0, 8080, 70000]),
        "forwarding_method": st.sampled_from([None, "route", "masquerade", "tunnel", "bogus"]),
        "weight": st.sampled_from([None, 0, 5, -1]),
        "upper_threshold": st.sampled_from([None, 0, 10]),
        "lower_threshold": st.sampled_from([None, 0, 20]),
        "tunnel_type": st.sampled_from([None, "gue", "gre"]),
        "tunnel_port": st.sampled_from([None, 6080]),
        "tunnel_checksum": st.sampled_from([None, "csum", "remcsum"]),
    },
)


# as AnsibleModule hands them over: every option, None when not given
filled_server_dicts = server_dicts.map(lambda server: {**dict.fromkeys(model.SERVER_OPTIONS), **server})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(st.one_of(server_dicts, filled_server_dicts), max_size=5), min_size=1, max_size=5))
def test_servers_built_together_are_what_each_builds_alone(services):
    # build_dests checks each setting once per table; what it builds and what it refuses
    # (first refusal first, same words) must be build_dest's, server by server; services
    # of one identity (family, port) share what was checked
    keys = [
        model.service_key("tcp", "192.0.2.1", 80),
        model.service_key("tcp", "192.0.2.2", 80),
        model.service_key(fwmark=3),
        model.service_key("udp", "2001:db8::1", 53),
        model.service_key("tcp", "192.0.2.3", 80),
    ]
    checked: dict = {}
    for key, servers in zip(keys, services):
        assert built_together(key, servers, checked) == built_one_by_one(key, servers)


def test_a_service_of_servers_with_settings_checked_before_is_built_in_one_pass(monkeypatch):
    first, second = model.service_key("tcp", "192.0.2.1", 80), model.service_key("tcp", "192.0.2.2", 80)
    servers = [{**dict.fromkeys(model.SERVER_OPTIONS), "address": "10.0.0.%d" % number, "weight": number % 2} for number in range(1, 5)]
    checked: dict = {}
    built = model.build_dests(first, servers, checked)
    assert built == tuple(model.build_dest(first, **server) for server in servers)

    def refused(*_args, **_kwargs):
        raise AssertionError("built server by server")

    # the loop parses each address on its own, and checks a new setting with build_dest
    monkeypatch.setattr(model, "build_dest", refused)
    monkeypatch.setattr(model, "_parse_host", refused)
    again = model.build_dests(second, servers, checked)
    assert again == built
    assert [(type(dest), type(dest.key)) for dest in again] == [(model.Dest, model.DestKey)] * 4


def replies(dests_and_orders: list, seq: int = 9) -> bytes:
    """A datagram of DEST dump replies, each of ``(dest, attribute order)``, and the dump's end."""
    return dump(nl.CMD_NEW_DEST, "IPVS_CMD_ATTR_DEST", [dest_entry(dest, order) for dest, order in dests_and_orders], seq)


KEY = model.service_key("tcp", "192.0.2.1", 80)
ONE, TWO, THREE = (model.build_dest(KEY, "10.0.0.%d" % number, weight=number) for number in (1, 2, 3))
WITHOUT_STATS = KERNEL_ORDER[:-2]


def cut_of(data: bytes, seq: int = 9):
    return codec.SelectedReplies(SCHEMA, "IPVS_CMD_ATTR_DEST", wire.DEST_CONFIG_ATTRS).cut(data, seq)


def test_a_datagram_is_cut_up_to_the_first_reply_of_another_layout():
    data = replies([(ONE, KERNEL_ORDER), (TWO, KERNEL_ORDER), (THREE, WITHOUT_STATS), (ONE, KERNEL_ORDER)])
    _order, chunks, end = cut_of(data)
    size = len(replies([(ONE, KERNEL_ORDER)])) - 20
    assert (len(chunks), end) == (2, 2 * size)
    nest = SCHEMA.by_name["IPVS_CMD_ATTR_DEST"][2]
    assert [wire.decode_dest(nest.decode(b"".join(run)).get, "ipv4") for run in chunks] == [ONE, TWO]
    # the rest is walked: the reply of the other layout, the last one, then the end
    assert [kind for kind, _flags, _seq, _start, _end in codec.split(data, end)] == [0x1D, 0x1D, codec.NLMSG_DONE]
    assert not codec.ends(data, end, 9)


def test_a_datagram_of_one_layout_is_cut_whole_and_its_end_needs_no_walk():
    data = replies([(ONE, KERNEL_ORDER), (TWO, KERNEL_ORDER), (THREE, KERNEL_ORDER)])
    _order, chunks, end = cut_of(data)
    assert len(chunks) == 3
    assert codec.ends(data, end, 9)
    assert not codec.ends(data, end, 10), "another dump's end"


@pytest.mark.parametrize(
    "data,why",
    [
        (replies([]), "only the end of the dump"),
        (replies([(ONE, KERNEL_ORDER)], seq=8), "a reply to another dump"),
        (replies([(ONE, KERNEL_ORDER[:-5])]), "a reply without ADDR_FAMILY"),
    ],
)
def test_nothing_is_cut_from_a_datagram_without_replies_of_this_dump(data, why):
    assert cut_of(data)[1:] == ([], 0), why
