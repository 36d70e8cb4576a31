# Encode with the collection's schema on pyroute2's classes, decode the bytes
# again, and compare: the wire format must carry every attribute unchanged.
from __future__ import annotations

import struct

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire


def roundtrip(attrs, cmd=nl.CMD_NEW_SERVICE, cls=None):
    cls = cls or nl.ipvs_msg
    msg = cls()
    msg["cmd"] = cmd
    msg["version"] = nl.GENL_VERSION
    msg["attrs"] = attrs
    msg["header"]["type"] = 0x20
    msg.encode()
    decoded = cls(bytes(msg.data))
    decoded.decode()
    return decoded


def nested_bytes(decoded, name):
    return decoded.get_attr(name)


SERVICES = [
    model.build_service(model.service_key("tcp", "192.0.2.1", 80)),
    model.build_service(model.service_key("udp", "2001:db8::1", 5060), "sh", ["sh-port", "sh-fallback"], None, 120, "64", "sip"),
    model.build_service(model.service_key("sctp", "192.0.2.2", 0), "lc", persistence_timeout=30, persistence_netmask="255.255.255.0"),
    model.build_service(model.service_key(fwmark=0xFFFFFFFF, family="ipv6"), "mh", ["mh-fallback"], one_packet=True),
]


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key.label())
def test_service_roundtrip(service):
    decoded = roundtrip([["IPVS_CMD_ATTR_SERVICE", {"attrs": wire.service_attrs(service)}]])
    assert decoded["cmd"] == nl.CMD_NEW_SERVICE
    nest = decoded.get_attr("IPVS_CMD_ATTR_SERVICE")
    assert wire.decode_service(nest.get_attr) == service


def test_ipv4_netmask_is_the_be32_mask_and_ipv6_a_host_order_prefix():
    # what the kernel expects: nla_get_be32() compared with 128 for IPv6
    assert wire.netmask_bytes("ipv4", 24) == bytes([255, 255, 255, 0])
    assert wire.netmask_bytes("ipv6", 64) == struct.pack("=I", 64)
    assert wire.netmask_prefix("ipv6", struct.pack("=I", 128)) == 128
    assert wire.netmask_prefix("ipv4", b"\xff\xff\x00\x00") == 16


def test_addresses_travel_as_16_byte_nf_inet_addr():
    key = model.service_key("tcp", "192.0.2.1", 80)
    addr = dict(wire.service_id_attrs(key))["IPVS_SVC_ATTR_ADDR"]
    assert addr == bytes([192, 0, 2, 1]) + bytes(12)


def test_ports_are_big_endian_on_the_wire():
    service = SERVICES[0]
    decoded = roundtrip([["IPVS_CMD_ATTR_SERVICE", {"attrs": wire.service_attrs(service)}]])
    raw = bytes(decoded.data)
    assert struct.pack(">H", 80) in raw


DESTS = [
    model.build_dest(SERVICES[0].key, "10.0.0.1", weight=7, upper_threshold=100, lower_threshold=10),
    model.build_dest(SERVICES[0].key, "10.0.0.2", 8080, "masquerade", 0),
    model.build_dest(SERVICES[1].key, "2001:db8::10", forwarding_method="tunnel", tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum"),
    model.build_dest(SERVICES[1].key, "10.0.0.9", forwarding_method="tunnel", tunnel_type="gre", tunnel_checksum="csum"),
    model.build_dest(SERVICES[0].key, "10.0.0.3", forwarding_method="tunnel"),
    model.build_dest(SERVICES[0].key, "10.0.0.4", weight=model.MAX_WEIGHT),
]


@pytest.mark.parametrize("dest", DESTS, ids=lambda d: d.key.label())
def test_dest_roundtrip(dest):
    decoded = roundtrip([["IPVS_CMD_ATTR_DEST", {"attrs": wire.dest_attrs(dest)}]], cmd=nl.CMD_NEW_DEST)
    nest = decoded.get_attr("IPVS_CMD_ATTR_DEST")
    assert wire.decode_dest(nest.get_attr, "ipv4") == dest


def test_tunnel_port_is_be16():
    dest = DESTS[2]
    decoded = roundtrip([["IPVS_CMD_ATTR_DEST", {"attrs": wire.dest_attrs(dest)}]], cmd=nl.CMD_NEW_DEST)
    assert struct.pack(">H", 6080) in bytes(decoded.data)


def test_stats64_and_counters_decode():
    stats64 = [["IPVS_STATS_ATTR_CONNS", 2**40], ["IPVS_STATS_ATTR_INBYTES", 2**63], ["IPVS_STATS_ATTR_CPS", 9]]
    attrs = [
        *wire.dest_attrs(DESTS[0]),
        ["IPVS_DEST_ATTR_ACTIVE_CONNS", 3],
        ["IPVS_DEST_ATTR_INACT_CONNS", 4],
        ["IPVS_DEST_ATTR_PERSIST_CONNS", 5],
        ["IPVS_DEST_ATTR_STATS64", {"attrs": stats64}],
    ]
    decoded = roundtrip([["IPVS_CMD_ATTR_DEST", {"attrs": attrs}]], cmd=nl.CMD_GET_DEST)
    state = wire.decode_dest_state(decoded.get_attr("IPVS_CMD_ATTR_DEST"), "ipv4")
    assert (state.active_connections, state.inactive_connections, state.persistent_connections) == (3, 4, 5)
    assert state.stats["conns"] == 2**40
    assert state.stats["inbytes"] == 2**63
    assert state.rates["cps"] == 9


def test_daemon_attributes_roundtrip():
    from ansible_collections.lvs.ipvs.plugins.module_utils._kernel import decode_daemon

    attrs = [
        ["IPVS_DAEMON_ATTR_STATE", nl.STATE_BACKUP],
        ["IPVS_DAEMON_ATTR_MCAST_IFN", "eth1"],
        ["IPVS_DAEMON_ATTR_SYNC_ID", 7],
        ["IPVS_DAEMON_ATTR_SYNC_MAXLEN", 1472],
        ["IPVS_DAEMON_ATTR_MCAST_GROUP6", wire.address_bytes("ipv6", "ff02::81")],
        ["IPVS_DAEMON_ATTR_MCAST_PORT", 8848],
        ["IPVS_DAEMON_ATTR_MCAST_TTL", 2],
    ]
    decoded = roundtrip([["IPVS_CMD_ATTR_DAEMON", {"attrs": attrs}]], cmd=nl.CMD_NEW_DAEMON)
    daemon = decode_daemon(decoded.get_attr("IPVS_CMD_ATTR_DAEMON").get_attr)
    assert daemon == {
        "role": "backup",
        "interface": "eth1",
        "syncid": 7,
        "sync_maxlen": 1472,
        "mcast_group": "ff02::81",
        "mcast_port": 8848,
        "mcast_ttl": 2,
    }


def test_timeouts_are_top_level_u32():
    attrs = [["IPVS_CMD_ATTR_TIMEOUT_TCP", 900], ["IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", 120], ["IPVS_CMD_ATTR_TIMEOUT_UDP", 300]]
    decoded = roundtrip(attrs, cmd=nl.CMD_SET_CONFIG)
    assert [decoded.get_attr(attr[0]) for attr in attrs] == [900, 120, 300]


def test_info_reply_has_its_own_numbering():
    decoded = roundtrip([["IPVS_INFO_ATTR_VERSION", 0x010201], ["IPVS_INFO_ATTR_CONN_TAB_SIZE", 4096]], cmd=nl.CMD_GET_INFO, cls=nl.ipvs_info_msg)
    # attribute 1 is IPVS_CMD_ATTR_SERVICE in every other message
    assert decoded.get_attr("IPVS_INFO_ATTR_VERSION") == 0x010201
    assert decoded.get_attr("IPVS_INFO_ATTR_CONN_TAB_SIZE") == 4096


def test_hashed_flag_from_a_dump_is_ignored():
    service = SERVICES[0]
    attrs = [
        attr if attr[0] != "IPVS_SVC_ATTR_FLAGS" else ["IPVS_SVC_ATTR_FLAGS", {"flags": nl.SVC_F_HASHED, "mask": 0xFFFFFFFF}]
        for attr in wire.service_attrs(service)
    ]
    decoded = roundtrip([["IPVS_CMD_ATTR_SERVICE", {"attrs": attrs}]], cmd=nl.CMD_GET_SERVICE)
    assert wire.decode_service(decoded.get_attr("IPVS_CMD_ATTR_SERVICE").get_attr) == service


def test_every_command_of_ip_vs_h_is_declared():
    commands = {name: value for name, value in vars(nl).items() if name.startswith("CMD_")}
    assert sorted(commands.values()) == list(range(1, 18))


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.key.label())
def test_new_and_set_service_carry_the_four_mandatory_attributes(service):
    # the kernel refuses NEW/SET_SERVICE with EINVAL when any of these is missing
    names = [attr[0] for attr in wire.service_attrs(service)]
    for mandatory in ("IPVS_SVC_ATTR_SCHED_NAME", "IPVS_SVC_ATTR_FLAGS", "IPVS_SVC_ATTR_TIMEOUT", "IPVS_SVC_ATTR_NETMASK"):
        assert mandatory in names


def test_flags_are_sent_with_a_full_mask():
    # the kernel merges flags through the mask: a full mask clears what we do not set
    flags = dict(wire.service_attrs(SERVICES[0]))["IPVS_SVC_ATTR_FLAGS"]
    assert flags == {"flags": 0, "mask": 0xFFFFFFFF}


@pytest.mark.parametrize("dest", DESTS, ids=lambda d: d.key.label())
def test_new_and_set_dest_carry_the_mandatory_attributes(dest):
    names = [attr[0] for attr in wire.dest_attrs(dest)]
    for mandatory in (
        "IPVS_DEST_ATTR_ADDR",
        "IPVS_DEST_ATTR_PORT",
        "IPVS_DEST_ATTR_FWD_METHOD",
        "IPVS_DEST_ATTR_WEIGHT",
        "IPVS_DEST_ATTR_U_THRESH",
        "IPVS_DEST_ATTR_L_THRESH",
    ):
        assert mandatory in names


def test_sync_daemon_port_is_host_order():
    # seen on Linux 6.1: the default port 8848 reads back as 36898 if decoded as be16
    decoded = roundtrip([["IPVS_CMD_ATTR_DAEMON", {"attrs": [["IPVS_DAEMON_ATTR_MCAST_PORT", 8848]]}]], cmd=nl.CMD_NEW_DAEMON)
    assert struct.pack("=H", 8848) in bytes(decoded.data)
