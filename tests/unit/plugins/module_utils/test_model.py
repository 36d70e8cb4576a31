# Validation and normalisation of desired services and servers (no kernel).
from __future__ import annotations

import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

V4 = model.service_key("tcp", "192.0.2.1", 80)
V6 = model.service_key("udp", "2001:db8::1", 53)
FWM = model.service_key(fwmark=3)


def test_addresses_are_canonical():
    assert model.service_key("tcp", "[2001:DB8:0:0::1]", 80).address == "2001:db8::1"
    assert model.parse_address(" 192.0.2.7 ", "x") == ("ipv4", "192.0.2.7")


@given(
    st.lists(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=5).map(".".join)
    | st.ip_addresses().map(str)
    | st.ip_addresses(v=6).map(lambda address: address.exploded.upper())
)
def test_an_address_is_taken_exactly_when_inet_pton_takes_it_and_in_inet_ntops_form(text):
    # IPv4 text is kept as given once inet_pton takes it: prove that is its canonical form
    family = socket.AF_INET6 if ":" in text else socket.AF_INET
    try:
        packed = socket.inet_pton(family, text)
    except OSError:
        assert model._parse_host(text) is None
        return
    assert model._parse_host(text) == (model.FAMILY_NAMES[family], socket.inet_ntop(family, packed))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(address="192.0.2.300", port=80), "not a valid IPv4 or IPv6 address"),
        (dict(address="010.0.0.1", port=80), "not a valid"),
        (dict(address="192.0.2.0/24", port=80), "not a single"),
        (dict(address="192.0.2.1", port=80, family="ipv6"), "is ipv4 but family is ipv6"),
        (dict(address="192.0.2.1", port=65536), "out of range 0..65535"),
        (dict(address="192.0.2.1", port=-1), "out of range 0..65535"),
        (dict(address="192.0.2.1"), "needs a port"),
        (dict(fwmark=0), "out of range 1..4294967295"),
        (dict(fwmark=2**32), "out of range 1..4294967295"),
        (dict(fwmark=1, port=80), "takes no address or port"),
        (dict(), "either address"),
        (dict(address="192.0.2.1", port=80, protocol="icmp"), "protocol 'icmp'"),
        (dict(address="192.0.2.1", port=80, protocol={"tcp": 6}), "protocol {'tcp': 6} is not one of tcp, udp, sctp"),
    ],
)
def test_bad_service_keys(kwargs, message):
    with pytest.raises(IpvsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        model.service_key(**kwargs)


def test_fwmark_services_are_tcp_in_the_kernel():
    assert model.service_key(protocol="udp", fwmark=3).protocol == "tcp"


def test_persistence_defaults_to_300_seconds_and_a_host_mask():
    service = model.build_service(V4, persistent=True)
    assert (service.persistence_timeout, service.persistence_netmask) == (300, 32)
    assert model.build_service(V6, persistent=True).persistence_netmask == 128


def test_persistence_options_imply_persistence():
    assert model.build_service(V4, persistence_netmask="255.255.0.0").persistent
    assert model.build_service(V4, persistence_engine="sip").persistent


def test_non_persistent_services_normalise_timeout_and_mask():
    assert model.build_service(V4) == model.Service(V4)


@pytest.mark.parametrize(
    "key, kwargs, message",
    [
        (V4, dict(scheduler="fastest"), "scheduler 'fastest' is unknown"),
        (V4, dict(scheduler="rr", scheduler_flags=["sh-port"]), "belongs to sh"),
        (V4, dict(scheduler="mh", scheduler_flags=["sh-fallback"]), "belongs to sh"),
        (V4, dict(scheduler="sh", scheduler_flags=["bogus"]), "known flags"),
        (V4, dict(persistent=False, persistence_timeout=5), "given but persistent is false"),
        (V4, dict(persistence_timeout=0), "out of range 1.."),
        (V4, dict(persistence_netmask="255.0.255.0"), "not valid for ipv4"),
        (V4, dict(persistence_netmask="33"), "out of range for ipv4"),
        (V6, dict(persistence_netmask="255.255.255.0"), "not valid for ipv6"),
        (V6, dict(persistence_netmask="0"), "out of range for ipv6"),
        (V4, dict(persistence_netmask="\u00b2"), "persistence_netmask '\u00b2' is not valid for ipv4"),
        (V6, dict(persistence_netmask="\u0661\u0662"), "is not valid for ipv6"),
        (V4, dict(persistence_engine="ftp"), "persistence_engine 'ftp' is unknown"),
        (V4, dict(one_packet=True), "only applies to UDP"),
        (model.service_key("tcp", "192.0.2.1", 0), dict(), "port 0"),
    ],
)
def test_bad_services(key, kwargs, message):
    with pytest.raises(IpvsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        model.build_service(key, **kwargs)


def test_scheduler_flags_are_sorted_and_deduplicated():
    service = model.build_service(V4, "sh", ["sh-port", "sh-fallback", "sh-port"])
    assert service.scheduler_flags == ("sh-fallback", "sh-port")
    assert wire.service_flag_bits(service) == 0x8 | 0x10


def test_netmask_forms():
    assert model.parse_netmask("255.255.255.0", "ipv4") == 24
    assert model.parse_netmask(24, "ipv4") == 24
    assert model.parse_netmask("/64", "ipv6") == 64


def test_dr_and_tunnel_servers_take_the_service_port():
    assert model.build_dest(V4, "10.0.0.1", 8080).key.port == 80
    assert model.build_dest(V4, "10.0.0.1", 8080, "tunnel").key.port == 80
    assert model.build_dest(V4, "10.0.0.1", 8080, "masquerade").key.port == 8080
    assert model.build_dest(V4, "10.0.0.1", None, "masquerade").key.port == 80
    assert model.build_dest(FWM, "10.0.0.1", 0).key.port == 0


def test_tunnel_defaults():
    assert model.build_dest(V4, "10.0.0.1", forwarding_method="tunnel").tunnel_type == "ipip"
    gre = model.build_dest(V4, "10.0.0.1", forwarding_method="tunnel", tunnel_type="gre")
    assert (gre.tunnel_checksum, gre.tunnel_port) == ("nocsum", 0)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(address="10.0.0.1", weight=-1), "weight -1 is out of range"),
        (dict(address="10.0.0.1", weight=2**31), "out of range 0..2147483647"),
        (dict(address="10.0.0.1", upper_threshold=65536), "upper_threshold 65536"),
        (dict(address="10.0.0.1", lower_threshold=-1), "lower_threshold -1"),
        (dict(address="10.0.0.1", upper_threshold=5, lower_threshold=6), "above upper_threshold"),
        (dict(address="10.0.0.1", port=70000, forwarding_method="masquerade"), "port 70000"),
        (dict(address="10.0.0.1", tunnel_port=6080), "only apply to forwarding_method tunnel"),
        (dict(address="10.0.0.1", forwarding_method="tunnel", tunnel_type="gue"), "needs tunnel_port"),
        (dict(address="10.0.0.1", forwarding_method="tunnel", tunnel_port=6080), "only applies to tunnel_type gue"),
        (dict(address="10.0.0.1", forwarding_method="tunnel", tunnel_checksum="csum"), "gue or gre, not ipip"),
        (dict(address="10.0.0.1", forwarding_method="tunnel", tunnel_type="gre", tunnel_checksum="remcsum"), "remcsum only"),
        (dict(address="10.0.0.1", forwarding_method="nat"), "forwarding_method 'nat'"),
        (dict(address="2001:db8::2"), "needs forwarding_method tunnel"),
        (dict(address="2001:db8::2", forwarding_method="masquerade"), "needs forwarding_method tunnel"),
    ],
)
def test_bad_dests(kwargs, message):
    with pytest.raises(IpvsError, match=message.replace("(", r"\(").replace(".", r"\.")):
        model.build_dest(V4, **kwargs)


def test_mixed_family_with_tunnel_is_allowed():
    assert model.build_dest(V4, "2001:db8::2", forwarding_method="tunnel").key.family == "ipv6"


def test_ipv6_link_local_real_server_is_rejected():
    with pytest.raises(IpvsError, match="link-local"):
        model.build_dest(V6, "fe80::1")


def test_labels():
    assert V4.label() == "TCP 192.0.2.1:80"
    assert V6.label() == "UDP [2001:db8::1]:53"
    assert model.service_key(fwmark=3, family="ipv6").label() == "FWM 3 IPv6"


def test_every_forwarding_method_has_its_kernel_number():
    assert set(wire.FORWARDING) == set(model.FORWARDING_METHODS)
    assert set(wire.TUNNEL_TYPES) == set(model.TUNNEL_TYPES)
    assert set(wire.TUNNEL_CHECKSUMS) == set(model.TUNNEL_CHECKSUMS)


def test_the_model_needs_no_netlink():
    # the controller imports it (filters, role preflights) without pyroute2
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(model))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) for alias in node.names}
    assert "_netlink" not in imported and "_wire" not in imported
