# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The config of lvs-ipvs-net (the host_network role's script), built from checked values.

The script reads one item a line, words split by white space; a value that carried
a newline or a space could add lines (a ``restore`` of another file, a ``gateway``)
or lose words. So each value is checked for what it is - a kernel module name, a
sysctl name and number, an interface name, an address, an absolute path - and an
error names the host and the variable.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _topology as topology
from ansible_collections.lvs.ipvs.plugins.plugin_utils._topology import TopologyError

_NAME = re.compile(r"[a-z0-9_-]{1,64}\Z")
_MODULE = re.compile(r"[A-Za-z0-9_-]{1,55}\Z")
# sysctl names as /proc/sys paths with dots; a device name in one is written with "/" for its dots
_SYSCTL = re.compile(r"[a-z0-9_]+(\.[A-Za-z0-9_/-]+)+\Z")
_SYSCTL_VALUE = re.compile(r"(loose|[0-9]{1,10}( [0-9]{1,10}){0,3})\Z")
_PATH = re.compile(r"/[A-Za-z0-9_.+@%,:=-]+(/[A-Za-z0-9_.+@%,:=-]+)*\Z")


def _refuse(where: str, value, what: str):
    raise TopologyError("%s must be %s, got %r" % (where, what, topology.shown(value)))


def _pair(item, where: str) -> tuple:
    if not isinstance(item, (list, tuple)) or len(item) != 2:
        _refuse(where, item, "a pair [name, value]")
    return item[0], item[1]


# The kinds of GRE device the script creates, by the family of their local address.
_GRE_KINDS = {"gre": 4, "ip6gre": 6}


def _gre_device(item, where: str) -> tuple:
    """(name, kind, local address) of a GRE device that requires checksums (icsum)."""
    if not isinstance(item, (list, tuple)) or len(item) != 3:
        _refuse(where, item, "a triple [name, kind, local address]")
    name, kind, local = item
    topology.interface_name(name, where + " name")
    if kind not in _GRE_KINDS:
        _refuse(where + " kind", kind, "gre or ip6gre")
    try:
        address = ipaddress.ip_address(local) if isinstance(local, str) else None
    except ValueError:
        address = None
    if address is None or address.version != _GRE_KINDS[kind]:
        _refuse(where + " local address", local, "an IPv%d address (the host's own, where the director sends)" % _GRE_KINDS[kind])
    return name, kind, str(address)


# nftables table names the script may replace and delete (tables of the inet family)
_NFT_TABLE = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")


def path(value, where: str) -> str:
    """``value``, refused naming ``where`` unless it is an absolute path the script can take."""
    if not isinstance(value, str) or len(value) > 1024 or not _PATH.match(value) or "/../" in value + "/":
        _refuse(where, value, "an absolute path without spaces or special characters")
    return value


def config(host: str, name: str, state: str, modules, sysctls, addresses, gateways, restore: str, boot: bool, gue_ports=(), gre_devices=(), nftables=()) -> str:
    """The text lvs-ipvs-net --apply takes; see the role's argument specs."""
    where = "host '%s': host_network_" % host
    if not isinstance(name, str) or not _NAME.match(name):
        _refuse(where + "name", name, "1-64 lower-case letters, digits, '_' or '-'")
    lines = ["# lvs.ipvs.host_network: %s" % name]
    if state != "present":
        return "\n".join(lines) + "\n"
    for index, module in enumerate(modules or []):
        if not isinstance(module, str) or not _MODULE.match(module):
            _refuse("%smodules[%d]" % (where, index), module, "a kernel module name (letters, digits, '_' or '-')")
        lines.append("module %s" % module)
    for index, item in enumerate(sysctls or []):
        key, value = _pair(item, "%ssysctls[%d]" % (where, index))
        if not isinstance(key, str) or not _SYSCTL.match(key):
            _refuse("%ssysctls[%d] name" % (where, index), key, "a sysctl name such as net.ipv4.conf.all.rp_filter")
        text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
        if text is None or not _SYSCTL_VALUE.match(text):
            _refuse("%ssysctls[%d] value" % (where, index), value, "up to 4 whole numbers, or loose")
        lines.append("sysctl %s %s" % (key, text))
    for index, item in enumerate(addresses or []):
        device, cidr = _pair(item, "%saddresses[%d]" % (where, index))
        topology.interface_name(device, "%saddresses[%d] device" % (where, index))
        try:
            address = ipaddress.ip_interface(str(cidr)) if isinstance(cidr, str) and "/" in cidr else None
        except ValueError:
            address = None
        if address is None:
            _refuse("%saddresses[%d] address" % (where, index), cidr, "an address with its prefix, such as 192.0.2.10/32")
        lines.append("address %s %s" % (device, address.with_prefixlen))
    for index, item in enumerate(gue_ports or []):
        port, family = _pair(item, "%sgue_ports[%d]" % (where, index))
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= model.MAX_PORT:
            _refuse("%sgue_ports[%d] port" % (where, index), port, "a UDP port 1..%d" % model.MAX_PORT)
        if family not in (4, 6) or isinstance(family, bool):
            _refuse("%sgue_ports[%d] family" % (where, index), family, "4 or 6 (the family of the tunnel's outer packets)")
        lines.append("gue %d %d" % (port, family))
    for index, item in enumerate(gre_devices or []):
        lines.append("gre %s %s %s" % _gre_device(item, "%sgre_devices[%d]" % (where, index)))
    families = set()
    for index, gateway in enumerate(gateways or []):
        try:
            address = ipaddress.ip_address(str(gateway)) if isinstance(gateway, str) else None
        except ValueError:
            address = None
        if address is None:
            _refuse("%sgateways[%d]" % (where, index), gateway, "an IP address")
        if address.version in families:
            _refuse("%sgateways[%d]" % (where, index), gateway, "the only IPv%d gateway (one default route per family)" % address.version)
        families.add(address.version)
        lines.append("gateway %s" % address)
    for index, item in enumerate(nftables or []):
        table, file = _pair(item, "%snftables[%d]" % (where, index))
        if not isinstance(table, str) or not _NFT_TABLE.match(table):
            _refuse("%snftables[%d] table" % (where, index), table, "an nftables table name (a lower-case letter, then up to 31 letters, digits or '_')")
        lines.append("nft %s %s" % (table, path(file, "%snftables[%d] file" % (where, index))))
    if restore:
        lines.append("restore %s" % path(restore, where + "restore"))
    if boot:
        lines.append("boot")
    return "\n".join(lines) + "\n"
