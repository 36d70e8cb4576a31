# A module's work inside a named network namespace moves only its own thread, and
# only for the duration: persistent-interpreter runners (Mitogen) run modules in a
# thread of a process that serves later tasks.
from __future__ import annotations

import os
import subprocess
import threading

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _conn as conn
from ansible_collections.lvs.ipvs.plugins.module_utils import _info as info
from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns

NAME = "lvs-test-netns"


def _namespace_inode() -> int:
    return os.stat("/proc/thread-self/ns/net").st_ino


@pytest.fixture
def namespace():
    if os.geteuid() != 0 or not kernel.ipvs_loaded():
        pytest.skip("needs root on a kernel with IPVS loaded: run through tests/bin/vm.sh")
    subprocess.run(["ip", "netns", "add", NAME], check=True)
    subprocess.run(["ip", "netns", "exec", NAME, "ipvsadm", "-A", "-t", "192.0.2.77:80"], check=True)
    yield NAME
    subprocess.run(["ip", "netns", "del", NAME], check=True)


def test_a_thread_returns_to_its_namespace(namespace):
    own = _namespace_inode()
    with netns.entered(namespace):
        assert _namespace_inode() != own
        assert conn.CONN_PROC.startswith("/proc/thread-self/")
    assert _namespace_inode() == own


def test_a_module_run_in_a_thread_reads_that_namespace_and_leaves_the_process_alone(namespace):
    own = _namespace_inode()
    seen = {}

    def task():
        seen["result"] = info.run({"namespace": namespace, "gather": ["services"], "service": None, "sort": True, "states": []})
        seen["after"] = _namespace_inode()

    worker = threading.Thread(target=task)
    worker.start()
    worker.join()
    services = seen["result"]["services"]
    assert [(s["address"], s["port"]) for s in services] == [("192.0.2.77", 80)]
    assert seen["after"] == own
    assert _namespace_inode() == own


def test_a_failure_inside_still_comes_back(namespace):
    own = _namespace_inode()
    with pytest.raises(RuntimeError), netns.entered(namespace):
        raise RuntimeError("boom")
    assert _namespace_inode() == own
