# The table lock: one run at a time per network namespace, a bounded wait that names the
# holder, nothing left held by a killed run. flock locks belong to an open file, so two
# holders in one process (Mitogen's threads) exclude each other as two processes do.
from __future__ import annotations

import os
import signal
import threading
import time

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


@pytest.fixture(autouse=True)
def lock_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(lock, "LOCK_DIR", str(tmp_path / "run"))
    return tmp_path / "run"


def test_the_lock_file_is_named_after_the_namespace_and_records_its_holder(lock_dir):
    inode = os.stat("/proc/thread-self/ns/net").st_ino
    with lock.table_lock(5, "lvs.ipvs.ipvs_table") as waited:
        assert waited == 0
        assert lock.lock_path() == str(lock_dir / ("ipvs-netns-%d.lock" % inode))
        assert lock.holder_of(lock.lock_path()).startswith("pid %d (lvs.ipvs.ipvs_table) since " % os.getpid())


def test_a_second_run_gives_up_after_its_timeout_naming_the_holder():
    with lock.table_lock(5, "lvs.ipvs.ipvs_table"):
        started = time.monotonic()
        with pytest.raises(IpvsError) as caught, lock.table_lock(1, "lvs.ipvs.ipvs_server"):
            pytest.fail("two holders at once")
        assert 1 <= time.monotonic() - started < 3
    message = caught.value.message
    assert message.startswith("another run is changing the IPVS table of this network namespace: pid %d (lvs.ipvs.ipvs_table) since " % os.getpid())
    assert message.endswith("gave up after waiting 1 s (lock_timeout)")


def test_a_second_run_waits_for_the_first_and_says_how_long():
    order = []
    first_holds = threading.Event()

    def first():
        with lock.table_lock(5, "first"):
            first_holds.set()
            time.sleep(0.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    first_holds.wait(5)
    with lock.table_lock(5, "second") as waited:
        order.append("second in")
    thread.join()
    assert order == ["first done", "second in"]
    assert 0.3 <= waited < 5


def test_a_killed_holder_leaves_nothing_held():
    ready_read, ready_write = os.pipe()
    child = os.fork()
    if child == 0:
        with lock.table_lock(5, "doomed"):
            os.write(ready_write, b"x")
            time.sleep(60)
        os._exit(0)
    os.read(ready_read, 1)
    with pytest.raises(IpvsError, match=r"pid %d \(doomed\)" % child), lock.table_lock(0, "blocked"):
        pass
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    with lock.table_lock(0, "next") as waited:
        assert waited == 0


def test_check_mode_reads_without_waiting_for_a_holder():
    with lock.table_lock(5, "applying"), lock.table_lock_unless(True, 0, "checking") as waited:
        assert waited == 0


def test_a_negative_timeout_is_refused_before_anything_is_locked(lock_dir):
    with pytest.raises(IpvsError, match="lock_timeout must be 0 seconds or more, got -1"), lock.table_lock(-1, "x"):
        pass
    assert not lock_dir.exists()


def test_a_lock_directory_that_cannot_be_made_is_named(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("")
    monkeypatch.setattr(lock, "LOCK_DIR", str(tmp_path / "file" / "run"))
    with pytest.raises(IpvsError, match="cannot open the IPVS table lock %s/file/run/ipvs-netns-.*: Not a directory" % tmp_path), lock.table_lock(0, "x"):
        pass
