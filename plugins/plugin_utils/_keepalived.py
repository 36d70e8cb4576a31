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
import json

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology

LB_KIND = {"route": "DR", "masquerade": "NAT", "tunnel": "TUN"}
CHECKS = {"tcp": "TCP_CHECK", "http": "HTTP_GET", "https": "SSL_GET", "misc": "MISC_CHECK"}
NOTIFY = ("master", "backup", "fault", "stop")
# The keepalived-side keywords of the scheduler flags ipvs_table knows.
SCHEDULER_FLAGS = ("sh-port", "sh-fallback", "mh-port", "mh-fallback", "flag-1", "flag-2", "flag-3")
IPVS_TRACK_SCRIPT = "lvs_ipvs_table"
# A director is fit to be master only while its IPVS table holds services.
IPVS_TRACK_COMMAND = "/bin/sh -c 'grep -qE \"^(TCP|UDP|SCTP|FWM) \" /proc/net/ip_vs'"
SERVICE_CHECK_KEYS = ("health_check", "sorry_server", "quorum", "hysteresis", "quorum_up", "quorum_down", "inhibit_on_failure")


class KeepalivedError(topology.TopologyError):
    """The inventory or the role's input describes a keepalived setup that cannot work."""


def service_identity(service: dict) -> dict:
    """The keys lvs.ipvs.ipvs_table's exclude option takes."""
    return {key: service[key] for key in ("protocol", "address", "port", "fwmark", "family") if service.get(key) is not None}


# ----------------------------------------------------------------- from inventory


def director_keepalived(services, hostvars: dict, host: str, settings: dict, variable: str = "director_services") -> dict:
    """The keepalived role's input for one director; see the director role's VRRP variables."""
    owned_entries = topology.director_table(services, hostvars, host, variable, keepalived_owned=True)
    owned = [(index, raw) for index, raw in enumerate(services) if topology.health_checked(raw)]
    virtual_servers = [_virtual_server(entry, raw, host, variable, index) for entry, (index, raw) in zip(owned_entries, owned)]
    instances, scripts = [], []
    if settings.get("vrrp"):
        instances = _instances(services, hostvars, host, settings)
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
    where = "host '%s': %s[%d] (%s)" % (host, variable, index, topology.service_label(raw))
    server = dict(entry)
    for key in SERVICE_CHECK_KEYS:
        if raw.get(key) is not None:
            server[key] = raw[key]
    for spec, item in zip(server["servers"], raw.get("servers", [])):
        if item.get("maintenance"):
            spec["maintenance"] = True
    server.pop("state", None)
    _check_virtual_server(server, where)
    return server


def _family_of(address: str) -> int:
    return ipaddress.ip_interface(address).version


def _vips(services) -> list:
    vips = []
    for service in services:
        if isinstance(service, dict) and service.get("address") is not None and service.get("state", "present") != "absent":
            address = ipaddress.ip_address(str(service["address"]).strip("[]"))
            if address not in vips:
                vips.append(address)
    return vips


# What one VRRP instance may set differently from the director_vrrp_* defaults.
INSTANCE_OVERRIDES = ("interface", "priority", "preempt", "preempt_delay", "advert_int", "version", "track_interfaces", "notify")


def _instances(services, hostvars: dict, host: str, settings: dict) -> list:
    own = topology.host_address(hostvars, host, "host '%s'" % host)
    instances = []
    for group in _address_groups(services, host, settings):
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
            "track_interfaces": list(settings.get("track_interfaces") or []),
            "notify": dict(settings.get("notify") or {}),
            "authenticate": bool(settings.get("authenticate")),
        }
        instance.update({key: group[key] for key in INSTANCE_OVERRIDES if group.get(key) is not None})
        family = _family_of(group["addresses"][0].split()[0])
        if family == 6:
            instance["version"] = 3
        if not instance["interface"]:
            raise KeepalivedError("host '%s': director_vrrp_interface (or director_vip_interface) must name the interface VRRP runs on" % host)
        if settings.get("unicast", True):
            instance.update(_unicast(hostvars, host, own, settings.get("peers") or [], family))
        instances.append(instance)
    return instances


def _address_groups(services, host: str, settings: dict) -> list:
    """The addresses each VRRP instance moves: the director_vrrp_instances given (each
    service VIP in one of them), or one instance per address family for all of them."""
    extras = [_address(item, "host '%s': director_vrrp_addresses[%d]" % (host, index)) for index, item in enumerate(settings.get("addresses") or [])]
    given = settings.get("instances") or []
    if not given:
        by_family: dict = {}
        for address in ["%s/%d" % (vip, vip.max_prefixlen) for vip in _vips(services)] + extras:
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
        groups.append(dict(group, addresses=addresses))
    moved = {ipaddress.ip_interface(address.split()[0]).ip for group in groups for address in group["addresses"]}
    unmoved = [str(vip) for vip in _vips(services) if vip not in moved]
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


def _unicast(hostvars: dict, host: str, own, peers: list, family: int) -> dict:
    where = "host '%s': director_vrrp_peers" % host
    if own.version != family:
        raise KeepalivedError(
            "host '%s': unicast VRRP for the IPv%d VIPs needs an IPv%d lvs_address on this director; "
            "set director_vrrp_unicast: false to use multicast" % (host, family, family)
        )
    addresses = []
    for peer in peers:
        if peer == host:
            continue
        address = topology.host_address(hostvars, peer, where)
        if address.version != family:
            raise KeepalivedError("%s: peer '%s' has no IPv%d lvs_address for unicast VRRP" % (where, peer, family))
        addresses.append(str(address))
    if not addresses:
        raise KeepalivedError("%s: unicast VRRP needs at least one other director (director_vrrp_peers, default the lvs_directors group)" % where)
    return {"unicast_src_ip": str(own), "unicast_peers": addresses}


# ----------------------------------------------------------------- checks


def _number(value, where: str, low: float, high: float, integer: bool = True):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and int(value) != value):
        raise KeepalivedError("%s must be %s, got %r" % (where, "an integer" if integer else "a number", value))
    if not low <= value <= high:
        raise KeepalivedError("%s must be between %s and %s, got %s" % (where, low, high, value))
    return value


def _check_instance(instance: dict, where: str) -> None:
    for key in ("name", "interface", "virtual_router_id", "priority", "virtual_ipaddresses"):
        if instance.get(key) in (None, "", []):
            raise KeepalivedError("%s needs %s" % (where, key))
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
    unknown = set(instance.get("notify") or {}) - set(NOTIFY)
    if unknown:
        raise KeepalivedError("%s.notify: unknown event(s) %s; events are %s" % (where, ", ".join(sorted(unknown)), ", ".join(NOTIFY)))
    families = {_family_of(str(address).split()[0]) for address in instance["virtual_ipaddresses"]}
    if len(families) > 1:
        raise KeepalivedError("%s mixes IPv4 and IPv6 virtual addresses; keepalived needs one instance per family" % where)


def _check_virtual_server(server: dict, where: str) -> None:
    methods = {item.get("forwarding_method", "route") for item in server.get("servers", [])}
    if len(methods) > 1:
        raise KeepalivedError("%s: keepalived sets one forwarding method (lb_kind) per service, the servers use %s" % (where, ", ".join(sorted(methods))))
    for item in server.get("servers", []):
        tunnel = [key for key in ("tunnel_type", "tunnel_port", "tunnel_checksum") if item.get(key) is not None]
        if tunnel:
            raise KeepalivedError("%s: %s of a health-checked service are not rendered for keepalived; leave them out" % (where, ", ".join(tunnel)))
        if item.get("port") is None and server.get("fwmark") is None and server.get("port") is None:
            raise KeepalivedError("%s: a real server needs a port" % where)
    flags = set(server.get("scheduler_flags") or []) - set(SCHEDULER_FLAGS)
    if flags:
        raise KeepalivedError("%s.scheduler_flags: %s not known to keepalived" % (where, ", ".join(sorted(flags))))
    check = server.get("health_check")
    if not isinstance(check, dict) or check.get("type") not in CHECKS:
        raise KeepalivedError("%s.health_check.type must be one of %s" % (where, ", ".join(CHECKS)))
    if check["type"] == "misc" and not check.get("script"):
        raise KeepalivedError("%s.health_check: type misc needs script (the command whose exit status is the verdict)" % where)
    if check.get("digest") and check["type"] not in ("http", "https"):
        raise KeepalivedError("%s.health_check.digest only applies to http and https checks" % where)
    sorry = server.get("sorry_server")
    if sorry is not None and (not isinstance(sorry, dict) or sorry.get("address") is None):
        raise KeepalivedError("%s.sorry_server needs an address (and a port)" % where)


# ----------------------------------------------------------------- rendering


def _quote(value) -> str:
    return json.dumps(str(value))


def _section(head: str, body: list) -> list:
    """``head {``, the body indented one level, ``}``."""
    return ["%s {" % head, *("    " + line for line in body), "}"]


def render(config: dict, auth_pass: str | None = None) -> str:
    """keepalived.conf for ``config`` (global_defs, vrrp_scripts, vrrp_instances, virtual_servers)."""
    lines = ["# Managed by the lvs.ipvs.keepalived role; changes made here are overwritten.", "global_defs {"]
    defs = dict(config.get("global_defs") or {})
    # Scripts run as root; keepalived refuses them otherwise when script security is on.
    defs.setdefault("script_user", "root")
    defs.setdefault("enable_script_security", True)
    for key in sorted(defs):
        value = defs[key]
        if value is True:
            lines.append("    %s" % key)
        elif value not in (False, None):
            lines.append("    %s %s" % (key, value))
    lines.append("}")
    names = set()
    for index, script in enumerate(config.get("vrrp_scripts") or []):
        lines += _render_script(script, "vrrp_scripts[%d]" % index)
        names.add(script["name"])
    routers = set()
    for index, instance in enumerate(config.get("vrrp_instances") or []):
        where = "vrrp_instances[%d]" % index
        _check_instance(instance, where)
        key = (instance["interface"], instance["virtual_router_id"], instance.get("version", 2) == 3 and "6" in str(instance["virtual_ipaddresses"]))
        if key in routers:
            raise KeepalivedError("%s: virtual_router_id %s is used twice on %s" % (where, instance["virtual_router_id"], instance["interface"]))
        routers.add(key)
        missing = set(instance.get("track_scripts") or []) - names
        if missing:
            raise KeepalivedError("%s.track_scripts: no vrrp_script named %s" % (where, ", ".join(sorted(missing))))
        if instance.get("authenticate") and not auth_pass:
            raise KeepalivedError("%s asks for authentication, but no auth pass is set" % where)
        lines += _render_instance(instance, auth_pass if instance.get("authenticate") else None)
    for index, server in enumerate(config.get("virtual_servers") or []):
        where = "virtual_servers[%d] (%s)" % (index, topology.service_label(server))
        _check_virtual_server(server, where)
        lines += _render_virtual_server(server)
    return "\n".join(lines) + "\n"


def _render_script(script: dict, where: str) -> list:
    if not script.get("name") or not script.get("script"):
        raise KeepalivedError("%s needs name and script" % where)
    body = ["script %s" % _quote(script["script"])]
    body += ["%s %s" % (key, script[key]) for key in ("interval", "timeout", "fall", "rise", "weight") if script.get(key) is not None]
    return _section("vrrp_script %s" % script["name"], body)


def _render_instance(instance: dict, auth_pass: str | None) -> list:
    body = [
        "state BACKUP",
        "interface %s" % instance["interface"],
        "virtual_router_id %s" % instance["virtual_router_id"],
        "priority %s" % instance["priority"],
        "advert_int %s" % instance.get("advert_int", 1),
        "version %s" % instance.get("version", 2),
    ]
    if not instance.get("preempt", True):
        body.append("nopreempt")
    elif instance.get("preempt_delay"):
        body.append("preempt_delay %s" % instance["preempt_delay"])
    if instance.get("unicast_peers"):
        if instance.get("unicast_src_ip"):
            body.append("unicast_src_ip %s" % instance["unicast_src_ip"])
        body += _section("unicast_peer", list(instance["unicast_peers"]))
    if auth_pass:
        body += _section("authentication", ["auth_type PASS", "auth_pass %s" % _quote(auth_pass[:8])])
    body += _section("virtual_ipaddress", [str(address) for address in instance["virtual_ipaddresses"]])
    if instance.get("track_interfaces"):
        body += _section("track_interface", list(instance["track_interfaces"]))
    if instance.get("track_scripts"):
        body += _section("track_script", list(instance["track_scripts"]))
    for event in NOTIFY:
        command = (instance.get("notify") or {}).get(event)
        if command:
            body.append("notify_%s %s" % (event, _quote(command)))
    return _section("vrrp_instance %s" % instance["name"], body)


def _render_virtual_server(server: dict) -> list:
    servers = server.get("servers", [])
    method = servers[0].get("forwarding_method", "route") if servers else "route"
    check = server["health_check"]
    body = [
        "delay_loop %s" % check.get("delay_loop", 6),
        "lb_algo %s" % server.get("scheduler", topology.DEFAULT_SCHEDULER),
        "lb_kind %s" % LB_KIND[method],
        "protocol %s" % server.get("protocol", "tcp").upper(),
    ]
    body += list(server.get("scheduler_flags") or [])
    if server.get("persistent") or server.get("persistence_timeout") is not None:
        body.append("persistence_timeout %s" % server.get("persistence_timeout", 300))
    if server.get("persistence_netmask"):
        body.append("persistence_granularity %s" % server["persistence_netmask"])
    if server.get("persistence_engine"):
        body.append("persistence_engine %s" % server["persistence_engine"])
    if server.get("one_packet"):
        body.append("ops")
    for key in ("quorum", "hysteresis"):
        if server.get(key) is not None:
            body.append("%s %s" % (key, server[key]))
    for key in ("quorum_up", "quorum_down"):
        if server.get(key):
            body.append("%s %s" % (key, _quote(server[key])))
    sorry = server.get("sorry_server")
    if sorry:
        body.append("sorry_server %s %s" % (_host(sorry["address"]), sorry.get("port", server.get("port", 0))))
    for item in servers:
        body += _render_real_server(server, item, check)
    if server.get("fwmark") is not None:
        return _section("virtual_server fwmark %s" % server["fwmark"], body)
    return _section("virtual_server %s %s" % (_host(server["address"]), server["port"]), body)


def _host(address) -> str:
    return str(address).strip("[]")


def _render_real_server(server: dict, item: dict, check: dict) -> list:
    port = item.get("port", server.get("port"))
    body = ["weight %s" % (0 if item.get("maintenance") else item.get("weight", 1))]
    if server.get("inhibit_on_failure"):
        body.append("inhibit_on_failure")
    if item.get("upper_threshold"):
        body.append("uthreshold %s" % item["upper_threshold"])
    if item.get("lower_threshold"):
        body.append("lthreshold %s" % item["lower_threshold"])
    body += _render_check(check)
    return _section("real_server %s %s" % (_host(item["address"]), port), body)


def _render_check(check: dict) -> list:
    kind = check["type"]
    body = []
    if kind == "misc":
        body.append("misc_path %s" % _quote(check["script"]))
        body.append("misc_timeout %s" % check.get("timeout", 5))
        if check.get("dynamic"):
            body.append("misc_dynamic")
    else:
        if kind in ("http", "https"):
            url = ["path %s" % check.get("path", "/")]
            if check.get("digest"):
                url.append("digest %s" % check["digest"])
            url.append("status_code %s" % check.get("status", 200))
            body += _section("url", url)
            if check.get("virtualhost"):
                body.append("virtualhost %s" % check["virtualhost"])
        if check.get("port") is not None:
            body.append("connect_port %s" % check["port"])
        body.append("connect_timeout %s" % check.get("connect_timeout", 3))
    body.append("retry %s" % check.get("retry", 1))
    body.append("delay_before_retry %s" % check.get("delay_before_retry", 1))
    return _section(CHECKS[kind], body)
