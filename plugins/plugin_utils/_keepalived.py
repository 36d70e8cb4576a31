# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""keepalived for a director: VRRP for its VIPs, health-checked services.

Two steps, both on the controller and both pure:

- ``director_keepalived`` reads the inventory's service list (the vocabulary of
  lvs.ipvs.ipvs_table, servers naming inventory hosts) and the director role's VRRP
  settings, and returns the keepalived role's input: VRRP instances, VRRP scripts,
  virtual servers (the services that carry a ``health_check``) and the identities of
  those services, which the module path must leave to keepalived.
- ``render`` turns the keepalived role's input into keepalived.conf text, refusing
  anything keepalived would refuse or silently misread, so errors surface before the
  file is written (keepalived -t then checks the file itself).
"""

from __future__ import annotations

import ipaddress
import math
import re

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology

CHECKS = {"tcp": "TCP_CHECK", "http": "HTTP_GET", "https": "SSL_GET", "misc": "MISC_CHECK"}
NOTIFY = ("master", "backup", "fault", "stop")
# keepalived takes the scheduler flags by the names ipvs_table uses.
SCHEDULER_FLAGS = tuple(flag for flags in model.SCHEDULER_FLAGS.values() for flag in flags) + model.GENERIC_SCHEDULER_FLAGS
IPVS_TRACK_SCRIPT = "lvs_ipvs_table"
# A director is fit to be master only while its IPVS table holds services.
# keepalived runs a script's words itself (no shell), so the pattern needs no quoting.
IPVS_TRACK_COMMAND = "/usr/bin/grep -q -e ^TCP -e ^UDP -e ^SCTP -e ^FWM /proc/net/ip_vs"
SERVICE_CHECK_KEYS = ("health_check", "sorry_server", "quorum", "hysteresis", "quorum_up", "quorum_down", "inhibit_on_failure")


class KeepalivedError(topology.TopologyError):
    """The inventory or the role's input describes a keepalived setup that cannot work."""


def service_identity(service: dict) -> dict:
    """The keys lvs.ipvs.ipvs_table's exclude option takes."""
    return {key: service[key] for key in model.SERVICE_IDENTITY if service.get(key) is not None}


# ----------------------------------------------------------------- from inventory


def director_keepalived(services, hostvars: dict, host: str, settings: dict, variable: str = "director_services") -> dict:
    """The keepalived role's input for one director; see the director role's VRRP variables."""
    owned_entries = topology.director_table(services, hostvars, host, variable, keepalived_owned=True)
    owned = [(index, raw) for index, raw in enumerate(services) if topology.health_checked(raw)]
    virtual_servers = [_virtual_server(entry, raw, host, variable, index) for entry, (index, raw) in zip(owned_entries, owned)]
    instances, scripts = [], []
    if settings.get("vrrp"):
        instances = _instances(services, hostvars, host, settings, variable)
        if settings.get("track_ipvs", True):
            scripts.append({"name": IPVS_TRACK_SCRIPT, "script": IPVS_TRACK_COMMAND, "interval": 2, "fall": 2, "rise": 2})
            for instance in instances:
                instance["track_scripts"] = [IPVS_TRACK_SCRIPT]
    return {
        "vrrp_instances": instances,
        "vrrp_scripts": scripts,
        "virtual_servers": virtual_servers,
        "exclude": [service_identity(raw) for _index, raw in owned],
    }


def _virtual_server(entry: dict, raw: dict, host: str, variable: str, index: int) -> dict:
    where = topology.service_where(host, variable, index, topology.service_label(raw))
    server = dict(entry)
    for key in SERVICE_CHECK_KEYS:
        if raw.get(key) is not None:
            server[key] = raw[key]
    for spec, item in zip(server["servers"], raw.get("servers", [])):
        if item.get("maintenance"):
            spec["maintenance"] = True
    server.pop("state", None)
    _check_virtual_server(server, where)
    # each value as keepalived.conf will carry it, named by the inventory entry it came from
    _render_virtual_server(server, where)
    return server


def _family_of(address: str) -> int:
    return ipaddress.ip_interface(address).version


def _vips(services, host: str, variable: str) -> list:
    """The VIPs of the present services (read from ``variable``): their addresses and those their match groups."""
    vips = []
    for index, service in enumerate(services):
        if isinstance(service, dict) and service.get("state", "present") != "absent":
            where = topology.service_where(host, variable, index, topology.service_label(service))
            vips += [vip for vip in topology.service_vips(service, where) if vip not in vips]
    return vips


def _typed_setting(settings: dict, key: str, kind: type, host: str):
    value = settings.get(key) or kind()
    if not isinstance(value, kind):
        raise KeepalivedError("host '%s': %s must be a %s, got %r" % (host, "director_vrrp_" + key, kind.__name__, value))
    return kind(value)


# What one VRRP instance may set differently from the director_vrrp_* defaults.
INSTANCE_OVERRIDES = ("interface", "priority", "preempt", "preempt_delay", "advert_int", "version", "track_interfaces", "notify")


def _instances(services, hostvars: dict, host: str, settings: dict, variable: str) -> list:
    own = topology.host_addresses(hostvars, host, "host '%s'" % host)
    instances = []
    for group in _address_groups(services, host, settings, variable):
        instance = {
            "name": group["name"],
            "interface": settings.get("interface"),
            "virtual_router_id": group["virtual_router_id"],
            "priority": settings.get("priority", 100),
            "preempt": settings.get("preempt", True),
            "preempt_delay": settings.get("preempt_delay", 0),
            "advert_int": settings.get("advert_int", 1),
            "version": settings.get("version", 2),
            "virtual_ipaddresses": group["addresses"],
            "track_interfaces": _typed_setting(settings, "track_interfaces", list, host),
            "notify": _typed_setting(settings, "notify", dict, host),
            "authenticate": bool(settings.get("authenticate")),
        }
        instance.update({key: group[key] for key in INSTANCE_OVERRIDES if group.get(key) is not None})
        family = _family_of(group["addresses"][0].split()[0])
        if family == 6:
            # VRRPv3 is the only VRRP for IPv6 and it has no authentication (RFC 5798):
            # the auth pass guards the IPv4 instance
            instance["version"] = 3
            instance["authenticate"] = False
        if not instance["interface"]:
            raise KeepalivedError("host '%s': director_vrrp_interface (or director_vip_interface) must name the interface VRRP runs on" % host)
        if settings.get("unicast", True):
            instance.update(_unicast(hostvars, host, own.get(family), _peers(settings, host), family))
        # each value as the keepalived role will render it, named by the director variable it came from
        _render_instance(instance, None, "", lambda key, group=group: _director_variable(host, group, key))
        instances.append(instance)
    return instances


# The director role's variable behind each VRRP instance setting.
DIRECTOR_VRRP_VARIABLES = {"virtual_router_id": "director_vrrp_router_id", "virtual_ipaddresses": "director_vrrp_addresses"}


def _director_variable(host: str, group: dict, key: str) -> str:
    if "index" in group and key in group:
        return "host '%s': director_vrrp_instances[%d].%s" % (host, group["index"], key)
    return "host '%s': %s" % (host, DIRECTOR_VRRP_VARIABLES.get(key, "director_vrrp_" + key))


def _address_groups(services, host: str, settings: dict, variable: str) -> list:
    """The addresses each VRRP instance moves: the director_vrrp_instances given (each
    service VIP in one of them), or one instance per address family for all of them."""
    extras = [_address(item, "host '%s': director_vrrp_addresses[%d]" % (host, index)) for index, item in enumerate(settings.get("addresses") or [])]
    given = settings.get("instances") or []
    if not given:
        by_family: dict = {}
        for address in ["%s/%d" % (vip, vip.max_prefixlen) for vip in _vips(services, host, variable)] + extras:
            by_family.setdefault(_family_of(address.split()[0]), []).append(address)
        if not by_family:
            raise KeepalivedError("host '%s': VRRP has no address to move: no service VIP and no director_vrrp_addresses" % host)
        router_id = settings.get("virtual_router_id", 51)
        return [{"name": "lvs_v%d" % family, "virtual_router_id": router_id, "addresses": addresses} for family, addresses in sorted(by_family.items())]
    if extras:
        raise KeepalivedError("host '%s': with director_vrrp_instances, list director_vrrp_addresses in the instances' addresses" % host)
    groups = []
    for index, group in enumerate(given):
        where = "host '%s': director_vrrp_instances[%d]" % (host, index)
        if not isinstance(group, dict) or not group.get("name") or group.get("virtual_router_id") is None or not group.get("addresses"):
            raise KeepalivedError("%s needs name, virtual_router_id and addresses" % where)
        addresses = [_address(item, "%s.addresses[%d]" % (where, position)) for position, item in enumerate(group["addresses"])]
        groups.append(dict(group, addresses=addresses, index=index))
    moved = {ipaddress.ip_interface(address.split()[0]).ip for group in groups for address in group["addresses"]}
    unmoved = [str(vip) for vip in _vips(services, host, variable) if vip not in moved]
    if unmoved:
        raise KeepalivedError("host '%s': no instance of director_vrrp_instances moves VIP %s; list every service VIP in one" % (host, ", ".join(unmoved)))
    return groups


def _address(item, where: str) -> str:
    """An address VRRP moves: "address[/prefix]", or a dict with address and interface."""
    if isinstance(item, dict):
        address, device = item.get("address"), item.get("interface")
    else:
        address, device = item, None
    try:
        parsed = ipaddress.ip_interface(str(address))
    except ValueError:
        raise KeepalivedError("%s: %r is not an address with an optional /prefix" % (where, address)) from None
    return "%s dev %s" % (parsed.with_prefixlen, device) if device else parsed.with_prefixlen


def _peers(settings: dict, host: str) -> list:
    """director_vrrp_peers: the inventory names of the directors VRRP talks to."""
    peers = _typed_setting(settings, "peers", list, host)
    for index, peer in enumerate(peers):
        if not isinstance(peer, str):
            raise KeepalivedError("host '%s': director_vrrp_peers[%d] must be an inventory host name, got %r" % (host, index, topology.shown(peer)))
    return peers


def _unicast(hostvars: dict, host: str, own, peers: list, family: int) -> dict:
    where = "host '%s': director_vrrp_peers" % host
    if own is None:
        raise KeepalivedError(
            "host '%s': unicast VRRP for the IPv%d VIPs needs an IPv%d lvs_address on this director; "
            "set director_vrrp_unicast: false to use multicast" % (host, family, family)
        )
    addresses = []
    for peer in peers:
        if peer == host:
            continue
        address = topology.host_addresses(hostvars, peer, where).get(family)
        if address is None:
            raise KeepalivedError("%s: peer '%s' has no IPv%d lvs_address for unicast VRRP" % (where, peer, family))
        addresses.append(str(address))
    if not addresses:
        raise KeepalivedError("%s: unicast VRRP needs at least one other director (director_vrrp_peers, default the lvs_directors group)" % where)
    return {"unicast_src_ip": str(own), "unicast_peers": addresses}


# ----------------------------------------------------------------- checks


def _number(value, where: str, low: float, high: float, integer: bool = True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or (integer and int(value) != value):
        raise KeepalivedError("%s must be %s, got %r" % (where, "an integer" if integer else "a number", value))
    if not low <= value <= high:
        raise KeepalivedError("%s must be between %s and %s, got %s" % (where, low, high, value))
    return value


def _check_instance(instance: dict, where: str) -> int:
    """Checks a VRRP instance; returns the address family (4 or 6) of its virtual addresses."""
    for key in ("name", "interface", "virtual_router_id", "priority", "virtual_ipaddresses"):
        if instance.get(key) in (None, "", []):
            raise KeepalivedError("%s needs %s" % (where, key))
    _interface(instance["interface"], where + ".interface")
    _number(instance["virtual_router_id"], where + ".virtual_router_id", 1, 255)
    _number(instance["priority"], where + ".priority", 1, 255)
    version = instance.get("version", 2)
    if version not in (2, 3):
        raise KeepalivedError("%s.version must be 2 or 3, got %r" % (where, version))
    advert = _number(instance.get("advert_int", 1), where + ".advert_int", 0.01, 255, integer=False)
    if version == 2 and int(advert) != advert:
        raise KeepalivedError("%s.advert_int %s: VRRPv2 advertises in whole seconds; sub-second intervals need version 3" % (where, advert))
    if instance.get("authenticate") and version == 3:
        raise KeepalivedError("%s: VRRPv3 has no authentication (RFC 5798); drop the auth pass or use version 2" % where)
    notify = instance.get("notify") or {}
    if not isinstance(notify, dict):
        raise KeepalivedError("%s.notify must be a dict of event: command, got %r" % (where, topology.shown(notify)))
    unknown = set(notify) - set(NOTIFY)
    if unknown:
        raise KeepalivedError("%s.notify: unknown event(s) %s; events are %s" % (where, ", ".join(sorted(unknown)), ", ".join(NOTIFY)))
    listed = _listed(instance["virtual_ipaddresses"], where + ".virtual_ipaddresses")
    addresses = [_vip(address, "%s.virtual_ipaddresses[%d]" % (where, number)) for number, address in enumerate(listed)]
    families = {_family_of(address.split()[0]) for address in addresses}
    if len(families) > 1:
        raise KeepalivedError("%s mixes IPv4 and IPv6 virtual addresses; keepalived needs one instance per family" % where)
    family = families.pop()
    if instance.get("unicast_peers"):
        # unicast VRRP speaks the family of its addresses, and keepalived ignores the VIPs of the other
        for key, value in [("unicast_src_ip", instance.get("unicast_src_ip"))] + [
            ("unicast_peers[%d]" % number, peer) for number, peer in enumerate(_listed(instance["unicast_peers"], where + ".unicast_peers"))
        ]:
            version = _version_of(value)
            if version not in (None, family):
                raise KeepalivedError("%s.%s %s is IPv%d, but the instance's virtual addresses are IPv%d" % (where, key, value, version, family))
    return family


def _version_of(value) -> int | None:
    """The IP version of an address, or None for no address (the rendering names a bad one)."""
    address = _parsed_ip(value)
    return None if address is None else address.version


def _check_virtual_server(server: dict, where: str) -> None:
    if not server.get("servers"):
        # keepalived drops such a virtual server ("has no real servers - ignoring"), sorry
        # server or not, and ipvs_table excludes it: the service would exist nowhere
        raise KeepalivedError("%s: a health-checked service needs at least one real server; keepalived ignores a virtual server without one" % where)
    for number, item in enumerate(_dicts(server["servers"], where + ".servers")):
        _choice(item.get("forwarding_method", model.DEFAULT_METHOD), "%s.servers[%d].forwarding_method" % (where, number), tuple(model.CONFIGURED_METHODS))
    methods = {item.get("forwarding_method", model.DEFAULT_METHOD) for item in server["servers"]}
    if len(methods) > 1:
        raise KeepalivedError("%s: keepalived sets one forwarding method (lb_kind) per service, the servers use %s" % (where, ", ".join(sorted(methods))))
    for number, item in enumerate(server["servers"]):
        tunnel = [key for key in model.TUNNEL_OPTIONS if item.get(key) is not None]
        if tunnel:
            raise KeepalivedError("%s: %s of a health-checked service are not rendered for keepalived; leave them out" % (where, ", ".join(tunnel)))
        if item.get("port") is None and server.get("fwmark") is None and server.get("port") is None:
            raise KeepalivedError("%s: a real server needs a port" % where)
        # what keepalived would otherwise reset, with a warning in its log
        method = item.get("forwarding_method", model.DEFAULT_METHOD)
        if server.get("fwmark") is None and method != model.MASQUERADE and item.get("port") not in (None, server.get("port")):
            raise KeepalivedError(
                "%s.servers[%d].port %s: with %s the real server answers on the service's port %s (only masquerade can change it)"
                % (where, number, item["port"], method, server.get("port"))
            )
    flags = server.get("scheduler_flags") or []
    if not isinstance(flags, list):
        raise KeepalivedError("%s.scheduler_flags must be a list, got %r" % (where, topology.shown(flags)))
    unknown = [flag for flag in flags if not isinstance(flag, str) or flag not in SCHEDULER_FLAGS]
    if unknown:
        raise KeepalivedError("%s.scheduler_flags: %s not known to keepalived" % (where, ", ".join(map(repr, unknown))))
    check = server.get("health_check")
    if not isinstance(check, dict):
        raise KeepalivedError("%s.health_check must be a dict with a type, one of %s" % (where, ", ".join(CHECKS)))
    _choice(check.get("type"), where + ".health_check.type", tuple(CHECKS))
    if check["type"] == "misc" and not check.get("script"):
        raise KeepalivedError("%s.health_check: type misc needs script (the command whose exit status is the verdict)" % where)
    if check.get("digest") and check["type"] not in ("http", "https"):
        raise KeepalivedError("%s.health_check.digest only applies to http and https checks" % where)
    sorry = server.get("sorry_server")
    if sorry is not None and (not isinstance(sorry, dict) or sorry.get("address") is None):
        raise KeepalivedError("%s.sorry_server needs an address (and a port)" % where)
    # what keepalived would otherwise change behind the inventory's back, with a warning in its log
    method = next(iter(methods), model.DEFAULT_METHOD)
    if sorry and method != model.MASQUERADE and sorry.get("port") not in (None, server.get("port")):
        raise KeepalivedError(
            "%s.sorry_server.port %s: with %s the sorry server answers on the service's port %s (only masquerade can change it)"
            % (where, sorry["port"], method, server.get("port"))
        )
    weights = [0 if item.get("maintenance") else item.get("weight", 1) for item in server.get("servers", [])]
    quorum = server.get("quorum")
    if quorum is not None and isinstance(quorum, int) and all(isinstance(w, int) for w in weights) and quorum > sum(weights):
        raise KeepalivedError(
            "%s.quorum %d exceeds the real servers' total weight %d (servers in maintenance count 0); keepalived would lower it" % (where, quorum, sum(weights))
        )
    hysteresis = server.get("hysteresis")
    if hysteresis and isinstance(hysteresis, int) and isinstance(quorum if quorum is not None else 1, int) and hysteresis >= (quorum or 1):
        raise KeepalivedError("%s.hysteresis %d must be below quorum %d; keepalived would set it to 0" % (where, hysteresis, quorum or 1))


# ----------------------------------------------------------------- rendering
#
# Nothing reaches keepalived.conf as free text: each value is an integer in range, an
# address, a choice from a fixed list, an interface or object name, or a string quoted
# in keepalived's syntax with the characters that could end the string, the line or the
# block refused. A value that fails names where it was given.

_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}\Z")
_GLOBAL_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
# global_defs keywords that take a value: true alone would write the keyword bare, which keepalived ignores
_GLOBAL_VALUED = ("router_id", "script_user", "notification_email_from", "smtp_server", "smtp_connect_timeout", "vrrp_mcast_group4", "vrrp_mcast_group6")
_TOKEN = re.compile(r"[A-Za-z0-9_.@:+-]{1,255}\Z")
_URL_PATH = re.compile(r"/[A-Za-z0-9_.~!$&'()*+,;=:@%/?-]{0,1023}\Z")
_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.-]{0,252})?(:[0-9]{1,5})?\Z")
_DIGEST = re.compile(r"[0-9a-fA-F]{32}\Z")
# keepalived reads a line into a 1024-byte buffer; a quoted value must leave room for its keyword
MAX_QUOTED = 900
_NOT_IN_QUOTES = '"\\{}'
# keepalived runs a command's words itself, without a shell: these would not do what they
# do in a shell, and a value that carries them was not written for keepalived
_SHELL = ";|&$`<>()"
PROTOCOLS = ("tcp", "udp", "sctp")


def _name(value, where: str) -> str:
    if not isinstance(value, str) or not _NAME.match(value):
        raise KeepalivedError("%s must be a name of 1-64 letters, digits, '_', '.' or '-', got %r" % (where, topology.shown(value)))
    return value


def _integer(value, where: str, low: int, high: int) -> int:
    return int(_number(value, where, low, high))


def _quoted(value, where: str) -> str:
    """A string in keepalived's double quotes: no character that could end it, the line or a block."""
    if not isinstance(value, str) or not value:
        raise KeepalivedError("%s must be a non-empty string, got %r" % (where, topology.shown(value)))
    if len(value) > MAX_QUOTED:
        raise KeepalivedError("%s is %d characters long; keepalived reads at most %d here" % (where, len(value), MAX_QUOTED))
    bad = sorted({c for c in value if c in _NOT_IN_QUOTES or not c.isprintable()})
    if bad:
        raise KeepalivedError(
            "%s contains %s, which keepalived.conf cannot carry in a quoted string: %r" % (where, ", ".join(map(repr, bad)), topology.shown(value))
        )
    return '"%s"' % value


def _command(value, where: str) -> str:
    """A command keepalived runs (a script, a notify, a check): a quoted path and arguments."""
    quoted = _quoted(value, where)
    shell = sorted({c for c in value if c in _SHELL})
    if shell:
        raise KeepalivedError(
            "%s contains %s: keepalived runs the command's words without a shell; put pipes, lists and "
            "substitutions into a script file and name that file, got %r" % (where, ", ".join(map(repr, shell)), topology.shown(value))
        )
    return quoted


def _parsed_ip(value):
    """The address ``value`` is (brackets allowed around IPv6), or None."""
    try:
        return ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        return None


def _ip(value, where: str) -> str:
    address = _parsed_ip(value)
    if address is None:
        raise KeepalivedError("%s must be an IP address, got %r" % (where, topology.shown(value)))
    return str(address)


def _interface(value, where: str) -> str:
    try:
        return model.interface_name(value, where)
    except IpvsError as exc:
        raise KeepalivedError(exc.message) from None


def _choice(value, where: str, choices) -> str:
    # a value from the inventory may be a list or a dict, which a lookup in a dict would fail on
    if not isinstance(value, str) or value not in choices:
        raise KeepalivedError("%s must be one of %s, got %r" % (where, ", ".join(choices), topology.shown(value)))
    return value


def _match(value, where: str, pattern, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        raise KeepalivedError("%s must be %s, got %r" % (where, what, topology.shown(value)))
    return value


def _vip(value, where: str) -> str:
    """A virtual_ipaddress line: ADDRESS[/PREFIX] [dev IFNAME]."""
    words = str(value).split()
    if len(words) not in (1, 3) or (len(words) == 3 and words[1] != "dev"):
        raise KeepalivedError("%s must be ADDRESS[/PREFIX] [dev INTERFACE], got %r" % (where, topology.shown(value)))
    try:
        address = ipaddress.ip_interface(words[0]).with_prefixlen
    except ValueError:
        raise KeepalivedError("%s: %r is not an address with an optional /prefix" % (where, topology.shown(words[0]))) from None
    return address if len(words) == 1 else "%s dev %s" % (address, _interface(words[2], where + " (dev)"))


def _section(head: str, body: list) -> list:
    """``head {``, the body indented one level, ``}``."""
    return ["%s {" % head, *("    " + line for line in body), "}"]


def _secret(auth_pass: str) -> str:
    """The VRRP auth pass, checked without ever showing it: keepalived uses its first 8 characters."""
    if not isinstance(auth_pass, str) or any(c in _NOT_IN_QUOTES or c.isspace() or not c.isprintable() for c in auth_pass):
        raise KeepalivedError(
            "keepalived_auth_pass (director_vrrp_auth_pass on a director), the VRRP auth pass, must be printable characters "
            "without whitespace, quotes, backslashes or braces; its value is not shown"
        )
    return '"%s"' % auth_pass[:8]


def _listed(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise KeepalivedError("%s must be a list, got %r" % (where, topology.shown(value)))
    return value


def _dicts(value, where: str) -> list:
    """``value``, a list of dicts (None: none)."""
    items = _listed(value, where)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise KeepalivedError("%s[%d] must be a dict, got %r" % (where, index, topology.shown(item)))
    return items


def _items(config: dict, key: str) -> list:
    """config[key], the keepalived role's keepalived_<key>: a list of dicts."""
    return _dicts(config.get(key) or None, "keepalived_" + key)


def render(config: dict, auth_pass: str | None = None) -> str:
    """keepalived.conf for ``config`` (global_defs, vrrp_scripts, vrrp_instances, virtual_servers)."""
    secret = _secret(auth_pass) if auth_pass else None
    lines = ["# Managed by the lvs.ipvs.keepalived role; changes made here are overwritten.", "global_defs {"]
    defs = config.get("global_defs") or {}
    if not isinstance(defs, dict):
        raise KeepalivedError("keepalived_global_defs must be a dict, got %r" % topology.shown(defs))
    defs = dict(defs)
    # Scripts run as root; keepalived refuses them otherwise when script security is on.
    defs.setdefault("script_user", "root")
    defs.setdefault("enable_script_security", True)
    for key in sorted(defs, key=str):
        where = "keepalived_global_defs.%s" % topology.shown(key)
        _match(key, where, _GLOBAL_KEY, "a keepalived keyword (lower-case letters, digits and '_')")
        value = defs[key]
        if value is True and key in _GLOBAL_VALUED:
            raise KeepalivedError("%s needs a value, got true" % where)
        if value is True:
            lines.append("    %s" % key)
        elif isinstance(value, int) and not isinstance(value, bool):
            lines.append("    %s %d" % (key, value))
        elif value not in (False, None):
            lines.append("    %s %s" % (key, _match(value, where, _TOKEN, "true, an integer or one word of letters, digits and _.@:+-")))
    lines.append("}")
    names = set()
    for index, script in enumerate(_items(config, "vrrp_scripts")):
        lines += _render_script(script, "keepalived_vrrp_scripts[%d]" % index)
        names.add(script["name"])
    routers = set()
    for index, instance in enumerate(_items(config, "vrrp_instances")):
        where = "keepalived_vrrp_instances[%d]" % index
        family = _check_instance(instance, where)
        # VRRP for IPv4 and VRRP for IPv6 are separate protocols: one router ID serves both
        key = (instance["interface"], instance["virtual_router_id"], family)
        if key in routers:
            raise KeepalivedError("%s: virtual_router_id %s is used twice on %s" % (where, instance["virtual_router_id"], instance["interface"]))
        routers.add(key)
        missing = [name for name in _listed(instance.get("track_scripts"), where + ".track_scripts") if not isinstance(name, str) or name not in names]
        if missing:
            raise KeepalivedError("%s.track_scripts: no vrrp_script named %s" % (where, ", ".join(sorted(map(str, missing)))))
        if instance.get("authenticate") and not secret:
            raise KeepalivedError("%s asks for authentication, but no auth pass is set" % where)
        lines += _render_instance(instance, secret if instance.get("authenticate") else None, where)
    for index, server in enumerate(_items(config, "virtual_servers")):
        where = "keepalived_virtual_servers[%d] (%s)" % (index, topology.service_label(server))
        _check_virtual_server(server, where)
        rendered = _render_virtual_server(server, where)
        # after the rendering, whose checks name each field; the model's are about the whole
        _check_in_model(server, where)
        lines += rendered
    return "\n".join(lines) + "\n"


def _check_in_model(server: dict, where: str) -> None:
    """The service and its servers built through the collection's model, as ipvs_table
    would build them: what keepalived would otherwise change with a warning (a port 0
    service without persistence) or skip (a server of the other family) is refused."""
    entry = {name: server.get(name) for name in (*model.SERVICE_IDENTITY, *model.SERVICE_OPTIONS)}
    entry["servers"] = [{name: item[name] for name in ("address", *model.SERVER_OPTIONS) if item.get(name) is not None} for item in server["servers"]]
    try:
        topology.check_entry(entry, where)
    except topology.TopologyError as exc:
        raise KeepalivedError(str(exc)) from None


def _render_script(script: dict, where: str) -> list:
    if not isinstance(script, dict) or not script.get("name") or not script.get("script"):
        raise KeepalivedError("%s needs name and script" % where)
    body = ["script %s" % _command(script["script"], where + ".script")]
    limits = {"interval": (1, 86400), "timeout": (1, 86400), "fall": (1, 255), "rise": (1, 255), "weight": (-253, 253)}
    body += ["%s %d" % (key, _integer(script[key], "%s.%s" % (where, key), *limits[key])) for key in limits if script.get(key) is not None]
    return _section("vrrp_script %s" % _name(script["name"], where + ".name"), body)


def _render_instance(instance: dict, secret: str | None, where: str, name_of=None) -> list:
    """``name_of(key)`` names where each setting was given (default: WHERE.KEY)."""
    field = name_of or (lambda key: "%s.%s" % (where, key))
    body = [
        "state BACKUP",
        "interface %s" % _interface(instance["interface"], field("interface")),
        "virtual_router_id %d" % _integer(instance["virtual_router_id"], field("virtual_router_id"), 1, 255),
        "priority %d" % _integer(instance["priority"], field("priority"), 1, 255),
        "advert_int %s" % _number(instance.get("advert_int", 1), field("advert_int"), 0.01, 255, integer=False),
        "version %d" % _integer(instance.get("version", 2), field("version"), 2, 3),
    ]
    if not instance.get("preempt", True):
        body.append("nopreempt")
    elif instance.get("preempt_delay"):
        body.append("preempt_delay %d" % _integer(instance["preempt_delay"], field("preempt_delay"), 0, 1000))
    if instance.get("unicast_peers"):
        if instance.get("unicast_src_ip"):
            body.append("unicast_src_ip %s" % _ip(instance["unicast_src_ip"], field("unicast_src_ip")))
        peers = [
            _ip(peer, "%s[%d]" % (field("unicast_peers"), number)) for number, peer in enumerate(_listed(instance["unicast_peers"], field("unicast_peers")))
        ]
        body += _section("unicast_peer", peers)
    if secret:
        body += _section("authentication", ["auth_type PASS", "auth_pass %s" % secret])
    listed = _listed(instance["virtual_ipaddresses"], field("virtual_ipaddresses"))
    addresses = [_vip(address, "%s[%d]" % (field("virtual_ipaddresses"), number)) for number, address in enumerate(listed)]
    body += _section("virtual_ipaddress", addresses)
    if instance.get("track_interfaces"):
        listed = _listed(instance["track_interfaces"], field("track_interfaces"))
        devices = [_interface(device, "%s[%d]" % (field("track_interfaces"), number)) for number, device in enumerate(listed)]
        body += _section("track_interface", devices)
    if instance.get("track_scripts"):
        body += _section("track_script", [_name(name, field("track_scripts")) for name in _listed(instance["track_scripts"], field("track_scripts"))])
    for event in NOTIFY:
        command = (instance.get("notify") or {}).get(event)
        if command:
            body.append("notify_%s %s" % (event, _command(command, "%s.%s" % (field("notify"), event))))
    return _section("vrrp_instance %s" % _name(instance["name"], field("name")), body)


def _render_virtual_server(server: dict, where: str) -> list:
    servers = server.get("servers", [])
    method = servers[0].get("forwarding_method", model.DEFAULT_METHOD) if servers else model.DEFAULT_METHOD
    check = server["health_check"]
    protocol = _choice(server.get("protocol", "tcp"), where + ".protocol", PROTOCOLS)
    body = [
        "delay_loop %d" % _integer(check.get("delay_loop", 6), where + ".health_check.delay_loop", 1, 86400),
        "lb_algo %s" % _choice(server.get("scheduler", model.DEFAULT_SCHEDULER), where + ".scheduler", model.SCHEDULERS),
        # keepalived's lb_kind takes LVS's own names of the methods
        "lb_kind %s" % model.CONFIGURED_METHODS[_choice(method, where + ".servers[0].forwarding_method", tuple(model.CONFIGURED_METHODS))],
    ]
    # a firewall mark matches packets of any protocol: keepalived ignores one given, with a warning
    if server.get("fwmark") is None:
        body.append("protocol %s" % protocol.upper())
    body += [_choice(flag, where + ".scheduler_flags", SCHEDULER_FLAGS) for flag in server.get("scheduler_flags") or []]
    family = "ipv6" if server.get("family") == "ipv6" or ":" in str(server.get("address", "")) else "ipv4"
    if server.get("persistent") or server.get("persistence_timeout") is not None:
        timeout = server.get("persistence_timeout", model.DEFAULT_PERSISTENCE_TIMEOUT)
        body.append("persistence_timeout %d" % _integer(timeout, where + ".persistence_timeout", 1, model.MAX_TIMEOUT))
    if server.get("persistence_netmask"):
        try:
            prefix = model.parse_netmask(server["persistence_netmask"], family)
        except IpvsError as exc:
            raise KeepalivedError("%s: %s" % (where, exc.message)) from None
        body.append("persistence_granularity %s" % model.netmask_text(family, prefix))
    if server.get("persistence_engine"):
        body.append("persistence_engine %s" % _choice(server["persistence_engine"], where + ".persistence_engine", model.PERSISTENCE_ENGINES))
    if server.get("one_packet"):
        body.append("ops")
    for key in ("quorum", "hysteresis"):
        if server.get(key) is not None:
            body.append("%s %d" % (key, _integer(server[key], "%s.%s" % (where, key), 0, 65535)))
    for key in ("quorum_up", "quorum_down"):
        if server.get(key):
            body.append("%s %s" % (key, _command(server[key], "%s.%s" % (where, key))))
    sorry = server.get("sorry_server")
    if sorry:
        port = _integer(sorry.get("port", server.get("port", 0)), where + ".sorry_server.port", 0, model.MAX_PORT)
        body.append("sorry_server %s %d" % (_ip(sorry["address"], where + ".sorry_server.address"), port))
    for number, item in enumerate(servers):
        body += _render_real_server(server, item, check, "%s.servers[%d]" % (where, number))
    if server.get("fwmark") is not None:
        return _section("virtual_server fwmark %d" % _integer(server["fwmark"], where + ".fwmark", 1, model.MAX_FWMARK), body)
    port = _integer(server.get("port"), where + ".port", 0, model.MAX_PORT)
    return _section("virtual_server %s %d" % (_ip(server.get("address"), where + ".address"), port), body)


def _render_real_server(server: dict, item: dict, check: dict, where: str) -> list:
    address = _ip(item.get("address"), where + ".address")
    if server.get("fwmark") is not None and item.get("forwarding_method", model.DEFAULT_METHOD) != model.MASQUERADE:
        # Under a firewall mark, keepalived clears the port of a server reached by route or
        # tunnel (the packet keeps its own): the port given is where the check connects.
        if item.get("port") is not None and check.get("port") is None:
            check = dict(check, port=item["port"])
        if check["type"] != "misc" and check.get("port") is None:
            raise KeepalivedError("%s: a firewall-mark service's server has no port of its own to check; set health_check.port or the server's port" % where)
        head = "real_server %s" % address
    else:
        head = "real_server %s %d" % (address, _integer(item.get("port", server.get("port")), where + ".port", 0, model.MAX_PORT))
    weight = 0 if item.get("maintenance") else _integer(item.get("weight", 1), where + ".weight", 0, model.MAX_WEIGHT)
    body = ["weight %d" % weight]
    if server.get("inhibit_on_failure"):
        body.append("inhibit_on_failure")
    if item.get("upper_threshold"):
        body.append("uthreshold %d" % _integer(item["upper_threshold"], where + ".upper_threshold", 0, model.MAX_THRESHOLD))
    if item.get("lower_threshold"):
        body.append("lthreshold %d" % _integer(item["lower_threshold"], where + ".lower_threshold", 0, model.MAX_THRESHOLD))
    body += _render_check(check, where.rpartition(".servers[")[0] + ".health_check")
    return _section(head, body)


def _render_check(check: dict, where: str) -> list:
    kind = check["type"]
    body = []
    if kind == "misc":
        body.append("misc_path %s" % _command(check["script"], where + ".script"))
        body.append("misc_timeout %d" % _integer(check.get("timeout", 5), where + ".timeout", 1, 86400))
        if check.get("dynamic"):
            body.append("misc_dynamic")
    else:
        if kind in ("http", "https"):
            url = ["path %s" % _match(check.get("path", "/"), where + ".path", _URL_PATH, "a URL path starting with / (no spaces, quotes or braces)")]
            if check.get("digest"):
                url.append("digest %s" % _match(check["digest"], where + ".digest", _DIGEST, "an MD5 digest (32 hexadecimal digits)"))
            url.append("status_code %d" % _integer(check.get("status", 200), where + ".status", 100, 599))
            body += _section("url", url)
            if check.get("virtualhost"):
                body.append("virtualhost %s" % _match(check["virtualhost"], where + ".virtualhost", _HOSTNAME, "a host name with an optional :port"))
        if check.get("port") is not None:
            body.append("connect_port %d" % _integer(check["port"], where + ".port", 1, model.MAX_PORT))
        body.append("connect_timeout %d" % _integer(check.get("connect_timeout", 3), where + ".connect_timeout", 1, 86400))
    body.append("retry %d" % _integer(check.get("retry", 1), where + ".retry", 0, 255))
    body.append("delay_before_retry %d" % _integer(check.get("delay_before_retry", 1), where + ".delay_before_retry", 0, 86400))
    return _section(CHECKS[kind], body)
