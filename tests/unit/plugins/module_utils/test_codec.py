# The lean codec must produce pyroute2's bytes and read pyroute2's bytes back to
# the same values: it replaces pyroute2's encoder and decoder on the table path only
# for speed, so any difference here is a wire-format bug.
from __future__ import annotations

import errno
import struct

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _codec as codec
from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire

FAMILY_ID = 0x1D
SEQ = 4711

V6 = model.service_key("udp", "2001:db8::1", 5060)
V4 = model.service_key("tcp", "192.0.2.1", 80)
FWM = model.service_key(fwmark=7, family="ipv6")

SERVICES = [
    model.build_service(V4),
    model.build_service(V6, "sh", ["sh-port"], None, 120, "64", "sip"),
    model.build_service(FWM, "mh", ["mh-fallback"], one_packet=True),
    model.build_service(model.service_key("sctp", "192.0.2.2", 0), "lc", persistence_timeout=30, persistence_netmask="255.255.255.0"),
]
DESTS = [
    (V4, model.build_dest(V4, "10.0.0.1", 8080, "masquerade", 5, 100, 10)),
    (V4, model.build_dest(V4, "2001:db8::9", forwarding_method="tunnel", tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum")),
    (V6, model.build_dest(V6, "2001:db8::7", forwarding_method="tunnel", tunnel_type="gre", tunnel_checksum="csum", weight=0)),
    (FWM, model.build_dest(FWM, "2001:db8::8", 443, "masquerade")),
]
OPERATIONS = [plan.Operation(plan.ADD_SERVICE, s.key, after=s) for s in SERVICES]
OPERATIONS += [plan.Operation(plan.EDIT_SERVICE, s.key, before=s, after=s) for s in SERVICES]
OPERATIONS += [plan.Operation(plan.DELETE_SERVICE, s.key, before=s) for s in SERVICES]
OPERATIONS += [plan.Operation(action, key, after=d) for action in (plan.ADD_SERVER, plan.EDIT_SERVER) for key, d in DESTS]
OPERATIONS += [plan.Operation(plan.DELETE_SERVER, key, before=d) for key, d in DESTS]


def pyroute2_bytes(cmd: int, attrs, flags: int = nl.NLM_F_REQUEST | nl.NLM_F_ACK) -> bytes:
    msg = nl.ipvs_msg()
    msg["cmd"] = cmd
    msg["version"] = nl.GENL_VERSION
    msg["attrs"] = attrs
    msg["header"]["type"] = FAMILY_ID
    msg["header"]["flags"] = flags
    msg["header"]["sequence_number"] = SEQ
    msg["header"]["pid"] = 0
    msg.encode()
    return bytes(msg.data)


def lean_bytes(cmd: int, attrs, flags: int = nl.NLM_F_REQUEST | nl.NLM_F_ACK) -> bytes:
    return codec.message(FAMILY_ID, flags, SEQ, cmd, nl.GENL_VERSION, codec.Schema(nl.ipvs_msg).encode(attrs))


def lean_decode(data: bytes) -> codec.Attrs:
    ((kind, _flags, seq, start, end),) = list(codec.split(data))
    assert (kind, seq) == (FAMILY_ID, SEQ)
    return codec.Schema(nl.ipvs_msg).decode(data, start + codec.GENL_HEADER_SIZE, end)


@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op.describe())
def test_every_edit_encodes_to_pyroute2s_bytes(op):
    attrs = kernel.operation_attrs(op)
    cmd = kernel._ACTION_COMMANDS[op.action]
    assert lean_bytes(cmd, attrs) == pyroute2_bytes(cmd, attrs)


def test_control_attributes_encode_to_pyroute2s_bytes():
    daemon = [
        ["IPVS_DAEMON_ATTR_STATE", nl.STATE_BACKUP],
        ["IPVS_DAEMON_ATTR_MCAST_IFN", "eth1"],
        ["IPVS_DAEMON_ATTR_SYNC_ID", 9],
        ["IPVS_DAEMON_ATTR_SYNC_MAXLEN", 1472],
        ["IPVS_DAEMON_ATTR_MCAST_GROUP6", wire.address_bytes("ipv6", "ff02::12")],
        ["IPVS_DAEMON_ATTR_MCAST_PORT", 8848],
        ["IPVS_DAEMON_ATTR_MCAST_TTL", 3],
    ]
    attrs = [["IPVS_CMD_ATTR_DAEMON", {"attrs": daemon}], ["IPVS_CMD_ATTR_TIMEOUT_TCP", 900]]
    assert lean_bytes(nl.CMD_NEW_DAEMON, attrs) == pyroute2_bytes(nl.CMD_NEW_DAEMON, attrs)


def reply_bytes(name: str, nest: list) -> bytes:
    """A dump reply as the kernel sends it, encoded by pyroute2."""
    return pyroute2_bytes(nl.CMD_NEW_SERVICE, [[name, {"attrs": nest}]], flags=codec.NLM_F_MULTI)


STATS = [["IPVS_STATS_ATTR_" + name, index * 2**33 + 1] for index, name in enumerate(nl._STATS_NAMES)]
LEGACY_STATS = [["IPVS_STATS_ATTR_" + name, index + 1] for index, name in enumerate(nl._STATS_NAMES)]


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key.label())
def test_service_reply_decodes_as_pyroute2_decodes_it(service):
    nest = [*wire.service_attrs(service), ["IPVS_SVC_ATTR_STATS", {"attrs": LEGACY_STATS}], ["IPVS_SVC_ATTR_STATS64", {"attrs": STATS}]]
    data = reply_bytes("IPVS_CMD_ATTR_SERVICE", nest)
    reference = nl.ipvs_msg(data)
    reference.decode()
    theirs = wire.decode_service_state(reference.get_attr("IPVS_CMD_ATTR_SERVICE"))
    ours = wire.decode_service_state(lean_decode(data).get_attr("IPVS_CMD_ATTR_SERVICE"))
    assert ours == theirs
    assert ours.service == service
    assert ours.stats["inbytes"] == 3 * 2**33 + 1


@pytest.mark.parametrize("service_key,dest", DESTS, ids=[dest.key.label() for _key, dest in DESTS])
def test_dest_reply_decodes_as_pyroute2_decodes_it(service_key, dest):
    counters = [["IPVS_DEST_ATTR_ACTIVE_CONNS", 3], ["IPVS_DEST_ATTR_INACT_CONNS", 4], ["IPVS_DEST_ATTR_PERSIST_CONNS", 5]]
    nest = wire.dest_attrs(dest) + counters + [["IPVS_DEST_ATTR_STATS64", {"attrs": STATS}]]
    data = reply_bytes("IPVS_CMD_ATTR_DEST", nest)
    reference = nl.ipvs_msg(data)
    reference.decode()
    theirs = wire.decode_dest_state(reference.get_attr("IPVS_CMD_ATTR_DEST"), service_key.family)
    ours = wire.decode_dest_state(lean_decode(data).get_attr("IPVS_CMD_ATTR_DEST"), service_key.family)
    assert ours == theirs
    assert ours.dest == dest
    assert (ours.active_connections, ours.inactive_connections, ours.persistent_connections) == (3, 4, 5)


def test_unknown_and_nested_flagged_attributes():
    # a newer kernel may add attributes (skipped) and set NLA_F_NESTED (masked off)
    inner = codec.Schema(nl.ipvs_msg.dest).encode([["IPVS_DEST_ATTR_WEIGHT", 7]])
    unknown = struct.pack("=HH", 8, 60) + struct.pack("=I", 1)
    nested = struct.pack("=HH", 4 + len(inner + unknown), 0x8000 | 2) + inner + unknown
    found = codec.Schema(nl.ipvs_msg).decode(nested)
    assert found.get_attr("IPVS_CMD_ATTR_DEST") == {"IPVS_DEST_ATTR_WEIGHT": 7}


def test_acknowledgements_and_errors():
    def ack(seq, code):
        body = struct.pack("=i", -code) + struct.pack("=IHHII", 20, FAMILY_ID, 5, seq, 0)
        return struct.pack("=IHHII", 16 + len(body), codec.NLMSG_ERROR, 0, seq, 77) + body

    data = ack(1, 0) + ack(2, errno.EEXIST)
    found = [(kind, seq, codec.error_code(data, start)) for kind, _flags, seq, start, _end in codec.split(data)]
    assert found == [(codec.NLMSG_ERROR, 1, 0), (codec.NLMSG_ERROR, 2, errno.EEXIST)]


def test_batched_payloads_equal_the_generic_encoding():
    # apply() encodes a service's id once for all its server edits, and a server edit's
    # nest once per setting; twice over, the second time from what the first kept
    payload = kernel._Payloads().of
    for op in OPERATIONS + OPERATIONS:
        assert payload(op) == codec.Schema(nl.ipvs_msg).encode(kernel.operation_attrs(op))
