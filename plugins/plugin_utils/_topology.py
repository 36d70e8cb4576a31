# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The inventory's LVS topology, turned into what each host must hold.

One vocabulary serves the director and the real servers: a list of services (the
options of lvs.ipvs.ipvs_table) whose servers name inventory hosts. From it this
module derives a director's IPVS table and host network (kernel modules, sysctls,
VIPs), and a real server's network (VIPs on lo or a tunnel device, ARP and rp_filter
sysctls, the NAT default route). Everything is validated here, on the controller,
before any host is changed; an error names the host and the variable at fault.

Runs on the controller, so it uses the standard library's ipaddress rather than
netaddr (which only the managed directors need).
"""

from __future__ import annotations

import ipaddress
import math
import zlib
from collections.abc import Mapping

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

SERVICE_KEYS = model.SERVICE_IDENTITY + model.SERVICE_OPTIONS + ("state",)
SERVER_KEYS = model.SERVER_OPTIONS
METHODS = tuple(model.CONFIGURED_METHODS)
# The device that receives a tunnelled packet once it is unwrapped, and the module that
# creates it: the fallback device of each tunnel driver, which exists in every network
# namespace and takes packets from any sender. IP in IP (and the inner packet of GUE,
# whose header names the inner protocol) lands by outer and inner family: IPv4 in IPv4
# on tunl0, IPv6 in IPv4 on sit0, anything in IPv6 on ip6tnl0. GRE lands on gre0 or
# ip6gre0 by outer family, whatever it carries.
IP_IN_IP_DEVICES = {(4, 4): ("ipip", "tunl0"), (4, 6): ("sit", "sit0"), (6, 4): ("ip6_tunnel", "ip6tnl0"), (6, 6): ("ip6_tunnel", "ip6tnl0")}
GRE_DEVICES = {4: ("ip_gre", "gre0"), 6: ("ip6_gre", "ip6gre0")}
# A GRE device drops a packet whose checksum flag differs from its own icsum: the
# fallback devices (no icsum) take GRE without a checksum, and GRE with one needs a
# device of the collection's with icsum, bound to the address the director sends to.
GRE_CSUM_DEVICES = {4: ("gre", "lvs-gre"), 6: ("ip6gre", "lvs-ip6gre")}
# The modules behind `ip fou add port N gue`, by outer family.
GUE_MODULES = {4: ("fou",), 6: ("fou", "fou6")}
# The smallest MSS a host of each family must take (RFC 9293's 536; the 1280-byte IPv6 minimum MTU
# less 60): a lower clamp is refused.
MIN_MSS = {4: 536, 6: 1220}


class TopologyError(ValueError):
    """The inventory describes a topology that cannot be deployed."""


def shown(value) -> str:
    """A value as an error message shows it: long ones cut, so a 10k string stays readable."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _method(method, where: str) -> str:
    """A forwarding method an operator may configure; ``where`` names the variable."""
    if not isinstance(method, str) or method not in METHODS:
        raise TopologyError("%s.forwarding_method must be one of %s, got %r" % (where, ", ".join(METHODS), method))
    return method


def _ip(value, where: str):
    try:
        return ipaddress.ip_address(str(value).strip("[]"))
    except ValueError:
        raise TopologyError("%s: %r is not an IP address" % (where, value)) from None


def _present(item: dict) -> bool:
    return item.get("state", "present") != "absent"


def health_checked(service) -> bool:
    """keepalived owns a present service that carries a health_check (the director role's rule)."""
    return isinstance(service, dict) and bool(service.get("health_check")) and _present(service)


def service_label(service: dict) -> str:
    if service.get("fwmark") is not None:
        return "fwmark %s" % service["fwmark"]
    address = str(service.get("address"))
    if ":" in address:
        address = "[%s]" % address
    return "%s %s:%s" % (service.get("protocol", "tcp"), address, service.get("port"))


def service_where(host: str, variable: str, index: int, label: str) -> str:
    """How messages name a service of a host's list: ``host 'lb1': director_services[0] (tcp ...)``."""
    return "host '%s': %s[%d] (%s)" % (host, variable, index, label)


def _services(services, variable: str, host: str) -> list:
    if not isinstance(services, list):
        raise TopologyError("host '%s': %s must be a list of services, got %s" % (host, variable, type(services).__name__))
    for index, service in enumerate(services):
        where = "host '%s': %s[%d]" % (host, variable, index)
        if not isinstance(service, dict):
            raise TopologyError("%s must be a dict" % where)
        if service.get("fwmark") is None and service.get("address") is None:
            raise TopologyError("%s needs an address (the VIP) or a fwmark" % where)
        if service.get("address") is not None:
            _ip(service["address"], where + ".address")
        _method(service.get("forwarding_method", model.DEFAULT_METHOD), where)
        if not isinstance(service.get("servers", []), list):
            raise TopologyError("%s.servers must be a list" % where)
    return services


def _marked(service: dict, where: str, key: model.ServiceKey | None = None) -> tuple:
    """The traffic a firewall-mark service's ``match`` groups (model.MarkedTraffic),
    checked through the model; () for a service without ``match``. ``key``: the service's,
    when the caller has built it already."""
    if service.get("match") is None:
        return ()
    key = key or _service_key(service, where)
    try:
        return model.marked_traffic(key, service["match"], where + ".match")
    except IpvsError as exc:
        raise TopologyError(exc.message) from None


def service_vips(service: dict, where: str) -> list:
    """The addresses clients reach a service at: its address, or those its match groups."""
    if service.get("address") is not None:
        return [_ip(service["address"], where)]
    return _unique([ipaddress.ip_address(traffic.address) for traffic in _marked(service, where)])


def _family(service: dict, vips: list) -> int:
    return vips[0].version if vips else (6 if service.get("family") == "ipv6" else 4)


def _variables_of(hostvars: dict, name: str, where: str):
    if name not in hostvars:
        raise TopologyError("%s names host '%s', which is not in the inventory" % (where, name))
    return hostvars[name]


def _addresses_in(variables, name: str, where: str) -> dict:
    """{IP version: address} of a host: lvs_address (an address, or a list of at most one
    address per family), else an IP ansible_host."""
    value = variables.get("lvs_address", variables.get("ansible_host"))
    if value is None:
        raise TopologyError("%s names host '%s', which has neither lvs_address nor ansible_host" % (where, name))
    variable = "lvs_address" if "lvs_address" in variables else "ansible_host"
    listed = variable == "lvs_address" and isinstance(value, list)
    if listed and not value:
        raise TopologyError("%s: host '%s' lvs_address must be an address or a list of one address per family, got []" % (where, name))
    addresses = {}
    for position, item in enumerate(value if listed else [value]):
        spot = "%s: host '%s' %s%s" % (where, name, variable, "[%d]" % position if listed else "")
        address = _ip(item, spot)
        if address.version in addresses:
            raise TopologyError("%s: a second IPv%d address; lvs_address lists at most one per family" % (spot, address.version))
        addresses[address.version] = address
    return addresses


def host_addresses(hostvars: dict, name: str, where: str) -> dict:
    """The addresses a host is known by, by IP version: lvs_address, else an IP ansible_host."""
    return _addresses_in(_variables_of(hostvars, name, where), name, where)


def _of_family(addresses: dict, family: int):
    # a host of one family gives that address to services of either: a tunnel may carry
    # one family inside the other, and anything else the model refuses, naming the server
    return addresses.get(family) or next(iter(addresses.values()))


def _family_asked(service: dict) -> int:
    """The address family a service's servers are looked up in: its address's, else its
    family's (a firewall mark's); only a host with an address of each family tells."""
    address = service.get("address")
    if isinstance(address, str):
        return 6 if ":" in address else 4
    return 6 if service.get("family") == "ipv6" else 4


class InventoryHosts:
    """The hosts servers name, each read from hostvars once: in Ansible every read of
    ``hostvars[name]`` gathers that host's variables again, and a fleet's table names
    each real server in many services."""

    def __init__(self, hostvars: dict):
        self.hostvars = hostvars
        self._known = {}

    def address(self, name: str, where: str, family: int):
        if name not in self._known:
            variables = _variables_of(self.hostvars, name, where)
            self._known[name] = (_addresses_in(variables, name, where), variables.get("realserver_method"))
        return _of_family(self._known[name][0], family)

    def declared_method(self, name: str):
        """The host's realserver_method; only for a host whose address was read."""
        return self._known[name][1]


def _server_method(service: dict, server: dict) -> str:
    return server.get("forwarding_method") or service.get("forwarding_method") or model.DEFAULT_METHOD


def _check_declared_method(hosts: InventoryHosts, name: str, method: str, where: str) -> None:
    declared = hosts.declared_method(name)
    if declared is not None and declared != method:
        raise TopologyError(
            "%s sends to host '%s' by %s, but that host's realserver_method is %s" % (where, name, method, declared),
        )


def _servers_of(service: dict, hosts: InventoryHosts, where: str):
    """(index, server, address, method, host name or None) for each server of a service."""
    family = _family_asked(service)
    for index, server in enumerate(service.get("servers", [])):
        spot = "%s.servers[%d]" % (where, index)
        if not isinstance(server, dict):
            raise TopologyError("%s must be a dict" % spot)
        if (server.get("host") is None) == (server.get("address") is None):
            raise TopologyError("%s needs exactly one of host (an inventory host) or address" % spot)
        method = _method(_server_method(service, server), spot)
        name = server.get("host")
        if name is not None and not isinstance(name, str):
            raise TopologyError("%s.host must be the name of an inventory host, got %r" % (spot, name))
        if name is None:
            address = _ip(server["address"], spot + ".address")
        else:
            address = hosts.address(name, spot, family)
            _check_declared_method(hosts, name, method, spot)
        yield index, server, address, method, name


# The types lvs.ipvs.ipvs_table's argument spec gives these options before its model sees them.
_INTEGERS = ("port", "fwmark", "persistence_timeout", "weight", "upper_threshold", "lower_threshold", "tunnel_port")
_BOOLEANS = ("persistent", "one_packet")


def _typed(options: dict, where: str) -> dict:
    typed = dict(options)
    for name in _INTEGERS:
        value = typed.get(name)
        if value is not None and (isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and model.is_decimal(value.lstrip("-"))))):
            raise TopologyError("%s.%s must be a whole number, got %r" % (where, name, value))
        if value is not None:
            typed[name] = int(value)
    for name in _BOOLEANS:
        if typed.get(name) is not None and not isinstance(typed[name], bool):
            raise TopologyError("%s.%s must be true or false, got %r" % (where, name, typed[name]))
    if typed.get("scheduler_flags") is not None and not isinstance(typed["scheduler_flags"], list):
        raise TopologyError("%s.scheduler_flags must be a list, got %r" % (where, typed["scheduler_flags"]))
    return typed


def check_entry(entry: dict, where: str) -> None:
    """Build a service entry and its servers through the collection's model, as
    lvs.ipvs.ipvs_table will on the director: what it would refuse is refused here,
    on the controller, before any host changes."""
    service = _typed(entry, where)
    try:
        key = model.service_key(*(service.get(name) for name in model.SERVICE_IDENTITY))
        if not _present(service):
            return
        model.build_service(key, **{name: service.get(name) for name in model.SERVICE_OPTIONS})
        dests = []
        for index, server in enumerate(service["servers"]):
            spot = "%s.servers[%d]" % (where, index)
            dests.append(model.build_dest(key, **{name: value for name, value in _typed(server, spot).items() if name != "maintenance"}))
        plan.unique_servers(key, dests)
    except IpvsError as exc:
        raise TopologyError("%s: %s" % (where, exc.message)) from None


def director_table(services, hostvars: dict, host: str, variable: str = "director_services", keepalived_owned: bool = False) -> list:
    """The services argument of lvs.ipvs.ipvs_table for a director: those without a
    health_check (the module path), or with ``keepalived_owned`` only those keepalived owns.
    A server in ``maintenance`` gets weight 0: no new connections, the open ones finish."""
    table, hosts = [], InventoryHosts(hostvars)
    for index, service in enumerate(_services(services, variable, host)):
        if health_checked(service) != keepalived_owned:
            continue
        where = service_where(host, variable, index, service_label(service))
        entry = {key: service[key] for key in SERVICE_KEYS if service.get(key) is not None}
        entry["servers"] = []
        for _index, server, address, method, _name in _servers_of(service, hosts, where):
            spec = {key: server[key] for key in SERVER_KEYS if server.get(key) is not None}
            spec.update(address=str(address), forwarding_method=method)
            if server.get("maintenance"):
                spec["weight"] = 0
            entry["servers"].append(spec)
        check_entry(entry, where)
        table.append(entry)
    return table


def held_out(services, held, variable: str = "director_services", host: str = "") -> list:
    """``services`` with every real server named in ``held`` marked ``maintenance``: the real
    servers playbooks/maintenance.yml keeps out, by inventory host name or by address."""
    if not isinstance(held, (list, tuple)) or not all(isinstance(name, str) for name in held):
        raise TopologyError("host %r: the held real servers must be a list of host names or addresses, got %r" % (host, held))
    names = set(held)
    if not names:
        return services
    marked = []
    for service in _services(services, variable, host):
        if isinstance(service.get("servers"), list):
            servers = [
                dict(server, maintenance=True) if isinstance(server, Mapping) and (server.get("host") in names or server.get("address") in names) else server
                for server in service["servers"]
            ]
            service = dict(service, servers=servers)
        marked.append(service)
    return marked


def interface_networks(facts: dict) -> list:
    """The networks of every interface address in gathered network facts."""
    networks = []
    for name in facts.get("interfaces", []):
        device = facts.get(name.replace("-", "_").replace(".", "_"), {})
        for v4 in [device.get("ipv4", {}), *device.get("ipv4_secondaries", [])]:
            if v4.get("address") and v4.get("netmask"):
                networks.append(ipaddress.ip_interface("%s/%s" % (v4["address"], v4["netmask"])).network)
        for v6 in device.get("ipv6", []):
            if v6.get("address") and v6.get("prefix"):
                networks.append(ipaddress.ip_interface("%s/%s" % (v6["address"], v6["prefix"])).network)
    return [str(network) for network in networks]


def _prefix(address) -> str:
    return "%s/%d" % (address, address.max_prefixlen)


def _scheduler_modules(service: dict) -> list:
    modules = ["ip_vs_%s" % service.get("scheduler", model.DEFAULT_SCHEDULER)]
    if service.get("persistence_engine"):
        modules.append("ip_vs_pe_%s" % service["persistence_engine"])
    return modules


def director_network(services, host: str, vip_interface=None, networks=None, variable: str = "director_services") -> dict:
    """Kernel modules, sysctls and VIP addresses a director needs.

    networks: the director's interface networks (interface_networks); when given, a
    masquerading service whose VIP lies outside all of them is refused, because
    neither clients nor the real servers' replies could reach it there.
    """
    modules, sysctls, addresses = ["ip_vs"], {}, []
    if vip_interface:
        interface_name(vip_interface, "host '%s': director_vip_interface" % host)
    for index, service in enumerate(_services(services, variable, host)):
        if not _present(service):
            continue
        where = service_where(host, variable, index, service_label(service))
        modules.extend(_scheduler_modules(service))
        vips = service_vips(service, where)
        if _masquerades(service, where):
            key = "net.ipv4.ip_forward" if _family(service, vips) == 4 else "net.ipv6.conf.all.forwarding"
            sysctls[key] = "1"
            for vip in vips:
                if networks is not None and not any(vip in ipaddress.ip_network(net) for net in networks):
                    raise TopologyError(
                        "%s uses masquerade, but its VIP %s is outside every network of the director's interfaces (%s)"
                        % (where, vip, ", ".join(networks) or "none"),
                    )
        if vip_interface:
            addresses.extend([vip_interface, _prefix(vip)] for vip in vips)
    return {"modules": _unique(modules), "sysctls": sorted(sysctls.items()), "addresses": _unique(addresses), "gateways": []}


def _masquerades(service: dict, where: str) -> bool:
    """Whether the service or any of its servers forwards by masquerade (NAT)."""
    methods = {_method(service.get("forwarding_method", model.DEFAULT_METHOD), where)}
    for number, server in enumerate(service.get("servers", [])):
        if isinstance(server, dict):
            methods.add(_method(_server_method(service, server), "%s.servers[%d]" % (where, number)))
    return model.MASQUERADE in methods


def _service_key(service: dict, where: str) -> model.ServiceKey:
    typed = _typed({name: service.get(name) for name in model.SERVICE_IDENTITY}, where)
    try:
        return model.service_key(*(typed[name] for name in model.SERVICE_IDENTITY))
    except IpvsError as exc:
        raise TopologyError("%s: %s" % (where, exc.message)) from None


def director_traffic(services, host: str, conntrack_bypass: bool = False, variable: str = "director_services") -> dict:
    """What the director's own nftables table does: give the packets each firewall-mark
    service's ``match`` groups that service's mark, and, with ``conntrack_bypass``, keep the
    packets of every service that does not masquerade out of conntrack.

    A packet two marks would take, or that a service of its address and port serves, is
    refused: IPVS looks a packet's mark up first, so that service would get nothing.
    Returns ``{"marks": [(mark, traffic)], "untracked": [traffic]}`` of model.MarkedTraffic.
    """
    marks, served, untracked = [], [], []
    for index, service in enumerate(_services(services, variable, host)):
        if not _present(service):
            continue
        where = service_where(host, variable, index, service_label(service))
        key = _service_key(service, where)
        traffic = _marked(service, where, key)
        if traffic:
            marks.append((key.fwmark, traffic, where))
        elif not key.is_fwmark:
            traffic = (model.served_traffic(key),)
            served.append((traffic[0], where))
        if conntrack_bypass and not _masquerades(service, where):
            untracked.extend(traffic)
    for number, (_mark, traffic, where) in enumerate(marks):
        for _other_mark, other, other_where in marks[number + 1 :]:
            _refuse_overlap(traffic, other, where, other_where)
        for plain, other_where in served:
            _refuse_overlap(traffic, (plain,), where, other_where)
    return {"marks": [(mark, traffic) for mark, traffic, _where in marks], "untracked": untracked}


def _refuse_overlap(traffic, others, where: str, other_where: str) -> None:
    for first in traffic:
        for second in others:
            if model.overlapping(first, second):
                raise TopologyError(
                    "%s.match takes %s, and so does %s: a packet gets one mark, and IPVS looks the mark up before "
                    "the address and port; give each packet to one service" % (where, first.label(), other_where)
                )


def interface_name(value, where: str) -> str:
    """``value`` if it can name a network interface; else the collection's error naming ``where``."""
    try:
        return model.interface_name(value, where)
    except IpvsError as exc:
        raise TopologyError(exc.message) from None


def _unique(items: list) -> list:
    seen, unique = set(), []
    for item in items:
        key = tuple(item) if isinstance(item, list) else item
        if key not in seen:
            seen.add(key)
            unique.append(item)
    return unique


def _own_addresses(hostvars: dict, host: str) -> list:
    """This host's addresses, to match servers given by address; none when it has none."""
    try:
        return [str(address) for address in host_addresses(hostvars, host, "host '%s'" % host).values()]
    except TopologyError:
        return []


def realserver_fleet(services, hostvars: dict, host: str, variable: str = "realserver_services") -> dict:
    """Every real server's part of the services, in one pass over them.

    The entries that send to each inventory host (servers given by ``host``) and to each
    address (servers given by ``address``), each entry holding what a real server needs
    of it. Everything the entries come from is checked here, once for the whole fleet;
    ``host`` is the host whose ``variable`` was read, for messages. A real server then
    picks its part (``host_entries``) in time proportional to that part.
    """
    hosts = InventoryHosts(hostvars)
    by_host, by_address = {}, {}
    for index, service in enumerate(_services(services, variable, host)):
        if not _present(service):
            continue
        label = service_label(service)
        where = service_where(host, variable, index, label)
        addresses = service_vips(service, where)
        vips, family = [str(vip) for vip in addresses], _family(service, addresses)
        identity = {key: service[key] for key in model.SERVICE_IDENTITY if service.get(key) is not None}
        for number, server, address, method, name in _servers_of(service, hosts, where):
            options = {key: server[key] for key in SERVER_KEYS if server.get(key) is not None}
            options.update(address=str(address), forwarding_method=method)
            if server.get("maintenance"):
                # its weight on the directors: what drain.yml puts back
                options["weight"] = 0
            entry = {"index": [index, number], "label": label, "vips": vips, "family": family, "method": method, "service": identity, "server": options}
            if name is None:
                by_address.setdefault(str(address), []).append(entry)
            else:
                by_host.setdefault(name, []).append(entry)
    buckets = max(1, math.isqrt(len(by_host) + len(by_address)))
    return {"variable": variable, "buckets": buckets, "hosts": _bucketed(by_host, buckets), "addresses": _bucketed(by_address, buckets)}


# Ansible 2.19 wraps every value of a dict a template reads from (its lazy templating),
# so one host reading its entries from a map of all hosts would cost time in the
# number of hosts, and the fleet's picks time in its square. Kept in about sqrt(N)
# buckets of about sqrt(N) keys, a pick reads two small dicts.
def _bucket(key: str, buckets: int) -> str:
    return str(zlib.crc32(key.encode("utf-8")) % buckets)


def _bucketed(entries: dict, buckets: int) -> dict:
    bucketed = {}
    for key, value in entries.items():
        bucketed.setdefault(_bucket(key, buckets), {})[key] = value
    return bucketed


def _is_fleet(value) -> bool:
    return isinstance(value, Mapping) and set(value) == {"variable", "buckets", "hosts", "addresses"}


def _picked(fleet: Mapping, kind: str, key: str) -> list:
    return list(fleet[kind].get(_bucket(key, fleet["buckets"]), {}).get(key, []))


def _picked_by(fleet, hostvars: dict, host: str, variable: str) -> tuple:
    """This host's entries of a fleet, in the order of the services and their servers:
    those that name it and those that give its address (its variables are read only when
    some server is given by address). Also the fleet's variable, and whether any entry
    came by address."""
    if not _is_fleet(fleet):
        fleet = realserver_fleet(fleet, hostvars, host, variable)
    named, addressed = _picked(fleet, "hosts", host), []
    if fleet["addresses"]:
        for own_address in _own_addresses(hostvars, host):
            addressed += _picked(fleet, "addresses", own_address)
    return fleet["variable"], sorted(named + addressed, key=lambda entry: entry["index"]), bool(addressed)


def host_entries(fleet, hostvars: dict, host: str, variable: str = "realserver_services") -> list:
    """This host's entries of a fleet (``realserver_fleet``), in the order of the services
    and their servers: those that name it, and those that give its address. ``fleet`` may
    also be the list of services, then derived for this host's sake."""
    return _picked_by(fleet, hostvars, host, variable)[1]


def realserver_network(
    fleet,
    hostvars: dict,
    host: str,
    dr_interface: str = "lo",
    nat_gateways=None,
    extra_vips=None,
    variable: str = "realserver_services",
    path_mtu: int | None = None,
) -> dict:
    """Kernel modules, sysctls, VIP addresses and default routes a real server needs, and
    with ``path_mtu`` (the MTU of the director's path to it) the MSS its SYN-ACKs from each
    tunnelled VIP may advertise; ``fleet`` is ``realserver_fleet``'s result, or the list of
    services."""
    interface_name(dr_interface, "host '%s': realserver_dr_interface" % host)
    modules, sysctls, addresses = [], {}, []
    ends = {"gue_ports": [], "gre_devices": [], "gre_modes": {}, "overheads": {}}
    gateways = _gateways(nat_gateways, host)
    fleet_variable, entries, any_addressed = _picked_by(fleet, hostvars, host, variable)
    # The fleet checked each named host's realserver_method; a server given by this
    # host's address is checked here.
    declared = hostvars.get(host, {}).get("realserver_method") if any_addressed else None
    used = set()
    # (VIP, method, server entry, where) of every VIP the host carries, in order
    carried = []
    for entry in entries:
        where = service_where(host, fleet_variable, entry["index"][0], entry["label"])
        method = entry["method"]
        if declared is not None and declared != method:
            raise TopologyError("%s sends to it by %s, but its realserver_method is %s" % (where, method, declared))
        if method == model.MASQUERADE:
            family = entry["family"]
            if family not in gateways:
                raise TopologyError(
                    "%s reaches it by masquerade, so realserver_nat_gateway must give the director's IPv%d address "
                    "on this host's network (replies must go back through the director)" % (where, family),
                )
            used.add(family)
            continue
        carried.extend((vip, method, entry["server"], where) for vip in map(ipaddress.ip_address, entry["vips"]))
    for index, extra in enumerate(extra_vips or []):
        where = "host '%s': realserver_vips[%d]" % (host, index)
        vip = _ip(extra.get("address") if isinstance(extra, dict) else extra, where)
        method = extra.get("forwarding_method", model.DEFAULT_METHOD) if isinstance(extra, dict) else model.DEFAULT_METHOD
        # no server entry gives the tunnel's type or outer family: IP in IP of the VIP's family
        carried.append((vip, method, {"address": str(vip)}, where))
    for vip, method, server, where in carried:
        device = _tunnel_end(server, vip, where, modules, sysctls, ends) if method == model.TUNNEL else dr_interface
        _carry_vip(vip, device, sysctls, addresses)
    return {
        "modules": _unique(modules),
        "sysctls": sorted(sysctls.items()),
        "addresses": _unique(addresses),
        "gateways": [str(gateways[family]) for family in sorted(used)],
        "gue_ports": sorted(_unique(ends["gue_ports"])),
        "gre_devices": _unique(ends["gre_devices"]),
        "mss_clamps": [] if path_mtu is None else _mss_clamps(ends["overheads"], path_mtu, host),
    }


def _mss_clamps(overheads: dict, path_mtu: int, host: str) -> list:
    """[VIP, MSS] for each tunnelled VIP: the largest encapsulation of its services decides."""
    clamps = []
    for vip, overhead in sorted(overheads.items(), key=lambda item: (item[0].version, item[0])):
        mss = model.tunnelled_mss(path_mtu, overhead, vip.version)
        if mss < MIN_MSS[vip.version]:
            raise TopologyError(
                "host '%s': realserver_tunnel_path_mtu %d leaves %d bytes of TCP payload for %s once the director's "
                "encapsulation (%d bytes) is added; IPv%d needs at least %d" % (host, path_mtu, mss, vip, overhead, vip.version, MIN_MSS[vip.version])
            )
        clamps.append([str(vip), mss])
    return clamps


def _gateways(value, host: str) -> dict:
    if value in (None, "", []):
        return {}
    gateways = {}
    for index, item in enumerate(value if isinstance(value, list) else [value]):
        address = _ip(item, "host '%s': realserver_nat_gateway[%d]" % (host, index))
        gateways[address.version] = address
    return gateways


def _tunnel_end(server: Mapping, vip, where: str, modules: list, sysctls: dict, ends: dict) -> str:
    """What unwraps a tunnelled server's packets - the kernel modules, a GUE receive port or
    a GRE device (in ``ends``), reverse-path filtering off on the device - and the device
    the VIP goes on."""
    typed = _typed({key: server.get(key) for key in model.TUNNEL_OPTIONS}, where)
    try:
        kind, port, checksum = model.tunnel_options(where, model.TUNNEL, typed["tunnel_type"], typed["tunnel_port"], typed["tunnel_checksum"])
    except IpvsError as exc:
        raise TopologyError(exc.message) from None
    address = _ip(server["address"], where)
    outer = address.version
    overheads = ends["overheads"]
    overheads[vip] = max(overheads.get(vip, 0), model.encapsulation_overhead(kind, outer, checksum))
    if kind == "gre":
        module, device = GRE_DEVICES[outer]
        device = _gre_end(ends, address, checksum == "csum", where) or device
    else:
        # a GUE port takes every checksum mode (nocsum, csum, remcsum) as it comes
        module, device = IP_IN_IP_DEVICES[(outer, vip.version)]
    if kind == "gue":
        modules.extend(GUE_MODULES[outer])
        ends["gue_ports"].append([port, outer])
    modules.append(module)
    if vip.version == 4:
        # Unwrapped packets arrive on the tunnel device from a client routed via another
        # interface: strict reverse-path filtering would drop them.
        sysctls["net.ipv4.conf.%s.rp_filter" % device] = "0"
        sysctls["net.ipv4.conf.all.rp_filter"] = "loose"
    return device


def _gre_end(ends: dict, address, checksummed: bool, where: str):
    """The collection's GRE device for checksummed GRE to ``address``, or None for the
    fallback device. Either takes every GRE packet of its family to this host, so one
    host's GRE services of a family must agree on the checksum and, with it, the address."""
    family = address.version
    first = ends["gre_modes"].setdefault(family, (checksummed, address, where))
    if first[0] != checksummed:
        raise TopologyError(
            "%s sends to it over GRE %s a checksum, but %s %s: the host's GRE device of a family takes either only packets "
            "with a checksum or only packets without; give them the same tunnel_checksum"
            % (where, "with" if checksummed else "without", first[2], "does not" if checksummed else "does")
        )
    if not checksummed:
        return None
    if first[1] != address:
        raise TopologyError(
            "%s sends to it over GRE with a checksum at %s, but %s at %s: one address per family can take checksummed GRE"
            % (where, address, first[2], first[1])
        )
    kind, device = GRE_CSUM_DEVICES[family]
    ends["gre_devices"].append([device, kind, str(address)])
    return device


def _carry_vip(vip, device: str, sysctls: dict, addresses: list) -> None:
    """A VIP the host must accept but never announce, on lo or the device a tunnel delivers to."""
    if vip.version == 4:
        # The VIP must not be answered in ARP on the shared segment: only the director may.
        sysctls["net.ipv4.conf.all.arp_ignore"] = "1"
        sysctls["net.ipv4.conf.all.arp_announce"] = "2"
    addresses.append([device, _prefix(vip)])


def realserver_entries(fleet, hostvars: dict, host: str, variable: str = "lvs_services") -> list:
    """Each service entry that sends to this host: the service and server options of
    lvs.ipvs.ipvs_server; ``fleet`` is ``realserver_fleet``'s result, or the list of services."""
    return [{"service": entry["service"], "server": entry["server"], "label": entry["label"]} for entry in host_entries(fleet, hostvars, host, variable)]
