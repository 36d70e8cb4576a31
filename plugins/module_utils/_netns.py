# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Work inside a named network namespace: IPVS tables, sync daemons, timeouts and
the connection table all belong to one.

setns() moves only the calling thread, and the thread is moved back when the work
is done: under a persistent-interpreter runner such as Mitogen a module runs in a
thread of a process that serves later tasks too, which must not find themselves in
another namespace. For the same reason per-namespace files are read through
/proc/thread-self, not /proc/self (the process's first thread).
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import functools
import os

from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

CLONE_NEWNET = 0x40000000
NETNS_RUN_DIR = "/run/netns"
# This thread's view of /proc/net (Linux 3.17+).
PROC_NET = "/proc/thread-self/net"
OWN_NAMESPACE = "/proc/thread-self/ns/net"


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


def _enter(name: str) -> None:
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


@contextlib.contextmanager
def entered(name: str | None):
    """This thread inside network namespace ``name`` (where it is for None), and back after."""
    if not name:
        yield
        return
    own = os.open(OWN_NAMESPACE, os.O_RDONLY)
    try:
        _enter(name)
        try:
            yield
        finally:
            _setns(own)
    finally:
        os.close(own)


def in_namespace(run):
    """Decorate a module's ``run(params, ...)``: it works inside ``params["namespace"]``."""

    @functools.wraps(run)
    def wrapper(params: dict, *args, **kwargs):
        with entered(params.get("namespace")):
            return run(params, *args, **kwargs)

    return wrapper
