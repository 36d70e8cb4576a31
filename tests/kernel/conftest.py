# Real-kernel tests of the netlink core: run as root on a kernel with IPVS
# (tests/bin/vm.sh provides one). They skip, saying why, anywhere else.
from __future__ import annotations

import os
import subprocess

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel


def ipvsadm(*args: str) -> str:
    return subprocess.run(["ipvsadm", *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def client():
    if os.geteuid() != 0 or not kernel.ipvs_loaded():
        pytest.skip("needs root on a kernel with IPVS loaded: run through tests/bin/vm.sh")
    ipvsadm("-C")
    with kernel.IpvsClient() as connected:
        yield connected
    ipvsadm("-C")
