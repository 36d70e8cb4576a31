# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The IPVS generic netlink schema, after the kernel's include/uapi/linux/ip_vs.h.

pyroute2's own ``pyroute2.netlink.generic.ipvs`` lacks the daemon, config, info,
zero and flush commands and encodes the IPv6 persistence netmask and the tunnel
port wrongly, so the whole schema is declared here on pyroute2's ``genlmsg`` and
``nla`` classes. Addresses travel as raw bytes (``cdata``) because their length
depends on a sibling family attribute; ``_model`` turns them into text.
"""

from __future__ import annotations

import importlib.util
import sys


def _import_netlink_core():
    """Import pyroute2's netlink core without running ``pyroute2/__init__.py``.

    That file eagerly imports every pyroute2 subsystem (IPRoute, NDB, conntrack,
    the CLI...), which is most of the start-up time of a module run and of no
    use here. The package is registered unexecuted just long enough to import
    the submodules; a later ``import pyroute2`` elsewhere still gets the full one.
    """
    stub = None
    if "pyroute2" not in sys.modules:
        spec = importlib.util.find_spec("pyroute2")
        if spec is None:
            raise ImportError("No module named 'pyroute2'")
        stub = sys.modules["pyroute2"] = importlib.util.module_from_spec(spec)
    try:
        from pyroute2.netlink import NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, genlmsg, nla
        from pyroute2.netlink.exceptions import NetlinkError
        from pyroute2.netlink.generic import GenericNetlinkSocket
    finally:
        if stub is not None and sys.modules.get("pyroute2") is stub:
            del sys.modules["pyroute2"]
    return NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, genlmsg, nla, NetlinkError, GenericNetlinkSocket


try:
    NLM_F_ACK, NLM_F_DUMP, NLM_F_REQUEST, genlmsg, nla, NetlinkError, GenericNetlinkSocket = _import_netlink_core()
    HAS_PYROUTE2 = True
    PYROUTE2_IMPORT_ERROR = None
except ImportError as exc:  # pragma: no cover - exercised by ansible-test sanity
    HAS_PYROUTE2 = False
    PYROUTE2_IMPORT_ERROR = exc

    class _Unavailable:
        """Base for the schema classes when pyroute2 is missing (modules then fail early)."""

    genlmsg = nla = _Unavailable
    NetlinkError = OSError

GENL_NAME = "IPVS"
GENL_VERSION = 1

# enum of generic netlink commands
CMD_NEW_SERVICE = 1
CMD_SET_SERVICE = 2
CMD_DEL_SERVICE = 3
CMD_GET_SERVICE = 4
CMD_NEW_DEST = 5
CMD_SET_DEST = 6
CMD_DEL_DEST = 7
CMD_GET_DEST = 8
CMD_NEW_DAEMON = 9
CMD_DEL_DAEMON = 10
CMD_GET_DAEMON = 11
CMD_SET_CONFIG = 12
CMD_GET_CONFIG = 13
CMD_SET_INFO = 14
CMD_GET_INFO = 15
CMD_ZERO = 16
CMD_FLUSH = 17

# forwarding methods (IP_VS_CONN_F_FWD_MASK part of conn_flags)
FWD_MASK = 0x0007
FWD_MASQ = 0x0000
FWD_LOCALNODE = 0x0001
FWD_TUNNEL = 0x0002
FWD_DROUTE = 0x0003
FWD_BYPASS = 0x0004

# virtual service flags
SVC_F_PERSISTENT = 0x0001
SVC_F_HASHED = 0x0002
SVC_F_ONEPACKET = 0x0004
SVC_F_SCHED1 = 0x0008
SVC_F_SCHED2 = 0x0010
SVC_F_SCHED3 = 0x0020

# sync daemon states
STATE_NONE = 0
STATE_MASTER = 1
STATE_BACKUP = 2

# tunnel types and encapsulation flags
TUN_TYPE_IPIP = 0
TUN_TYPE_GUE = 1
TUN_TYPE_GRE = 2
TUN_F_NOCSUM = 0
TUN_F_CSUM = 1 << 0
TUN_F_REMCSUM = 1 << 1

SCHEDNAME_MAXLEN = 16
PENAME_MAXLEN = 16
IFNAME_MAXLEN = 16

_STATS_NAMES = (
    "CONNS",
    "INPKTS",
    "OUTPKTS",
    "INBYTES",
    "OUTBYTES",
    "CPS",
    "INPPS",
    "OUTPPS",
    "INBPS",
    "OUTBPS",
)


def _stats_map(width_of):
    attrs = [("IPVS_STATS_ATTR_UNSPEC", "none")]
    attrs += [("IPVS_STATS_ATTR_" + name, width_of(name)) for name in _STATS_NAMES]
    attrs.append(("IPVS_STATS_ATTR_PAD", "none"))
    return tuple(attrs)


def _legacy_stats_width(name):
    # the 32-bit stats nest still carries 64-bit byte counters
    return "uint64" if name.endswith("BYTES") else "uint32"


class _stats_holder:
    """Mixin giving a nested attribute its two statistics nests."""

    class stats(nla):
        nla_map = _stats_map(_legacy_stats_width)

    class stats64(nla):
        nla_map = _stats_map(lambda name: "uint64")


class ipvs_msg(genlmsg):
    """Requests and replies of every command but GET_INFO."""

    prefix = "IPVS_CMD_ATTR_"
    nla_map = (
        ("IPVS_CMD_ATTR_UNSPEC", "none"),
        ("IPVS_CMD_ATTR_SERVICE", "service"),
        ("IPVS_CMD_ATTR_DEST", "dest"),
        ("IPVS_CMD_ATTR_DAEMON", "daemon"),
        ("IPVS_CMD_ATTR_TIMEOUT_TCP", "uint32"),
        ("IPVS_CMD_ATTR_TIMEOUT_TCP_FIN", "uint32"),
        ("IPVS_CMD_ATTR_TIMEOUT_UDP", "uint32"),
    )

    class service(nla, _stats_holder):
        prefix = "IPVS_SVC_ATTR_"
        nla_map = (
            ("IPVS_SVC_ATTR_UNSPEC", "none"),
            ("IPVS_SVC_ATTR_AF", "uint16"),
            ("IPVS_SVC_ATTR_PROTOCOL", "uint16"),
            ("IPVS_SVC_ATTR_ADDR", "cdata"),
            ("IPVS_SVC_ATTR_PORT", "be16"),
            ("IPVS_SVC_ATTR_FWMARK", "uint32"),
            ("IPVS_SVC_ATTR_SCHED_NAME", "asciiz"),
            ("IPVS_SVC_ATTR_FLAGS", "flags"),
            ("IPVS_SVC_ATTR_TIMEOUT", "uint32"),
            # be32 mask bytes for IPv4, a host-order prefix length for IPv6
            ("IPVS_SVC_ATTR_NETMASK", "cdata"),
            ("IPVS_SVC_ATTR_STATS", "stats"),
            ("IPVS_SVC_ATTR_PE_NAME", "asciiz"),
            ("IPVS_SVC_ATTR_STATS64", "stats64"),
        )

        class flags(nla):
            fields = (("flags", "I"), ("mask", "I"))

    class dest(nla, _stats_holder):
        prefix = "IPVS_DEST_ATTR_"
        nla_map = (
            ("IPVS_DEST_ATTR_UNSPEC", "none"),
            ("IPVS_DEST_ATTR_ADDR", "cdata"),
            ("IPVS_DEST_ATTR_PORT", "be16"),
            ("IPVS_DEST_ATTR_FWD_METHOD", "uint32"),
            ("IPVS_DEST_ATTR_WEIGHT", "uint32"),
            ("IPVS_DEST_ATTR_U_THRESH", "uint32"),
            ("IPVS_DEST_ATTR_L_THRESH", "uint32"),
            ("IPVS_DEST_ATTR_ACTIVE_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_INACT_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_PERSIST_CONNS", "uint32"),
            ("IPVS_DEST_ATTR_STATS", "stats"),
            ("IPVS_DEST_ATTR_ADDR_FAMILY", "uint16"),
            ("IPVS_DEST_ATTR_STATS64", "stats64"),
            ("IPVS_DEST_ATTR_TUN_TYPE", "uint8"),
            ("IPVS_DEST_ATTR_TUN_PORT", "be16"),
            ("IPVS_DEST_ATTR_TUN_FLAGS", "uint16"),
        )

    class daemon(nla):
        prefix = "IPVS_DAEMON_ATTR_"
        nla_map = (
            ("IPVS_DAEMON_ATTR_UNSPEC", "none"),
            ("IPVS_DAEMON_ATTR_STATE", "uint32"),
            ("IPVS_DAEMON_ATTR_MCAST_IFN", "asciiz"),
            ("IPVS_DAEMON_ATTR_SYNC_ID", "uint32"),
            ("IPVS_DAEMON_ATTR_SYNC_MAXLEN", "uint16"),
            ("IPVS_DAEMON_ATTR_MCAST_GROUP", "cdata"),
            ("IPVS_DAEMON_ATTR_MCAST_GROUP6", "cdata"),
            # host order, unlike every other port of this family (nla_get_u16 in ip_vs_ctl.c)
            ("IPVS_DAEMON_ATTR_MCAST_PORT", "uint16"),
            ("IPVS_DAEMON_ATTR_MCAST_TTL", "uint8"),
        )


class ipvs_info_msg(genlmsg):
    """GET_INFO replies: the kernel puts the info attributes at the top level,
    numbered from 1 like IPVS_CMD_ATTR_SERVICE, so they need a class of their own."""

    prefix = "IPVS_INFO_ATTR_"
    nla_map = (
        ("IPVS_INFO_ATTR_UNSPEC", "none"),
        ("IPVS_INFO_ATTR_VERSION", "uint32"),
        ("IPVS_INFO_ATTR_CONN_TAB_SIZE", "uint32"),
    )
