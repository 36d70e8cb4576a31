# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read ``ipvsadm -S`` / ``ipvsadm -Sn`` files into the desired table.

A save file holds ``-A`` (service) and ``-a`` (real server) lines with the
options ipvsadm writes, short or long. ``ipvsadm -S`` without ``-n`` writes
host and port names; they are resolved as ipvsadm -R would. Blank lines and
``#`` comments are skipped. Every error names the file, the line and the token.
"""

from __future__ import annotations

import socket

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._plan import DesiredService

_SERVICE_TYPES = {
    "-t": "tcp",
    "--tcp-service": "tcp",
    "-u": "udp",
    "--udp-service": "udp",
    "--sctp-service": "sctp",
    "-f": "fwmark",
    "--fwmark-service": "fwmark",
}
_METHODS = {
    "-g": model.ROUTE,
    "--gatewaying": model.ROUTE,
    "-i": model.TUNNEL,
    "--ipip": model.TUNNEL,
    "-m": model.MASQUERADE,
    "--masquerading": model.MASQUERADE,
}
_CHECKSUMS = {"--tun-nocsum": "nocsum", "--tun-csum": "csum", "--tun-remcsum": "remcsum"}
# option -> parameter name; each takes a value
_SERVICE_OPTIONS = {
    "-s": "scheduler",
    "--scheduler": "scheduler",
    "-M": "persistence_netmask",
    "--netmask": "persistence_netmask",
    "--pe": "persistence_engine",
    "-b": "scheduler_flags",
    "--sched-flags": "scheduler_flags",
}
_SERVER_OPTIONS = {
    "-r": "address",
    "--real-server": "address",
    "-w": "weight",
    "--weight": "weight",
    "-x": "upper_threshold",
    "--u-threshold": "upper_threshold",
    "-y": "lower_threshold",
    "--l-threshold": "lower_threshold",
    "--tun-type": "tunnel_type",
    "--tun-port": "tunnel_port",
}
_INTEGERS = ("weight", "upper_threshold", "lower_threshold", "tunnel_port")


class _LineError(Exception):
    def __init__(self, token: str, reason: str):
        super().__init__(reason)
        self.token = token
        self.reason = reason


def read(path: str) -> list:
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise IpvsError("cannot read the save file %s: %s" % (path, exc)) from None
    return parse(text, path)


def parse(text: str, source: str) -> list:
    """The services of a save file as ``DesiredService`` items (each with all its servers)."""
    services: dict = {}
    servers: dict = {}
    defined_at: dict = {}
    for number, line in enumerate(text.splitlines(), start=1):
        words = line.split()
        if not words or words[0].startswith("#"):
            continue
        where = "%s line %d" % (source, number)
        try:
            _read_line(words, services, servers, defined_at, number)
        except _LineError as exc:
            raise IpvsError("%s: %s (at %r in: %s)" % (where, exc.reason, exc.token, line.strip())) from None
        except IpvsError as exc:
            raise IpvsError("%s: %s (in: %s)" % (where, exc.message, line.strip())) from None
    return [DesiredService(service, tuple(servers[key].values())) for key, service in services.items()]


def _read_line(words: list, services: dict, servers: dict, defined_at: dict, number: int) -> None:
    command, rest = words[0], words[1:]
    if command in ("-A", "--add-service"):
        key, options = _service_part(rest)
        service = model.build_service(key, **_service_options(options))
        if key in services:
            raise _LineError(words[2], "service %s is already defined on line %d" % (key.label(), defined_at[key]))
        services[key], servers[key], defined_at[key] = service, {}, number
    elif command in ("-a", "--add-server"):
        key, options = _service_part(rest)
        if key not in services:
            raise _LineError(words[2], "real server for service %s, which no earlier -A line defines" % key.label())
        dest = model.build_dest(key, **_server_options(key, options))
        if dest.key in servers[key]:
            raise _LineError(dest.key.label(), "real server %s is listed twice for %s" % (dest.key.label(), key.label()))
        servers[key][dest.key] = dest
    else:
        raise _LineError(command, "a save file holds -A and -a lines only")


def _service_part(words: list) -> tuple:
    """The service address (-t/-u/--sctp-service ADDR:PORT or -f MARK [-6]) and the remaining options."""
    if not words or words[0] not in _SERVICE_TYPES:
        raise _LineError(words[0] if words else "", "expected -t, -u, --sctp-service or -f with the service address")
    kind = _SERVICE_TYPES[words[0]]
    value = _value(words, 0)
    options = words[2:]
    if kind != "fwmark":
        address, port = _host_port(value, kind, required_port=True)
        return model.service_key(protocol=kind, address=address, port=port), options
    ipv6 = [word for word in options if word in ("-6", "--ipv6")]
    options = [word for word in options if word not in ("-6", "--ipv6")]
    return model.service_key(fwmark=_integer(value), family="ipv6" if ipv6 else "ipv4"), options


_SERVICE_FLAGS = {"-p": ("persistent", True), "--persistent": ("persistent", True), "-o": ("one_packet", True), "--ops": ("one_packet", True)}
_SERVER_FLAGS = dict(
    {option: ("forwarding_method", method) for option, method in _METHODS.items()},
    **{option: ("tunnel_checksum", checksum) for option, checksum in _CHECKSUMS.items()},
)


def _service_options(words: list) -> dict:
    params = _options(words, _SERVICE_OPTIONS, _SERVICE_FLAGS, "a service")
    if "scheduler_flags" in params:
        params["scheduler_flags"] = params["scheduler_flags"].split(",")
    return params


def _server_options(key: model.ServiceKey, words: list) -> dict:
    params = _options(words, _SERVER_OPTIONS, _SERVER_FLAGS, "a real server")
    if "address" not in params:
        raise _LineError(words[0] if words else "", "a real server line needs -r ADDRESS[:PORT]")
    for name in _INTEGERS:
        if name in params:
            params[name] = _integer(params[name])
    protocol = "tcp" if key.is_fwmark else key.protocol
    params["address"], params["port"] = _host_port(params["address"], protocol, required_port=False)
    return params


def _options(words: list, valued: dict, flags: dict, what: str) -> dict:
    """Options that take a value (``valued``: option -> parameter) and flags
    (``flags``: option -> (parameter, value)) as parameters."""
    params: dict = {}
    given: dict = {}  # parameter -> the option that set it
    index = 0
    while index < len(words):
        word = words[index]
        if word not in valued and word not in flags:
            raise _LineError(word, "unknown option for %s" % what)
        name = valued[word] if word in valued else flags[word][0]
        if name in given:
            # ipvsadm -R refuses a repeated option; taking the last one would hide a typo
            raise _LineError(word, "%s repeats %s" % (word, given[name]) if word != given[name] else "option %s is given twice" % word)
        given[name] = word
        if word in valued:
            params[name] = _value(words, index)
            index += 2
            continue
        params[name] = flags[word][1]
        index += 1
        # ipvsadm's -p takes an optional timeout
        if name == "persistent" and index < len(words) and model.is_decimal(words[index]):
            params["persistence_timeout"] = int(words[index])
            index += 1
    return params


def _value(words: list, index: int) -> str:
    if index + 1 >= len(words) or (words[index + 1].startswith("-") and not model.is_decimal(words[index + 1][1:])):
        raise _LineError(words[index], "option %s needs a value" % words[index])
    return words[index + 1]


def _integer(text: str) -> int:
    if not model.is_decimal(text.lstrip("-")):
        raise _LineError(text, "not a number")
    return int(text)


def _host_port(text: str, protocol: str, required_port: bool) -> tuple:
    """Split ``host:port`` / ``[v6]:port`` (port optional for real servers); resolve names."""
    if text.startswith("["):
        host, _bracket, tail = text[1:].partition("]")
        port = tail[1:] if tail.startswith(":") else None
    elif text.count(":") == 1:
        host, port = text.split(":")
    else:
        host, port = text, None
    if port in (None, ""):
        if required_port:
            raise _LineError(text, "a service address needs a port (ADDRESS:PORT or [IPv6]:PORT)")
        return _resolve_host(host), None
    return _resolve_host(host), _resolve_port(port, protocol)


def _resolve_host(host: str) -> str:
    try:
        return model.parse_address(host, "address")[1]
    except IpvsError:
        pass
    if not host.isascii():
        # the resolver would fold e.g. "²" into "2" (0.0.0.2); ipvsadm refuses such names
        raise _LineError(host, "neither an IP address nor a host name that resolves")
    try:
        return socket.getaddrinfo(host, None)[0][4][0]
    except (OSError, UnicodeError):
        raise _LineError(host, "neither an IP address nor a host name that resolves") from None


def _resolve_port(port: str, protocol: str) -> int:
    if model.is_decimal(port):
        return int(port)
    try:
        return socket.getservbyname(port, "tcp" if protocol == "sctp" else protocol)
    except OSError:
        raise _LineError(port, "neither a port number nor a service name known to /etc/services") from None
