# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Enter a named network namespace: IPVS tables, sync daemons, timeouts and the
connection table all belong to one, and a module process can move into it."""

from __future__ import annotations

import ctypes
import errno
import os

from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/run/netns"


def namespace_path(name: str) -> str:
    """``ip netns`` names live in /run/netns; an absolute path (e.g. /proc/PID/ns/net) is used as is."""
    if name.startswith("/"):
        return name
    if not name or "/" in name or name in (".", ".."):
        raise IpvsError("namespace %r is not a valid network namespace name" % name)
    return os.path.join(NETNS_RUN_DIR, name)


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12+
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def enter(name: str | None) -> None:
    """Move this process into network namespace ``name`` (nothing for None)."""
    if not name:
        return
    path = namespace_path(name)
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise IpvsError("network namespace %r does not exist (no %s)" % (name, path)) from None
    try:
        _setns(fd)
    except OSError as exc:
        hint = ": entering a namespace needs root (CAP_SYS_ADMIN)" if exc.errno == errno.EPERM else ""
        raise IpvsError("cannot enter network namespace %r: %s%s" % (name, exc.strerror, hint)) from None
    finally:
        os.close(fd)
