# Properties over open-ended input (hypothesis): the save file reads back what it
# wrote, the lean codec agrees with pyroute2 byte for byte and reads its own bytes
# back, and the planner's edits turn any current table into the desired one.
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.lvs.ipvs.plugins.module_utils import _codec as codec
from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _savefile as savefile
from ansible_collections.lvs.ipvs.plugins.module_utils import _table as table_utils
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire
from ansible_collections.lvs.ipvs.plugins.module_utils._rules import render_table
from ansible_collections.lvs.ipvs.tests.unit.plugins.module_utils.ipvs_strategies import dests, service_keys, services, tables

FAMILY_ID, SEQ = 0x1D, 4711


def built(desired) -> plan.Table:
    return plan.simulate(plan.Table(), plan.plan_table(plan.Table(), desired))


@settings(max_examples=150, deadline=None)
@given(tables())
def test_a_saved_table_reads_back_to_itself(table):
    text = render_table(table)
    assert built(savefile.parse(text, "saved.rules")) == table
    # and what the second reading writes is the same text
    assert render_table(built(savefile.parse(text, "saved.rules"))) == text


def _pyroute2_bytes(cmd: int, attrs) -> bytes:
    msg = nl.ipvs_msg()
    msg["cmd"], msg["version"], msg["attrs"] = cmd, nl.GENL_VERSION, attrs
    msg["header"].update(type=FAMILY_ID, flags=nl.NLM_F_REQUEST | nl.NLM_F_ACK, sequence_number=SEQ, pid=0)
    msg.encode()
    return bytes(msg.data)


def _lean_decode(data: bytes) -> codec.Attrs:
    ((_kind, _flags, _seq, start, end),) = list(codec.split(data))
    return codec.Schema(nl.ipvs_msg).decode(data, start + codec.GENL_HEADER_SIZE, end)


@st.composite
def service_with_dest(draw):
    service = draw(services())
    return service, draw(dests(service.key))


@settings(max_examples=150, deadline=None)
@given(service_with_dest())
def test_the_lean_codec_agrees_with_pyroute2_and_reads_its_own_bytes(pair):
    service, dest = pair
    for op in (plan.Operation(plan.ADD_SERVICE, service.key, after=service), plan.Operation(plan.ADD_SERVER, service.key, after=dest)):
        attrs = kernel.operation_attrs(op)
        cmd = kernel._ACTION_COMMANDS[op.action]
        ours = codec.message(FAMILY_ID, nl.NLM_F_REQUEST | nl.NLM_F_ACK, SEQ, cmd, nl.GENL_VERSION, codec.Schema(nl.ipvs_msg).encode(attrs))
        assert ours == _pyroute2_bytes(cmd, attrs)
        decoded = _lean_decode(ours)
        if op.server is None:
            assert wire.decode_service(decoded.get_attr("IPVS_CMD_ATTR_SERVICE").get_attr) == service
        else:
            assert wire.decode_dest(decoded.get_attr("IPVS_CMD_ATTR_DEST").get_attr, service.key.family) == dest


@settings(max_examples=150, deadline=None)
@given(services().flatmap(lambda service: st.tuples(st.just(service), st.lists(dests(service.key), min_size=1, max_size=6))))
def test_every_edit_is_sent_as_the_generic_encoding_gives_it(pair):
    # apply() puts each server's address into a nest encoded once per setting: whatever
    # the settings and addresses, in every action, the bytes are those of operation_attrs
    service, servers = pair
    ops = [plan.Operation(plan.ADD_SERVICE, service.key, after=service), plan.Operation(plan.EDIT_SERVICE, service.key, before=service, after=service)]
    for dest in servers:
        ops += [plan.Operation(action, service.key, after=dest) for action in (plan.ADD_SERVER, plan.EDIT_SERVER)]
        ops.append(plan.Operation(plan.DELETE_SERVER, service.key, before=dest))
    ops.append(plan.Operation(plan.DELETE_SERVICE, service.key, before=service))
    payload = kernel._Payloads().of
    for op in ops + ops:
        assert payload(op) == codec.Schema(nl.ipvs_msg).encode(kernel.operation_attrs(op))


def _desired(table: plan.Table, purge: bool, absent=(), excluded=frozenset()) -> table_utils.DesiredTable:
    items = tuple(plan.DesiredService(service, tuple(table.servers_of(key).values())) for key, service in table.services.items())
    return table_utils.DesiredTable(items, tuple(absent), purge, excluded=excluded)


def _apply(current: plan.Table, desired: table_utils.DesiredTable) -> plan.Table:
    # as ipvs_table runs: the excluded services are out of the plan's sight, and kept
    managed = table_utils.without(current, desired.excluded)
    after = plan.simulate(managed, table_utils.operations(managed, desired))
    for key in desired.excluded & set(current.services):
        after.services[key], after.servers[key] = current.services[key], current.servers_of(key)
    return after


@settings(max_examples=150, deadline=None)
@given(tables(), tables(), st.booleans(), st.data())
def test_the_plan_turns_any_table_into_the_desired_one(current, wanted, purge, data):
    wanted_keys = set(wanted.services)
    others = sorted(set(current.services) - wanted_keys)
    absent = data.draw(st.lists(st.sampled_from(others), unique=True) if others else st.just([]))
    excluded = frozenset(data.draw(st.lists(st.sampled_from([k for k in others if k not in absent]), unique=True)) if len(others) > len(absent) else [])
    desired = _desired(wanted, purge, absent, excluded)
    after = _apply(current, desired)
    for key in wanted_keys:
        assert after.services[key] == wanted.services[key]
        listed = wanted.servers_of(key)
        assert {k: v for k, v in after.servers_of(key).items() if k in listed} == listed
        if purge:
            assert after.servers_of(key) == listed
        else:
            kept = {k: v for k, v in current.servers_of(key).items() if k not in listed}
            assert {k: v for k, v in after.servers_of(key).items() if k not in listed} == kept
    for key in absent:
        assert key not in after.services
    for key in excluded:
        assert after.services[key] == current.services[key] and after.servers_of(key) == current.servers_of(key)
    for key in set(current.services) - wanted_keys - set(absent) - excluded:
        if purge:
            assert key not in after.services
        else:
            assert after.services[key] == current.services[key] and after.servers_of(key) == current.servers_of(key)
    # and nothing is left to do: the same run again plans no edit
    assert table_utils.operations(table_utils.without(after, excluded), desired) == []


@settings(max_examples=100, deadline=None)
@given(tables(), st.booleans())
def test_a_table_that_is_already_right_plans_nothing(table, purge):
    assert table_utils.operations(table, _desired(table, purge)) == []


@settings(max_examples=100, deadline=None)
@given(tables())
def test_clearing_plans_one_delete_per_service(table):
    ops = table_utils.operations(table, table_utils.DesiredTable(clear=True))
    assert sorted(op.service for op in ops) == sorted(table.services)
    assert all(op.action == plan.DELETE_SERVICE for op in ops)


@settings(deadline=None)
@given(service_keys())
def test_every_service_key_reads_back_from_its_label_words(key):
    # the save file names a service by the words ipvsadm -Sn writes for it
    text = render_table(built([plan.DesiredService(model.build_service(key, persistent=(key.port == 0 and not key.is_fwmark) or None))]))
    (parsed,) = savefile.parse(text, "one.rules")
    assert parsed.service.key == key


@given(service_keys())
def test_a_service_selector_is_the_generic_encoding_of_its_key(key):
    # selectors are spliced from a template per (family, protocol, port)
    generic = codec.Schema(nl.ipvs_msg).encode([["IPVS_CMD_ATTR_SERVICE", {"attrs": wire.service_id_attrs(key)}]])
    assert kernel._service_selector(key) == generic
