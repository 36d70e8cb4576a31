# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One run at a time changes the IPVS table of a network namespace.

Two runs that read, plan and apply at the same time each plan against a table the
other is changing, and the later save file is not what the kernel holds. A run that
changes the table holds an exclusive ``flock`` on a file named after the namespace
from its read to its save. The kernel drops the lock when the holder's file is
closed, so a run killed with SIGKILL never leaves it held. ``flock`` locks belong to
an open file description: two module runs in threads of one process (Mitogen) each
open the file and exclude each other like two processes do.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import time

from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

LOCK_DIR = "/run/lvs-ipvs"
POLL_INTERVAL = 0.05
DEFAULT_TIMEOUT = 120


def lock_path() -> str:
    """The lock file of the namespace this thread is in, named by the namespace's inode
    (the same namespace whether it was named with ``ip netns`` or a /proc path)."""
    inode = os.stat(netns.OWN_NAMESPACE).st_ino
    return os.path.join(LOCK_DIR, "ipvs-netns-%d.lock" % inode)


def holder_of(path: str) -> str:
    """What the holder wrote when it took the lock; the lock itself records no owner."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read().strip()
    except OSError:
        text = ""
    return text or "a run that has not written its name yet"


@contextlib.contextmanager
def table_lock(timeout: int, owner: str, clock=time.monotonic, sleep=time.sleep):
    """Hold the namespace's table lock; yields the seconds spent waiting for it.
    Waits up to ``timeout`` seconds for another holder, then fails naming it."""
    if timeout < 0:
        raise IpvsError("lock_timeout must be 0 seconds or more, got %s" % timeout)
    path = lock_path()
    descriptor = _open(path)
    try:
        waited = _acquire(descriptor, path, timeout, clock, sleep)
        record = "pid %d (%s) since %s\n" % (os.getpid(), owner, time.strftime("%Y-%m-%dT%H:%M:%S%z"))
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, record.encode(), 0)
        yield waited
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def table_lock_unless(check_mode: bool, timeout: int, owner: str):
    """The table lock for a run that may change the table; a check-mode run only reads
    and does not wait behind one that changes it."""
    if check_mode:
        yield 0.0
        return
    with table_lock(timeout, owner) as waited:
        yield waited


def _open(path: str) -> int:
    try:
        os.makedirs(LOCK_DIR, mode=0o755, exist_ok=True)
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except OSError as exc:
        raise IpvsError("cannot open the IPVS table lock %s: %s" % (path, exc.strerror)) from None


def _acquire(descriptor: int, path: str, timeout: int, clock, sleep) -> float:
    started = clock()
    while True:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return round(clock() - started, 2)
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK):
                raise IpvsError("cannot lock %s: %s" % (path, exc.strerror)) from None
        if clock() - started >= timeout:
            raise IpvsError(
                "another run is changing the IPVS table of this network namespace: %s holds %s; "
                "gave up after waiting %d s (lock_timeout)" % (holder_of(path), path, timeout)
            )
        sleep(POLL_INTERVAL)
