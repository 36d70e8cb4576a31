# Every keepalived.conf a unit test renders is also read by the real keepalived
# (keepalived -t), in a network namespace of its own that has the interfaces the
# renderings name: a rendering our checks accept but keepalived would refuse fails the
# test that produced it. Needs root and keepalived (tests/bin/setup.sh installs it);
# LVS_IPVS_NO_KEEPALIVED_CHECK=1 turns the check off, saying so.
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived

INTERFACES = ("eth0", "eth1", "eth2")
# A namespace that lives as long as this process: a helper holds it and ends when its
# standard input closes, however the test process ends (pytest-xdist's workers under
# ansible-test skip the session's clean-up).
# Veth pairs of the interfaces, the last one paired with a peer of its own if it has no
# partner.
_PAIRS = [(INTERFACES[index], INTERFACES[index + 1] if index + 1 < len(INTERFACES) else "peer%d" % index) for index in range(0, len(INTERFACES), 2)]
_HOLDER = " && ".join(["ip link add %s type veth peer name %s" % pair for pair in _PAIRS] + ["echo ready", "exec cat >/dev/null"])
_state: dict = {}


def _namespace() -> str:
    """The network namespace with the renderings' interfaces, made on first use."""
    if "holder" not in _state:
        if shutil.which("keepalived") is None or os.geteuid() != 0:
            pytest.fail("keepalived -t reads every rendering: run as root with keepalived installed, or set LVS_IPVS_NO_KEEPALIVED_CHECK=1")
        holder = subprocess.Popen(["unshare", "--net", "--", "sh", "-c", _HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if holder.stdout.readline().strip() != "ready":
            pytest.fail("could not make a network namespace with %s for keepalived -t" % ", ".join(INTERFACES))
        _state["holder"] = holder
        _state["checked"] = 0
    return "/proc/%d/ns/net" % _state["holder"].pid


def keepalived_accepts(text: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
        config.write(text)
        config.flush()
        done = subprocess.run(["nsenter", "--net=" + _namespace(), "keepalived", "-t", "-f", config.name], capture_output=True, text=True, check=False)
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
