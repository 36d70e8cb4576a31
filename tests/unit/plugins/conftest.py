# Every keepalived.conf a unit test renders is also read by the real keepalived
# (keepalived -t), and every nftables file by nft (nft -c -f), in a network namespace of
# its own that has the interfaces the renderings name: a rendering our checks accept but
# the tool would refuse fails the test that produced it. Needs root, keepalived and nft
# (tests/bin/setup.sh installs them); LVS_IPVS_NO_WITNESS_CHECK=1 turns the checks off,
# saying so.
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import pytest

from ansible_collections.lvs.ipvs.plugins.plugin_utils import _keepalived as keepalived
from ansible_collections.lvs.ipvs.plugins.plugin_utils import _nftables as nftables

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
        if shutil.which("keepalived") is None or shutil.which("nft") is None or os.geteuid() != 0:
            pytest.fail("keepalived -t and nft -c read every rendering: run as root with both installed, or set LVS_IPVS_NO_WITNESS_CHECK=1")
        holder = subprocess.Popen(["unshare", "--net", "--", "sh", "-c", _HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if holder.stdout.readline().strip() != "ready":
            pytest.fail("could not make a network namespace with %s for keepalived -t" % ", ".join(INTERFACES))
        _state["holder"] = holder
        _state["checked"] = {"keepalived -t": 0, "nft -c": 0}
    return "/proc/%d/ns/net" % _state["holder"].pid


# each tool's command line, with the file it reads last
_WITNESSES = {"keepalived -t": ["keepalived", "-t", "-f"], "nft -c": ["nft", "-c", "-f"]}


def accepted_by(witness: str, text: str) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".conf") as config:
        config.write(text)
        config.flush()
        done = subprocess.run(["nsenter", "--net=" + _namespace(), *_WITNESSES[witness], config.name], capture_output=True, text=True, check=False)
    _state["checked"][witness] += 1
    assert done.returncode == 0, "%s refused a rendering (exit %d):\n%s\n--- rendering:\n%s" % (witness, done.returncode, done.stderr + done.stdout, text)


def _recorded(monkeypatch, module, name: str, rendered: list, witness: str) -> None:
    render = getattr(module, name)

    def recording(*args, **kwargs):
        text = render(*args, **kwargs)
        rendered.append((witness, text))
        return text

    monkeypatch.setattr(module, name, recording)


@pytest.fixture(autouse=True)
def witnesses_read_every_rendering(monkeypatch):
    if os.environ.get("LVS_IPVS_NO_WITNESS_CHECK") == "1":
        yield
        return
    rendered = []
    _recorded(monkeypatch, keepalived, "render", rendered, "keepalived -t")
    _recorded(monkeypatch, nftables, "ruleset", rendered, "nft -c")
    _recorded(monkeypatch, nftables, "realserver_ruleset", rendered, "nft -c")
    yield
    for witness, text in rendered:
        if text:
            accepted_by(witness, text)


def pytest_terminal_summary(terminalreporter):
    if os.environ.get("LVS_IPVS_NO_WITNESS_CHECK") == "1":
        terminalreporter.write_line("keepalived -t, nft -c: NOT run (LVS_IPVS_NO_WITNESS_CHECK=1)")
    elif _state.get("checked"):
        terminalreporter.write_line(", ".join("%s accepted %d renderings" % item for item in _state["checked"].items()))
