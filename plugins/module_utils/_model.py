# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed model of the IPVS table: the one definition of services, real servers, their
options, defaults and ranges, for the modules and the controller-side filters alike.

Everything here is pure: no socket, no kernel, no netlink (``_wire`` turns the model
into attributes and back), so the controller imports it without pyroute2. ``Service`` and ``Dest`` hold
only what an operator configures; counters and rates live beside them in
``ServiceState``/``DestState``. Values are canonical (addresses in their
shortest text form, flags as sorted names) so that equality means "the kernel
would not change".
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import socket
import struct
from dataclasses import dataclass, field
from typing import NamedTuple

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

# Forwarding methods: the three an operator configures (LVS's own names for them beside),
# and the two the kernel may report for a real server.
ROUTE, TUNNEL, MASQUERADE = "route", "tunnel", "masquerade"
DEFAULT_METHOD = ROUTE
CONFIGURED_METHODS = {ROUTE: "DR", TUNNEL: "TUN", MASQUERADE: "NAT"}
FORWARDING_METHODS = (MASQUERADE, "local", TUNNEL, ROUTE, "bypass")

TUNNEL_TYPES = ("ipip", "gue", "gre")
TUNNEL_CHECKSUMS = ("nocsum", "csum", "remcsum")

SCHEDULERS = ("rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos")
DEFAULT_SCHEDULER = "wlc"
DEFAULT_PERSISTENCE_TIMEOUT = 300
PERSISTENCE_ENGINES = ("sip",)

# Scheduler flags are three generic bits whose meaning belongs to the scheduler: the
# names each scheduler gives the first two, and the generic names of all three.
SCHEDULER_FLAGS = {"sh": ("sh-fallback", "sh-port"), "mh": ("mh-fallback", "mh-port")}
GENERIC_SCHEDULER_FLAGS = ("flag-1", "flag-2", "flag-3")

# The options of a service and of a real server, by the names every interface uses (the
# modules' arguments, the inventory's lvs_services, the save file's parser).
SERVICE_IDENTITY = ("protocol", "address", "port", "fwmark", "family")
SERVICE_OPTIONS = ("scheduler", "scheduler_flags", "persistent", "persistence_timeout", "persistence_netmask", "persistence_engine", "one_packet")
TUNNEL_OPTIONS = ("tunnel_type", "tunnel_port", "tunnel_checksum")
SERVER_OPTIONS = ("port", "forwarding_method", "weight", "upper_threshold", "lower_threshold", *TUNNEL_OPTIONS)
# the key of a Service or a Dest, for built-in iterators over many of them
KEY_OF = operator.attrgetter("key")

MAX_PORT = 65535
MAX_FWMARK = 0xFFFFFFFF
MAX_WEIGHT = 2147483647
MAX_THRESHOLD = 65535
MAX_TIMEOUT = 0xFFFFFFFF // 1000  # the kernel keeps the timeout in jiffies


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
    family = "ipv6" if ":" in raw else "ipv4"
    try:
        packed = socket.inet_pton(FAMILIES[family], raw)
    except (OSError, ValueError):
        return None
    # the only IPv4 text inet_pton takes is four decimal numbers without leading zeros,
    # which is already the canonical form
    return family, raw if family == "ipv4" else socket.inet_ntop(socket.AF_INET6, packed)


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


def netmask_text(family: str, prefix: int) -> str:
    if family == "ipv4":
        return str(netaddr.IPAddress((0xFFFFFFFF << (32 - prefix)) & 0xFFFFFFFF))
    return str(prefix)


# --------------------------------------------------------------------------- services


class ServiceKey(NamedTuple):
    """What identifies a virtual service: (protocol, address, port) or a firewall mark.
    A tuple, as DestKey: every table read, planned or checked looks services up by it."""

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
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        raise IpvsError("protocol %r is not one of %s" % (protocol, ", ".join(PROTOCOLS)))
    if port is None:
        raise IpvsError("service %s needs a port (0 means any port and needs persistence)" % address)
    if not 0 <= int(port) <= MAX_PORT:
        raise IpvsError("service port %s is out of range 0..%d" % (port, MAX_PORT))
    return ServiceKey(family=addr_family, protocol=protocol, address=canonical, port=int(port))


class Service(NamedTuple):
    """A virtual service's configuration (what ``ipvsadm -A/-E`` sets); a tuple, as DestKey."""

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


# --------------------------------------------------------------------------- marked traffic


@dataclass(frozen=True)
class MarkedTraffic:
    """Packets a firewall-mark service groups (its ``match``): to one address, of one
    protocol, on some destination ports, as ``(first, last)`` ranges."""

    family: str
    protocol: str
    address: str
    ports: tuple  # () for every port

    def label(self) -> str:
        ports = ",".join(str(first) if first == last else "%d-%d" % (first, last) for first, last in self.ports) or "any port"
        return "%s %s:%s" % (self.protocol, "[%s]" % self.address if self.family == "ipv6" else self.address, ports)


MATCH_KEYS = ("address", "protocol", "ports")


def _port_range(value, what: str) -> tuple:
    text = str(value) if isinstance(value, (int, str)) and not isinstance(value, bool) else ""
    first, _dash, last = text.partition("-")
    if is_decimal(first) and (not last or is_decimal(last)):
        low, high = int(first), int(last or first)
        if 1 <= low <= high <= MAX_PORT:
            return low, high
    raise IpvsError("%s %r is not a port 1..%d or a range of them such as 8000-8099" % (what, value, MAX_PORT))


def _merged(ranges) -> tuple:
    merged = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(last, merged[-1][1]))
        else:
            merged.append((first, last))
    return tuple(merged)


def marked_traffic(key: ServiceKey, match, what: str) -> tuple:
    """The ``match`` of a firewall-mark service: a list of ``{address, protocol, ports}``
    (protocol tcp when not given; ports as numbers or ranges "8000-8099"), each address of
    the service's family. ``what`` names the list in messages."""
    if not key.is_fwmark:
        raise IpvsError("%s groups packets for a firewall-mark service; %s has no fwmark" % (what, key.label()))
    if not isinstance(match, list) or not match:
        raise IpvsError("%s must be a non-empty list of {address, protocol, ports}" % what)
    traffic = []
    for index, item in enumerate(match):
        where = "%s[%d]" % (what, index)
        if not isinstance(item, dict):
            raise IpvsError("%s must be a dict with address, protocol and ports" % where)
        unknown = sorted(set(item) - set(MATCH_KEYS))
        if unknown:
            raise IpvsError("%s: unknown key %s (known: %s)" % (where, ", ".join(map(repr, unknown)), ", ".join(MATCH_KEYS)))
        family, address = parse_address(item.get("address", ""), where + ".address")
        if family != key.family:
            raise IpvsError("%s.address %s is %s, but %s is %s" % (where, address, family, key.label(), key.family))
        protocol = item.get("protocol") or "tcp"
        if not isinstance(protocol, str) or protocol not in PROTOCOLS:
            raise IpvsError("%s.protocol %r is not one of %s" % (where, protocol, ", ".join(PROTOCOLS)))
        ports = item.get("ports")
        if not isinstance(ports, list) or not ports:
            raise IpvsError("%s.ports must be a non-empty list of ports or ranges, got %r" % (where, ports))
        ranges = _merged(_port_range(port, "%s.ports[%d]" % (where, number)) for number, port in enumerate(ports))
        traffic.append(MarkedTraffic(family, protocol, address, ranges))
    return tuple(traffic)


def overlapping(first: MarkedTraffic, second: MarkedTraffic) -> bool:
    """Whether some packet matches both."""
    if (first.family, first.protocol, first.address) != (second.family, second.protocol, second.address):
        return False
    if not first.ports or not second.ports:
        return True
    return any(a <= d and c <= b for a, b in first.ports for c, d in second.ports)


def served_traffic(key: ServiceKey) -> MarkedTraffic:
    """The packets a service of an address takes: its port, or every port for port 0."""
    return MarkedTraffic(key.family, key.protocol, key.address, ((key.port, key.port),) if key.port else ())


# --------------------------------------------------------------------------- real servers


class DestKey(NamedTuple):
    """What identifies a real server within its service. A tuple: tables key their servers
    by it, and a tuple hashes, compares and is built in C (a frozen dataclass does all
    three in Python, for every real server of every table read or planned)."""

    family: str
    address: str
    port: int

    def label(self) -> str:
        return host_port(self.family, self.address, self.port)


class Dest(NamedTuple):
    """A real server's configuration (what ``ipvsadm -a/-e`` sets); a tuple, as DestKey."""

    key: DestKey
    forwarding_method: str = DEFAULT_METHOD
    weight: int = 1
    upper_threshold: int = 0
    lower_threshold: int = 0
    tunnel_type: str = ""
    tunnel_port: int = 0
    tunnel_checksum: str = ""

    def setting(self) -> tuple:
        """Every field but the key, in order."""
        return self[1:]

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
    method = forwarding_method or DEFAULT_METHOD
    if method not in FORWARDING_METHODS:
        raise IpvsError("forwarding_method %r is not one of %s" % (method, ", ".join(FORWARDING_METHODS)))
    where = _ServerLabel(canonical, service)
    if family != service.family and method != TUNNEL:
        raise IpvsError("%s: an %s real server behind an %s service needs forwarding_method tunnel, not %s" % (where, family, service.family, method))
    if _link_local(family, canonical):
        raise IpvsError("%s: IPv6 link-local addresses cannot be real servers" % where)
    if port is not None and not 0 <= int(port) <= MAX_PORT:
        raise IpvsError("%s: port %s is out of range 0..%d" % (where, port, MAX_PORT))
    if not service.is_fwmark and method in (ROUTE, TUNNEL):
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
    tunnel = tunnel_options(where, method, tunnel_type, tunnel_port, tunnel_checksum)
    return Dest(DestKey(family, canonical, int(port)), method, weight, upper, lower, *tunnel)


def build_dests(service: ServiceKey, servers, checked: dict) -> tuple:
    """``build_dest`` for each of ``servers`` (dicts of ``address`` and SERVER_OPTIONS).

    The servers of a table mostly share their settings. ``checked`` (kept across the
    services of one table) holds each setting already checked, with the family, port and
    options of the Dest it gave: a later server with that setting and an address of the
    same family only has its address parsed, since nothing else build_dest checks
    depends on the address."""
    identity = (service.family, service.port, service.fwmark)
    dests = _checked_ipv4_dests(identity, servers, checked)
    if dests is not None:
        return dests
    dests = []
    for server in servers:
        setting = (*identity, *map(server.get, SERVER_OPTIONS))
        known = checked.get(setting)
        if known is not None:
            # a plain address (inet_pton refuses spaces, brackets and prefixes) needs no more
            known_family, port, options = known
            address = server["address"]
            family, canonical = (isinstance(address, str) and _parse_host(address)) or parse_address(address, "real server address")
            if family == known_family and (family == "ipv4" or not _link_local(family, canonical)):
                dests.append(Dest(DestKey(family, canonical, port), *options))
                continue
        dest = build_dest(service, server["address"], **{name: server.get(name) for name in SERVER_OPTIONS})
        checked[setting] = (dest.key.family, dest.key.port, dest.setting())
        dests.append(dest)
    return tuple(dests)


_SERVER_OPTIONS = operator.itemgetter(*SERVER_OPTIONS)
_SERVER_ADDRESS = operator.itemgetter("address")
_KNOWN_FAMILY, _KNOWN_PORT, _KNOWN_OPTIONS = (operator.itemgetter(position) for position in range(3))
# a NamedTuple's _make runs a Python frame; tuple.__new__ of its class makes the same tuple in C
_NEW_DEST_KEY = functools.partial(tuple.__new__, DestKey)
_NEW_DEST = functools.partial(tuple.__new__, Dest)


def _checked_ipv4_dests(identity: tuple, servers, checked: dict) -> tuple | None:
    """``build_dests`` of a service whose every server has a setting checked before with
    an IPv4 address and a plain IPv4 address itself (the common case: one inventory,
    a few settings), in one pass of built-in iterators, no Python frame per server;
    None for any other service, which the loop of ``build_dests`` takes server by server.

    In the test VM, validating 10,000 servers (1,000 services of ten, ten settings) took
    0.28 s with the loop alone and 0.20 s with this pass (bench/results/table.md). A
    service this pass hands to the loop has had its options and addresses read once more."""
    try:
        # AnsibleModule hands over every option (None when not given); another dict takes the loop
        settings = list(map(tuple.__add__, itertools.repeat(identity), map(_SERVER_OPTIONS, servers)))
        addresses = list(map(_SERVER_ADDRESS, servers))
        # inet_pton takes only four decimal numbers without leading zeros: canonical text
        list(map(socket.inet_pton, itertools.repeat(socket.AF_INET), addresses))
    except (KeyError, TypeError, ValueError, OSError):
        return None
    known = list(map(checked.get, settings))
    if None in known or any(map("ipv4".__ne__, map(_KNOWN_FAMILY, known))):
        return None
    keys = map(_NEW_DEST_KEY, zip(itertools.repeat("ipv4"), addresses, map(_KNOWN_PORT, known)))
    return tuple(map(_NEW_DEST, map(tuple.__add__, zip(keys), map(_KNOWN_OPTIONS, known))))


def _link_local(family: str, canonical: str) -> bool:
    return family == "ipv6" and netaddr.IPAddress(canonical).is_link_local()


class _ServerLabel:
    """ "real server A of SERVICE", formatted only when an error message needs it."""

    __slots__ = ("address", "service")

    def __init__(self, address: str, service: ServiceKey):
        self.address, self.service = address, service

    def __str__(self) -> str:
        return "real server %s of %s" % (self.address, self.service.label())


def tunnel_options(where, method, tunnel_type, tunnel_port, tunnel_checksum) -> tuple:
    """(tunnel type, GUE port, checksum mode) of a real server, as the kernel takes them;
    empty for a server that is not tunnelled. ``tunnel_port`` is an int or None."""
    if method != TUNNEL:
        given = [name for name, value in zip(TUNNEL_OPTIONS, (tunnel_type, tunnel_port, tunnel_checksum)) if value]
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


# What IPVS puts before the inner packet (net/netfilter/ipvs/ip_vs_xmit.c): the outer IP
# header, then for GUE a UDP header and the 4-byte GUE header (8 more for remote checksum
# offload's option), for GRE the 4-byte header (4 more with a checksum).
OUTER_HEADER = {4: 20, 6: 40}
TCP_HEADER = 20


def encapsulation_overhead(kind: str, outer_version: int, checksum: str) -> int:
    """Bytes a tunnelled packet grows by, for tunnel_options' (type, checksum) and the
    outer (the real server's) address family."""
    extra = {"ipip": 0, "gue": 8 + 4 + (8 if checksum == "remcsum" else 0), "gre": 4 + (4 if checksum == "csum" else 0)}[kind]
    return OUTER_HEADER[outer_version] + extra


def tunnelled_mss(path_mtu: int, overhead: int, inner_version: int) -> int:
    """The largest TCP segment a client may send so that, grown by ``overhead`` bytes of
    encapsulation, it still fits ``path_mtu`` on the way to the real server."""
    return path_mtu - overhead - OUTER_HEADER[inner_version] - TCP_HEADER


# --------------------------------------------------------------------------- observed state

STATS_FIELDS = ("conns", "inpkts", "outpkts", "inbytes", "outbytes")
RATE_FIELDS = ("cps", "inpps", "outpps", "inbps", "outbps")


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

    def as_dict(self, ipvsadm_order: bool = True) -> dict:
        """As data; real servers in ipvsadm's order, or the kernel's (ipvsadm --nosort)."""
        keys = ipvsadm_ordered_servers(self.dests) if ipvsadm_order else list(self.dests)
        data = self.service.as_dict()
        data.update(stats=self.stats, rates=self.rates, servers=[self.dests[key].as_dict() for key in keys])
        return data


# ipvsadm sorts what it lists (libipvs ipvs_cmp_services / ipvs_cmp_dests): by fwmark,
# family, protocol, address, port for services and by address, port for real servers.
# Its C code subtracts unsigned 32-bit values into an int, so two addresses more than
# 2**31 apart compare "wrapped"; the same arithmetic here gives ipvsadm's order.


def _wrapped(first: int, second: int) -> int:
    difference = (first - second) & 0xFFFFFFFF
    return difference - (1 << 32) if difference & 0x80000000 else difference


def _address_words(family: str, address: str) -> tuple:
    if not address:
        return (0, 0, 0, 0)
    packed = socket.inet_pton(FAMILIES[family], address).ljust(16, b"\0")
    return struct.unpack(">4I", packed)


def _compare_addresses(family: str, first: tuple, second: tuple) -> int:
    # IPv4 compares the first word only, IPv6 word by word (the family is the first entry's)
    for index in range(4 if family == "ipv6" else 1):
        result = _wrapped(first[index], second[index])
        if result:
            return result
    return 0


def _compare_services(first: ServiceKey, second: ServiceKey) -> int:
    return (
        _wrapped(first.fwmark, second.fwmark)
        or FAMILIES[first.family] - FAMILIES[second.family]
        or PROTOCOLS[first.protocol] - PROTOCOLS[second.protocol]
        or _compare_addresses(first.family, _address_words(first.family, first.address), _address_words(second.family, second.address))
        or first.port - second.port
    )


def _compare_servers(first: DestKey, second: DestKey) -> int:
    words = _address_words(first.family, first.address), _address_words(second.family, second.address)
    return _compare_addresses(first.family, *words) or first.port - second.port


def _same(item):
    return item


def _natural_service(key: ServiceKey) -> tuple:
    return (key.fwmark, FAMILIES[key.family], PROTOCOLS[key.protocol], _address_words(key.family, key.address), key.port)


def _natural_server(key: DestKey) -> tuple:
    return (FAMILIES[key.family], _address_words(key.family, key.address), key.port)


# The wrapped comparison is not transitive (10.x < 100.x < 200.x < 10.x), so what it
# sorts depends on the order it is given: ipvsadm gets the kernel's hash order. Sorting
# first by the plain values makes ours the same for the same table, however it was
# read, so a save file or a listing never changes on its own; where no two values are
# 2**31 apart or more, the result is exactly ipvsadm's.
def ipvsadm_ordered_services(items, key=_same) -> list:
    """``items`` sorted as ipvsadm -L lists services; ``key`` gives each one's ServiceKey."""
    plain = sorted(items, key=lambda item: _natural_service(key(item)))
    by_ipvsadm = functools.cmp_to_key(_compare_services)
    return sorted(plain, key=lambda item: by_ipvsadm(key(item)))


def ipvsadm_ordered_servers(items, key=_same) -> list:
    """``items`` sorted as ipvsadm -L lists a service's real servers; ``key`` gives each one's DestKey."""
    plain = sorted(items, key=lambda item: _natural_server(key(item)))
    by_ipvsadm = functools.cmp_to_key(_compare_servers)
    return sorted(plain, key=lambda item: by_ipvsadm(key(item)))
