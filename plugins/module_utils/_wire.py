# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The model of ``_model`` as IPVS netlink attributes, and back.

Names are the model's; the numbers, bits and byte layouts the kernel wants are here.
"""

from __future__ import annotations

import itertools
import operator
import socket
import struct

from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils._model import (
    FAMILIES,
    FAMILY_NAMES,
    GENERIC_SCHEDULER_FLAGS,
    HOST_PREFIX,
    MASQUERADE,
    PROTOCOL_NAMES,
    PROTOCOLS,
    RATE_FIELDS,
    ROUTE,
    SCHEDULER_FLAGS,
    STATS_FIELDS,
    TUNNEL,
    Dest,
    DestKey,
    DestState,
    Service,
    ServiceKey,
    ServiceState,
)

FORWARDING = {MASQUERADE: nl.FWD_MASQ, "local": nl.FWD_LOCALNODE, TUNNEL: nl.FWD_TUNNEL, ROUTE: nl.FWD_DROUTE, "bypass": nl.FWD_BYPASS}
FORWARDING_NAMES = {number: name for name, number in FORWARDING.items()}
TUNNEL_TYPES = {"ipip": nl.TUN_TYPE_IPIP, "gue": nl.TUN_TYPE_GUE, "gre": nl.TUN_TYPE_GRE}
TUNNEL_TYPE_NAMES = {number: name for name, number in TUNNEL_TYPES.items()}
TUNNEL_CHECKSUMS = {"nocsum": nl.TUN_F_NOCSUM, "csum": nl.TUN_F_CSUM, "remcsum": nl.TUN_F_REMCSUM}
TUNNEL_CHECKSUM_NAMES = {number: name for name, number in TUNNEL_CHECKSUMS.items()}
_FLAG_BITS = (nl.SVC_F_SCHED1, nl.SVC_F_SCHED2, nl.SVC_F_SCHED3)
_GENERIC_SCHED_FLAGS = dict(zip(GENERIC_SCHEDULER_FLAGS, _FLAG_BITS))
ADDRESS_SIZE = 16  # union nf_inet_addr


def _scheduler_flag_bits(scheduler: str) -> dict:
    return dict(_GENERIC_SCHED_FLAGS, **dict(zip(SCHEDULER_FLAGS.get(scheduler, ()), _FLAG_BITS)))


def address_bytes(family: str, address: str) -> bytes:
    """The 16-byte ``nf_inet_addr`` the kernel expects for any family."""
    return socket.inet_pton(FAMILIES[family], address).ljust(ADDRESS_SIZE, b"\0")


def address_text(family: str, raw: bytes) -> str:
    size = 4 if family == "ipv4" else 16
    return socket.inet_ntop(FAMILIES[family], bytes(raw[:size]))


def netmask_bytes(family: str, prefix: int) -> bytes:
    # IPv4 travels as the be32 mask itself, IPv6 as a host-order prefix length
    if family == "ipv4":
        return struct.pack(">I", (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF)
    return struct.pack("=I", prefix)


def netmask_prefix(family: str, raw: bytes) -> int:
    if family == "ipv4":
        return bin(struct.unpack(">I", bytes(raw[:4]))[0]).count("1")
    return struct.unpack("=I", bytes(raw[:4]))[0]


def service_flag_bits(service: Service) -> int:
    bits = nl.SVC_F_PERSISTENT if service.persistent else 0
    if service.one_packet:
        bits |= nl.SVC_F_ONEPACKET
    names = _scheduler_flag_bits(service.scheduler)
    for flag in service.scheduler_flags:
        bits |= names[flag]
    return bits


def _scheduler_flag_names(scheduler: str, bits: int) -> tuple:
    names = dict(zip(SCHEDULER_FLAGS.get(scheduler, ()), _FLAG_BITS))
    found = []
    for generic, bit in _GENERIC_SCHED_FLAGS.items():
        if bits & bit:
            specific = [name for name, value in names.items() if value == bit]
            found.append(specific[0] if specific else generic)
    return tuple(sorted(found))


def service_id_attrs(key: ServiceKey) -> list:
    attrs = [["IPVS_SVC_ATTR_AF", FAMILIES[key.family]]]
    if key.is_fwmark:
        attrs.append(["IPVS_SVC_ATTR_FWMARK", key.fwmark])
    else:
        attrs += [
            ["IPVS_SVC_ATTR_PROTOCOL", PROTOCOLS[key.protocol]],
            ["IPVS_SVC_ATTR_ADDR", address_bytes(key.family, key.address)],
            ["IPVS_SVC_ATTR_PORT", key.port],
        ]
    return attrs


def service_attrs(service: Service) -> list:
    """A full service entry: the kernel wants scheduler, flags, timeout and netmask
    on every NEW/SET_SERVICE; leaving PE_NAME out removes a persistence engine."""
    attrs = service_id_attrs(service.key)
    attrs += [
        ["IPVS_SVC_ATTR_SCHED_NAME", service.scheduler],
        ["IPVS_SVC_ATTR_FLAGS", {"flags": service_flag_bits(service), "mask": 0xFFFFFFFF}],
        ["IPVS_SVC_ATTR_TIMEOUT", service.persistence_timeout],
        ["IPVS_SVC_ATTR_NETMASK", netmask_bytes(service.key.family, service.persistence_netmask)],
    ]
    if service.persistence_engine:
        attrs.append(["IPVS_SVC_ATTR_PE_NAME", service.persistence_engine])
    return attrs


# what decode_service and decode_dest read: table reads decode nothing else
SERVICE_CONFIG_ATTRS = tuple(
    "IPVS_SVC_ATTR_" + name for name in ("AF", "PROTOCOL", "ADDR", "PORT", "FWMARK", "SCHED_NAME", "FLAGS", "TIMEOUT", "NETMASK", "PE_NAME")
)
DEST_CONFIG_ATTRS = tuple(
    "IPVS_DEST_ATTR_" + name for name in ("ADDR", "PORT", "FWD_METHOD", "WEIGHT", "U_THRESH", "L_THRESH", "ADDR_FAMILY", "TUN_TYPE", "TUN_PORT", "TUN_FLAGS")
)


def decode_service_key(get) -> ServiceKey:
    """``get`` is the nest's ``get_attr``; the kernel always dumps AF, PROTOCOL and ADDR."""
    family = FAMILY_NAMES.get(get("IPVS_SVC_ATTR_AF"), "ipv4")
    fwmark = get("IPVS_SVC_ATTR_FWMARK") or 0
    if fwmark:
        return ServiceKey(family=family, protocol="tcp", fwmark=fwmark)
    protocol = PROTOCOL_NAMES.get(get("IPVS_SVC_ATTR_PROTOCOL"), str(get("IPVS_SVC_ATTR_PROTOCOL")))
    address = address_text(family, get("IPVS_SVC_ATTR_ADDR"))
    return ServiceKey(family=family, protocol=protocol, address=address, port=get("IPVS_SVC_ATTR_PORT") or 0)


def decode_service(get) -> Service:
    key = decode_service_key(get)
    scheduler = get("IPVS_SVC_ATTR_SCHED_NAME") or ""
    flags = get("IPVS_SVC_ATTR_FLAGS")
    bits = flags["flags"] if flags else 0
    persistent = bool(bits & nl.SVC_F_PERSISTENT)
    netmask = get("IPVS_SVC_ATTR_NETMASK")
    prefix = netmask_prefix(key.family, netmask) if netmask and persistent else HOST_PREFIX[key.family]
    return Service(
        key=key,
        scheduler=scheduler,
        scheduler_flags=_scheduler_flag_names(scheduler, bits),
        persistent=persistent,
        # the timeout only matters for persistence templates; ipvsadm -S shows it only then
        persistence_timeout=(get("IPVS_SVC_ATTR_TIMEOUT") or 0) if persistent else 0,
        persistence_netmask=prefix,
        persistence_engine=get("IPVS_SVC_ATTR_PE_NAME") or "",
        one_packet=bool(bits & nl.SVC_F_ONEPACKET),
    )


def dest_id_attrs(dest: DestKey) -> list:
    return [
        ["IPVS_DEST_ATTR_ADDR", address_bytes(dest.family, dest.address)],
        ["IPVS_DEST_ATTR_PORT", dest.port],
        ["IPVS_DEST_ATTR_ADDR_FAMILY", FAMILIES[dest.family]],
    ]


def dest_attrs(dest: Dest) -> list:
    """A full destination entry: FWD_METHOD, WEIGHT and both thresholds are mandatory."""
    attrs = dest_id_attrs(dest.key)
    attrs += [
        ["IPVS_DEST_ATTR_FWD_METHOD", FORWARDING[dest.forwarding_method]],
        ["IPVS_DEST_ATTR_WEIGHT", dest.weight],
        ["IPVS_DEST_ATTR_U_THRESH", dest.upper_threshold],
        ["IPVS_DEST_ATTR_L_THRESH", dest.lower_threshold],
    ]
    if dest.forwarding_method == TUNNEL:
        attrs += [
            ["IPVS_DEST_ATTR_TUN_TYPE", TUNNEL_TYPES[dest.tunnel_type]],
            ["IPVS_DEST_ATTR_TUN_PORT", dest.tunnel_port],
            ["IPVS_DEST_ATTR_TUN_FLAGS", TUNNEL_CHECKSUMS.get(dest.tunnel_checksum, 0)],
        ]
    return attrs


def dest_dump_values(dest: Dest) -> dict:
    """Every attribute of DEST_CONFIG_ATTRS as the kernel dumps it for ``dest``: its own
    configuration, and the tunnel attributes, zero unless tunnelled."""
    values = dict(dest_attrs(dest))
    for name in ("IPVS_DEST_ATTR_TUN_TYPE", "IPVS_DEST_ATTR_TUN_PORT", "IPVS_DEST_ATTR_TUN_FLAGS"):
        values.setdefault(name, 0)
    return values


_FAMILY_AND_PORT = operator.attrgetter("key.family", "key.port")
_FAMILY = operator.attrgetter("key.family")
_ADDRESS = operator.attrgetter("key.address")
_OPTIONS = operator.itemgetter(slice(1, None))  # Dest.setting()


def dest_setting(dest: Dest) -> tuple:
    """Everything of ``dest`` that ``dest_dump_values`` encodes, but the address."""
    return _FAMILY_AND_PORT(dest), _OPTIONS(dest)


def dest_settings(dests) -> list:
    """``dest_setting`` of each of ``dests``.

    This and ``dest_addresses`` run once per expected real server of a table read, so
    they chain built-in iterators rather than run a Python frame per server. In the test
    VM that saved little: the index they feed still costs ~15 us per server there,
    mostly in allocating the keys."""
    return list(zip(map(_FAMILY_AND_PORT, dests), map(_OPTIONS, dests)))


def dest_addresses(dests) -> list:
    """``address_bytes`` of each of ``dests``' addresses."""
    packed = map(socket.inet_pton, map(FAMILIES.__getitem__, map(_FAMILY, dests)), map(_ADDRESS, dests))
    return list(map(bytes.ljust, packed, itertools.repeat(ADDRESS_SIZE), itertools.repeat(b"\0")))


def decode_dest(get, service_family: str) -> Dest:
    family = FAMILY_NAMES.get(get("IPVS_DEST_ATTR_ADDR_FAMILY"), service_family)
    method = FORWARDING_NAMES.get((get("IPVS_DEST_ATTR_FWD_METHOD") or 0) & nl.FWD_MASK, MASQUERADE)
    key = DestKey(family, address_text(family, get("IPVS_DEST_ATTR_ADDR")), get("IPVS_DEST_ATTR_PORT") or 0)
    tunnel = ("", 0, "")
    if method == TUNNEL:
        kind = TUNNEL_TYPE_NAMES.get(get("IPVS_DEST_ATTR_TUN_TYPE") or 0, "ipip")
        checksum = "" if kind == "ipip" else TUNNEL_CHECKSUM_NAMES.get(get("IPVS_DEST_ATTR_TUN_FLAGS") or 0, "csum")
        tunnel = (kind, (get("IPVS_DEST_ATTR_TUN_PORT") or 0) if kind == "gue" else 0, checksum)
    return Dest(
        key,
        method,
        get("IPVS_DEST_ATTR_WEIGHT") or 0,
        get("IPVS_DEST_ATTR_U_THRESH") or 0,
        get("IPVS_DEST_ATTR_L_THRESH") or 0,
        *tunnel,
    )


def decode_stats(nest) -> tuple[dict, dict]:
    """Counters and rates from a STATS64 (or, on old kernels, STATS) nest."""
    get = nest.get_attr if nest is not None else (lambda name: None)
    stats = {name: get("IPVS_STATS_ATTR_" + name.upper()) or 0 for name in STATS_FIELDS}
    rates = {name: get("IPVS_STATS_ATTR_" + name.upper()) or 0 for name in RATE_FIELDS}
    return stats, rates


def decode_dest_state(nest, service_family: str) -> DestState:
    get = nest.get_attr
    stats, rates = decode_stats(get("IPVS_DEST_ATTR_STATS64") or get("IPVS_DEST_ATTR_STATS"))
    return DestState(
        dest=decode_dest(get, service_family),
        active_connections=get("IPVS_DEST_ATTR_ACTIVE_CONNS") or 0,
        inactive_connections=get("IPVS_DEST_ATTR_INACT_CONNS") or 0,
        persistent_connections=get("IPVS_DEST_ATTR_PERSIST_CONNS") or 0,
        stats=stats,
        rates=rates,
    )


def decode_service_state(nest) -> ServiceState:
    get = nest.get_attr
    stats, rates = decode_stats(get("IPVS_SVC_ATTR_STATS64") or get("IPVS_SVC_ATTR_STATS"))
    return ServiceState(service=decode_service(get), stats=stats, rates=rates)
