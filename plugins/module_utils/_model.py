# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed model of the IPVS table and its conversion to and from netlink attributes.

Everything here is pure: no socket, no kernel. ``Service`` and ``Dest`` hold
only what an operator configures; counters and rates live beside them in
``ServiceState``/``DestState``. Values are canonical (addresses in their
shortest text form, flags as sorted names) so that equality means "the kernel
would not change".
"""

from __future__ import annotations

import functools
import re
import socket
import struct
from dataclasses import dataclass, field

from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

try:
    import netaddr

    HAS_NETADDR = True
    NETADDR_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test sanity
    HAS_NETADDR = False
    NETADDR_IMPORT_ERROR = exc

FAMILIES = {"ipv4": socket.AF_INET, "ipv6": socket.AF_INET6}
FAMILY_NAMES = {number: name for name, number in FAMILIES.items()}
HOST_PREFIX = {"ipv4": 32, "ipv6": 128}

PROTOCOLS = {"tcp": socket.IPPROTO_TCP, "udp": socket.IPPROTO_UDP, "sctp": 132}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}

FORWARDING_METHODS = {
    "masquerade": nl.FWD_MASQ,
    "local": nl.FWD_LOCALNODE,
    "tunnel": nl.FWD_TUNNEL,
    "route": nl.FWD_DROUTE,
    "bypass": nl.FWD_BYPASS,
}
FORWARDING_NAMES = {number: name for name, number in FORWARDING_METHODS.items()}

TUNNEL_TYPES = {"ipip": nl.TUN_TYPE_IPIP, "gue": nl.TUN_TYPE_GUE, "gre": nl.TUN_TYPE_GRE}
TUNNEL_TYPE_NAMES = {number: name for name, number in TUNNEL_TYPES.items()}
TUNNEL_CHECKSUMS = {"nocsum": nl.TUN_F_NOCSUM, "csum": nl.TUN_F_CSUM, "remcsum": nl.TUN_F_REMCSUM}
TUNNEL_CHECKSUM_NAMES = {number: name for name, number in TUNNEL_CHECKSUMS.items()}

SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
DEFAULT_SCHEDULER = "wlc"
DEFAULT_PERSISTENCE_TIMEOUT = 300
PERSISTENCE_ENGINES = ("sip",)

# Scheduler flags are three generic bits whose meaning belongs to the scheduler.
SCHEDULER_FLAGS = {
    "sh": {"sh-fallback": nl.SVC_F_SCHED1, "sh-port": nl.SVC_F_SCHED2},
    "mh": {"mh-fallback": nl.SVC_F_SCHED1, "mh-port": nl.SVC_F_SCHED2},
}
_GENERIC_SCHED_FLAGS = {"flag-1": nl.SVC_F_SCHED1, "flag-2": nl.SVC_F_SCHED2, "flag-3": nl.SVC_F_SCHED3}

MAX_PORT = 65535
MAX_FWMARK = 0xFFFFFFFF
MAX_WEIGHT = 2147483647
MAX_THRESHOLD = 65535
MAX_TIMEOUT = 0xFFFFFFFF // 1000  # the kernel keeps the timeout in jiffies
_ADDR_LEN = 16  # union nf_inet_addr


# --------------------------------------------------------------------------- addresses


def parse_address(text: str, what: str) -> tuple[str, str]:
    """Return ``(family, canonical text)`` of a single host address."""
    raw = str(text).strip()
    if raw.startswith("[") and raw.endswith("]"):
        raw = raw[1:-1]
    if not raw or "/" in raw:
        raise IpvsError("%s %r is not a single IPv4 or IPv6 address" % (what, text))
    parsed = _parse_host(raw)
    if parsed is None:
        raise IpvsError("%s %r is not a valid IPv4 or IPv6 address" % (what, text))
    return parsed


@functools.lru_cache(maxsize=4096)
def _parse_host(raw: str):
    # inet_pton is what netaddr's INET_PTON mode does underneath, minus its objects;
    # tables repeat addresses, hence the cache
    for family, number in FAMILIES.items():
        try:
            return family, socket.inet_ntop(number, socket.inet_pton(number, raw))
        except (OSError, ValueError):
            continue
    return None


def address_bytes(family: str, address: str) -> bytes:
    """The 16-byte ``nf_inet_addr`` the kernel expects for any family."""
    return socket.inet_pton(FAMILIES[family], address).ljust(_ADDR_LEN, b"\0")


def address_text(family: str, raw: bytes) -> str:
    size = 4 if family == "ipv4" else 16
    return socket.inet_ntop(FAMILIES[family], bytes(raw[:size]))


def host_port(family: str, address: str, port: int) -> str:
    return "[%s]:%d" % (address, port) if family == "ipv6" else "%s:%d" % (address, port)


# --------------------------------------------------------------------------- numbers


def is_decimal(text: str) -> bool:
    """Only ASCII digits: str.isdigit() also accepts "²" and other digits int() refuses."""
    return text.isascii() and text.isdigit()


# --------------------------------------------------------------------------- interfaces

IFNAMSIZ = 16  # with the kernel's terminating NUL


_INTERFACE = re.compile(r"[A-Za-z0-9_.@+-]{1,%d}\Z" % (IFNAMSIZ - 1))


def interface_name(value, what: str) -> str:
    """A network device name: within the kernel's rules (1-15 characters, not "." or "..",
    no "/", ":" or whitespace), and only of characters that every configuration file the
    collection writes can carry unquoted."""
    text = value if isinstance(value, str) else ""
    if not _INTERFACE.match(text) or text in (".", ".."):
        shown = value if not isinstance(value, str) or len(value) <= 40 else value[:37] + "..."
        raise IpvsError("%s %r is not a valid interface name (1-%d letters, digits or _.@+-)" % (what, shown, IFNAMSIZ - 1))
    return text


# --------------------------------------------------------------------------- netmask


def parse_netmask(value, family: str) -> int:
    """Persistence netmask as a prefix length: ``24``, ``"24"``, ``"/24"`` or, for IPv4,
    a dotted mask such as ``"255.255.255.0"``."""
    text = str(value).strip().lstrip("/")
    limit = HOST_PREFIX[family]
    if is_decimal(text):
        prefix = int(text)
        if not 1 <= prefix <= limit:
            raise IpvsError("persistence_netmask %r is out of range for %s: use 1..%d" % (value, family, limit))
        return prefix
    if family == "ipv4":
        try:
            mask = netaddr.IPAddress(text, flags=netaddr.INET_PTON)
        except (netaddr.AddrFormatError, ValueError):
            mask = None
        if mask is not None and mask.version == 4 and mask.is_netmask() and int(mask):
            return mask.netmask_bits()
    raise IpvsError(
        "persistence_netmask %r is not valid for %s: give a prefix length%s"
        % (value, family, " or a dotted netmask such as 255.255.255.0" if family == "ipv4" else " 1..128")
    )


def netmask_bytes(family: str, prefix: int) -> bytes:
    # IPv4 travels as the be32 mask itself, IPv6 as a host-order prefix length
    if family == "ipv4":
        return struct.pack(">I", (0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF)
    return struct.pack("=I", prefix)


def netmask_prefix(family: str, raw: bytes) -> int:
    if family == "ipv4":
        return bin(struct.unpack(">I", bytes(raw[:4]))[0]).count("1")
    return struct.unpack("=I", bytes(raw[:4]))[0]


def netmask_text(family: str, prefix: int) -> str:
    if family == "ipv4":
        return str(netaddr.IPAddress((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF))
    return str(prefix)


# --------------------------------------------------------------------------- services


@dataclass(frozen=True, order=True)
class ServiceKey:
    """What identifies a virtual service: (protocol, address, port) or a firewall mark."""

    family: str
    protocol: str
    address: str = ""
    port: int = 0
    fwmark: int = 0

    @property
    def is_fwmark(self) -> bool:
        return self.fwmark != 0

    def label(self) -> str:
        if self.is_fwmark:
            return "FWM %d%s" % (self.fwmark, " IPv6" if self.family == "ipv6" else "")
        return "%s %s" % (self.protocol.upper(), host_port(self.family, self.address, self.port))

    def as_dict(self) -> dict:
        if self.is_fwmark:
            return {"family": self.family, "fwmark": self.fwmark, "protocol": None, "address": None, "port": None}
        return {"family": self.family, "protocol": self.protocol, "address": self.address, "port": self.port, "fwmark": None}


def service_key(protocol=None, address=None, port=None, fwmark=None, family=None) -> ServiceKey:
    """Validate the parts of a service address and build its key."""
    if fwmark is not None:
        if address is not None or port is not None:
            raise IpvsError("a firewall-mark service takes no address or port (got fwmark %s with %s)" % (fwmark, address or "port %s" % port))
        if not 1 <= int(fwmark) <= MAX_FWMARK:
            raise IpvsError("fwmark %s is out of range 1..%d" % (fwmark, MAX_FWMARK))
        # the kernel stores every firewall-mark service as TCP
        return ServiceKey(family=family or "ipv4", protocol="tcp", fwmark=int(fwmark))
    if address is None:
        raise IpvsError("a service needs either address (with protocol and port) or fwmark")
    addr_family, canonical = parse_address(address, "service address")
    if family is not None and family != addr_family:
        raise IpvsError("service address %s is %s but family is %s" % (address, addr_family, family))
    protocol = protocol or "tcp"
    if protocol not in PROTOCOLS:
        raise IpvsError("protocol %r is not one of %s" % (protocol, ", ".join(PROTOCOLS)))
    if port is None:
        raise IpvsError("service %s needs a port (0 means any port and needs persistence)" % address)
    if not 0 <= int(port) <= MAX_PORT:
        raise IpvsError("service port %s is out of range 0..%d" % (port, MAX_PORT))
    return ServiceKey(family=addr_family, protocol=protocol, address=canonical, port=int(port))


@dataclass(frozen=True)
class Service:
    """A virtual service's configuration (what ``ipvsadm -A/-E`` sets)."""

    key: ServiceKey
    scheduler: str = DEFAULT_SCHEDULER
    scheduler_flags: tuple = ()
    persistent: bool = False
    persistence_timeout: int = 0
    persistence_netmask: int = 32
    persistence_engine: str = ""
    one_packet: bool = False

    def as_dict(self) -> dict:
        data = self.key.as_dict()
        data.update(
            scheduler=self.scheduler,
            scheduler_flags=list(self.scheduler_flags),
            persistent=self.persistent,
            persistence_timeout=self.persistence_timeout if self.persistent else None,
            persistence_netmask=netmask_text(self.key.family, self.persistence_netmask) if self.persistent else None,
            persistence_engine=self.persistence_engine or None,
            one_packet=self.one_packet,
        )
        return data


def build_service(
    key: ServiceKey,
    scheduler: str | None = None,
    scheduler_flags=None,
    persistent: bool | None = None,
    persistence_timeout: int | None = None,
    persistence_netmask=None,
    persistence_engine: str | None = None,
    one_packet: bool = False,
) -> Service:
    """Validate a desired service the way ipvsadm would, then normalise it."""
    scheduler = scheduler or DEFAULT_SCHEDULER
    if scheduler not in SCHEDULERS:
        raise IpvsError("scheduler %r is unknown: choose one of %s" % (scheduler, ", ".join(SCHEDULERS)))
    flags = tuple(sorted(set(scheduler_flags or ())))
    allowed = SCHEDULER_FLAGS.get(scheduler, {})
    for flag in flags:
        if flag not in allowed:
            owner = [name for name, table in SCHEDULER_FLAGS.items() if flag in table]
            raise IpvsError(
                "scheduler flag %r has no effect with scheduler %r%s"
                % (
                    flag,
                    scheduler,
                    " (it belongs to %s)" % owner[0] if owner else "; known flags: " + ", ".join(sorted(f for t in SCHEDULER_FLAGS.values() for f in t)),
                )
            )
    implied = [
        name
        for name, value in (
            ("persistence_timeout", persistence_timeout),
            ("persistence_netmask", persistence_netmask),
            ("persistence_engine", persistence_engine),
        )
        if value not in (None, "")
    ]
    if persistent is False and implied:
        raise IpvsError("service %s: %s given but persistent is false" % (key.label(), ", ".join(implied)))
    persistent = bool(persistent) or bool(implied)
    if persistent and persistence_timeout is None:
        persistence_timeout = DEFAULT_PERSISTENCE_TIMEOUT
    if persistent and not 1 <= int(persistence_timeout) <= MAX_TIMEOUT:
        raise IpvsError("persistence_timeout %s is out of range 1..%d seconds" % (persistence_timeout, MAX_TIMEOUT))
    if key.port == 0 and not key.is_fwmark and not persistent:
        raise IpvsError("service %s: port 0 (any port) is only allowed with persistence" % key.label())
    netmask = HOST_PREFIX[key.family] if persistence_netmask is None else parse_netmask(persistence_netmask, key.family)
    engine = persistence_engine or ""
    if engine and engine not in PERSISTENCE_ENGINES:
        raise IpvsError("persistence_engine %r is unknown: choose one of %s" % (engine, ", ".join(PERSISTENCE_ENGINES)))
    if one_packet and key.protocol != "udp" and not key.is_fwmark:
        raise IpvsError("one_packet scheduling only applies to UDP or firewall-mark services, not %s" % key.label())
    return Service(
        key=key,
        scheduler=scheduler,
        scheduler_flags=flags,
        persistent=persistent,
        persistence_timeout=int(persistence_timeout) if persistent else 0,
        persistence_netmask=netmask if persistent else HOST_PREFIX[key.family],
        persistence_engine=engine,
        one_packet=bool(one_packet),
    )


def service_flag_bits(service: Service) -> int:
    bits = nl.SVC_F_PERSISTENT if service.persistent else 0
    if service.one_packet:
        bits |= nl.SVC_F_ONEPACKET
    names = dict(_GENERIC_SCHED_FLAGS, **SCHEDULER_FLAGS.get(service.scheduler, {}))
    for flag in service.scheduler_flags:
        bits |= names[flag]
    return bits


def _scheduler_flag_names(scheduler: str, bits: int) -> tuple:
    names = SCHEDULER_FLAGS.get(scheduler, {})
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


# --------------------------------------------------------------------------- real servers


@dataclass(frozen=True, order=True)
class DestKey:
    family: str
    address: str
    port: int

    def label(self) -> str:
        return host_port(self.family, self.address, self.port)


@dataclass(frozen=True)
class Dest:
    """A real server's configuration (what ``ipvsadm -a/-e`` sets)."""

    key: DestKey
    forwarding_method: str = "route"
    weight: int = 1
    upper_threshold: int = 0
    lower_threshold: int = 0
    tunnel_type: str = ""
    tunnel_port: int = 0
    tunnel_checksum: str = ""

    def as_dict(self) -> dict:
        return {
            "address": self.key.address,
            "port": self.key.port,
            "family": self.key.family,
            "forwarding_method": self.forwarding_method,
            "weight": self.weight,
            "upper_threshold": self.upper_threshold,
            "lower_threshold": self.lower_threshold,
            "tunnel_type": self.tunnel_type or None,
            "tunnel_port": self.tunnel_port or None,
            "tunnel_checksum": self.tunnel_checksum or None,
        }


def build_dest(
    service: ServiceKey,
    address: str,
    port: int | None = None,
    forwarding_method: str | None = None,
    weight: int | None = None,
    upper_threshold: int | None = None,
    lower_threshold: int | None = None,
    tunnel_type: str | None = None,
    tunnel_port: int | None = None,
    tunnel_checksum: str | None = None,
) -> Dest:
    """Validate a real server for ``service`` and normalise it as ipvsadm does."""
    family, canonical = parse_address(address, "real server address")
    method = forwarding_method or "route"
    if method not in FORWARDING_METHODS:
        raise IpvsError("forwarding_method %r is not one of %s" % (method, ", ".join(FORWARDING_METHODS)))
    where = _ServerLabel(canonical, service)
    if family != service.family and method != "tunnel":
        raise IpvsError("%s: an %s real server behind an %s service needs forwarding_method tunnel, not %s" % (where, family, service.family, method))
    if family == "ipv6" and netaddr.IPAddress(canonical).is_link_local():
        raise IpvsError("%s: IPv6 link-local addresses cannot be real servers" % where)
    if port is not None and not 0 <= int(port) <= MAX_PORT:
        raise IpvsError("%s: port %s is out of range 0..%d" % (where, port, MAX_PORT))
    if not service.is_fwmark and method in ("route", "tunnel"):
        # DR and TUN cannot rewrite the port: ipvsadm forces the service port, so do we
        port = service.port
    elif port is None:
        port = service.port
    weight = 1 if weight is None else int(weight)
    if not 0 <= weight <= MAX_WEIGHT:
        raise IpvsError("%s: weight %s is out of range 0..%d" % (where, weight, MAX_WEIGHT))
    upper = int(upper_threshold or 0)
    lower = int(lower_threshold or 0)
    for name, value in (("upper_threshold", upper), ("lower_threshold", lower)):
        if not 0 <= value <= MAX_THRESHOLD:
            raise IpvsError("%s: %s %s is out of range 0..%d" % (where, name, value, MAX_THRESHOLD))
    if upper and lower > upper:
        raise IpvsError("%s: lower_threshold %d is above upper_threshold %d" % (where, lower, upper))
    tunnel = _tunnel_options(where, method, tunnel_type, tunnel_port, tunnel_checksum)
    return Dest(DestKey(family, canonical, int(port)), method, weight, upper, lower, *tunnel)


class _ServerLabel:
    """ "real server A of SERVICE", formatted only when an error message needs it."""

    __slots__ = ("address", "service")

    def __init__(self, address: str, service: ServiceKey):
        self.address, self.service = address, service

    def __str__(self) -> str:
        return "real server %s of %s" % (self.address, self.service.label())


def _tunnel_options(where, method, tunnel_type, tunnel_port, tunnel_checksum) -> tuple:
    if method != "tunnel":
        given = [name for name, value in (("tunnel_type", tunnel_type), ("tunnel_port", tunnel_port), ("tunnel_checksum", tunnel_checksum)) if value]
        if given:
            raise IpvsError("%s: %s only apply to forwarding_method tunnel, not %s" % (where, ", ".join(given), method))
        return "", 0, ""
    kind = tunnel_type or "ipip"
    if kind not in TUNNEL_TYPES:
        raise IpvsError("%s: tunnel_type %r is not one of %s" % (where, kind, ", ".join(TUNNEL_TYPES)))
    if kind == "gue":
        if not tunnel_port or not 1 <= int(tunnel_port) <= MAX_PORT:
            raise IpvsError("%s: tunnel_type gue needs tunnel_port 1..%d" % (where, MAX_PORT))
    elif tunnel_port:
        raise IpvsError("%s: tunnel_port only applies to tunnel_type gue, not %s" % (where, kind))
    checksum = tunnel_checksum or ("" if kind == "ipip" else "nocsum")
    if kind == "ipip" and checksum:
        raise IpvsError("%s: tunnel_checksum only applies to tunnel_type gue or gre, not ipip" % where)
    if checksum and checksum not in TUNNEL_CHECKSUMS:
        raise IpvsError("%s: tunnel_checksum %r is not one of %s" % (where, checksum, ", ".join(TUNNEL_CHECKSUMS)))
    if checksum == "remcsum" and kind != "gue":
        raise IpvsError("%s: tunnel_checksum remcsum only applies to tunnel_type gue" % where)
    return kind, int(tunnel_port or 0), checksum


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
        ["IPVS_DEST_ATTR_FWD_METHOD", FORWARDING_METHODS[dest.forwarding_method]],
        ["IPVS_DEST_ATTR_WEIGHT", dest.weight],
        ["IPVS_DEST_ATTR_U_THRESH", dest.upper_threshold],
        ["IPVS_DEST_ATTR_L_THRESH", dest.lower_threshold],
    ]
    if dest.forwarding_method == "tunnel":
        attrs += [
            ["IPVS_DEST_ATTR_TUN_TYPE", TUNNEL_TYPES[dest.tunnel_type]],
            ["IPVS_DEST_ATTR_TUN_PORT", dest.tunnel_port],
            ["IPVS_DEST_ATTR_TUN_FLAGS", TUNNEL_CHECKSUMS.get(dest.tunnel_checksum, 0)],
        ]
    return attrs


def decode_dest(get, service_family: str) -> Dest:
    family = FAMILY_NAMES.get(get("IPVS_DEST_ATTR_ADDR_FAMILY"), service_family)
    method = FORWARDING_NAMES.get((get("IPVS_DEST_ATTR_FWD_METHOD") or 0) & nl.FWD_MASK, "masquerade")
    key = DestKey(family, address_text(family, get("IPVS_DEST_ATTR_ADDR")), get("IPVS_DEST_ATTR_PORT") or 0)
    tunnel = ("", 0, "")
    if method == "tunnel":
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


# --------------------------------------------------------------------------- observed state

STATS_FIELDS = ("conns", "inpkts", "outpkts", "inbytes", "outbytes")
RATE_FIELDS = ("cps", "inpps", "outpps", "inbps", "outbps")


def decode_stats(nest) -> tuple[dict, dict]:
    """Counters and rates from a STATS64 (or, on old kernels, STATS) nest."""
    get = nest.get_attr if nest is not None else (lambda name: None)
    stats = {name: get("IPVS_STATS_ATTR_" + name.upper()) or 0 for name in STATS_FIELDS}
    rates = {name: get("IPVS_STATS_ATTR_" + name.upper()) or 0 for name in RATE_FIELDS}
    return stats, rates


@dataclass
class DestState:
    dest: Dest
    active_connections: int = 0
    inactive_connections: int = 0
    persistent_connections: int = 0
    stats: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        data = self.dest.as_dict()
        data.update(
            active_connections=self.active_connections,
            inactive_connections=self.inactive_connections,
            persistent_connections=self.persistent_connections,
            stats=self.stats,
            rates=self.rates,
        )
        return data


@dataclass
class ServiceState:
    service: Service
    stats: dict = field(default_factory=dict)
    rates: dict = field(default_factory=dict)
    dests: dict = field(default_factory=dict)  # DestKey -> DestState

    def as_dict(self) -> dict:
        data = self.service.as_dict()
        data.update(stats=self.stats, rates=self.rates, servers=[self.dests[key].as_dict() for key in sorted(self.dests)])
        return data


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
