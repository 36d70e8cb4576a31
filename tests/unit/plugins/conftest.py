# Every keepalived.conf a unit test renders is also read by the real keepalived
# (keepalived -t), in a network namespace of its own that has the interfaces the
# renderings name: a rendering our checks accept but keepalived would refuse fails the
# test that produced it. Needs root and keepalived (tests/bin/setup.sh installs it);
# LVS_IPVS_NO_KEEPALIVED_CHECK=1 turns the check off, saying so.
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived

NAMESPACE = "lvs-unit-keepalived-%d" % os.getpid()
INTERFACES = ("eth0", "eth1", "eth2")
_state: dict = {}


def _namespace() -> str:
    """The namespace with the renderings' interfaces, made on first use."""
    if "namespace" not in _state:
        if shutil.which("keepalived") is None or os.geteuid() != 0:
            pytest.fail("keepalived -t reads every rendering: run as root with keepalived installed, or set LVS_IPVS_NO_KEEPALIVED_CHECK=1")
        subprocess.run(["ip", "netns", "add", NAMESPACE], check=True)
        atexit.register(subprocess.run, ["ip", "netns", "del", NAMESPACE], check=False)
        for index in range(0, len(INTERFACES), 2):
            pair = INTERFACES[index : index + 2] if index + 1 < len(INTERFACES) else (INTERFACES[index], "peer%d" % index)
            subprocess.run(["ip", "-n", NAMESPACE, "link", "add", pair[0], "type", "veth", "peer", "name", pair[1]], check=True)
        _state["namespace"] = NAMESPACE
        _state["checked"] = 0
    return _state["namespace"]


def keepalived_accepts(text: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
        config.write(text)
        config.flush()
        done = subprocess.run(["ip", "netns", "exec", _namespace(), "keepalived", "-t", "-f", config.name], capture_output=True, text=True, check=False)
    _state["checked"] += 1
    assert done.returncode == 0, "keepalived -t refused a rendering (exit %d):\n%s\n--- rendering:\n%s" % (done.returncode, done.stderr + done.stdout, text)


@pytest.fixture(autouse=True)
def keepalived_reads_every_rendering(monkeypatch):
    if os.environ.get("LVS_IPVS_NO_KEEPALIVED_CHECK") == "1":
        yield
        return
    rendered = []
    render = keepalived.render

    def recording(config, auth_pass=None):
        text = render(config, auth_pass)
        rendered.append(text)
        return text

    monkeypatch.setattr(keepalived, "render", recording)
    yield
    for text in rendered:
        keepalived_accepts(text)


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("LVS_IPVS_NO_KEEPALIVED_CHECK") == "1":
        terminalreporter.write_line("keepalived -t: NOT run (LVS_IPVS_NO_KEEPALIVED_CHECK=1)")
    elif _state.get("checked"):
        terminalreporter.write_line("keepalived -t accepted %d renderings" % _state["checked"])
