# Two runs on one director at once, and a run killed in the middle, on a real kernel.
# Each run is ipvs_table's own work (what the module's main() calls) in a process of
# its own, forked from the test: the table lock is what keeps them apart.
from __future__ import annotations

import json
import os
import signal
import time

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from conftest import ipvsadm

from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils import _table as table
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.modules import ipvs_table


def services(first: int, count: int, servers: int) -> list:
    """``count`` services of ``servers`` real servers each, numbered from ``first``."""
    entries = []
    for index in range(first, first + count):
        servers_of = [{"address": "10.%d.%d.%d" % (index // 250, index % 250, 1 + number), "weight": 1 + number} for number in range(servers)]
        entries.append({"address": "198.18.%d.%d" % (index // 250, 1 + index % 250), "port": 80, "scheduler": "wrr", "servers": servers_of})
    return entries


def params(entries: list, **options) -> dict:
    """The parameters as AnsibleModule hands them to the runner: checked and with the
    defaults of ipvs_table's own argument spec."""
    checked = ArgumentSpecValidator(ipvs_table.argument_spec()).validate(dict(services=entries, **options))
    assert not checked.error_messages, checked.error_messages
    return checked.validated_parameters


def start(given: dict) -> tuple:
    """A forked run of ipvs_table; its result (or error) comes back through a pipe."""
    readable, writable = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(readable)
        try:
            outcome = {"result": table.run(given, False, False, None)}
        except Exception as exc:  # the parent asserts on whatever happened
            outcome = {"error": repr(exc)}
        os.write(writable, json.dumps(outcome).encode())
        os._exit(0)
    os.close(writable)
    return child, readable


def finish(run: tuple) -> dict:
    child, readable = run
    chunks = []
    while chunk := os.read(readable, 1 << 16):
        chunks.append(chunk)
    os.close(readable)
    os.waitpid(child, 0)
    outcome = json.loads(b"".join(chunks) or b'{"error": "the run died"}')
    assert "error" not in outcome, outcome
    return outcome["result"]


def wait_until(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting until " + what
        time.sleep(0.01)


def lines(text: str) -> list:
    return [line for line in text.splitlines() if line]


def test_two_runs_at_once_take_turns_and_the_save_file_is_the_kernels_table(client, tmp_path):
    # the older inventory: 10 services; the newer one adds 300 more (3,000 servers), so
    # the first run holds the lock while the second, started meanwhile, waits
    older = services(0, 10, 2)
    assert finish(start(params(older)))["summary"]["add_service"] == 10
    saved = tmp_path / "ipvsadm.rules"
    path = lock.lock_path()

    adding = start(params(older + services(10, 300, 10)))
    wait_until(lambda: lock.holder_of(path).startswith("pid %d " % adding[0]), "the adding run holds the lock")
    # taking out what the newer inventory added is meant here: the blast-radius guard is raised
    purging = start(params(older, purge=True, dest=str(saved), max_removed_percent=100))
    added, purged = finish(adding), finish(purging)

    assert added["summary"] == dict(add_service=300, edit_service=0, delete_service=0, add_server=3000, edit_server=0, delete_server=0)
    assert added["lock_waited"] == 0
    # the purging run planned against the adding run's result: it took the 300 services out
    assert purged["lock_waited"] > 0
    assert purged["summary"]["delete_service"] == 300
    assert sorted(purged["commands"]) == sorted("-D -t %s:80" % entry["address"] for entry in services(10, 300, 10))
    assert saved.read_text() == ipvsadm("-Sn")
    assert len(lines(saved.read_text())) == 10 + 10 * 2
    print("adding run: %d edits, waited %s s;" % (len(added["commands"]), added["lock_waited"]))
    print("purging run: %d edits, waited %s s; save file = ipvsadm -Sn" % (len(purged["commands"]), purged["lock_waited"]))


def servers_in_kernel() -> int:
    with open("/proc/net/ip_vs", encoding="ascii") as handle:
        return sum(1 for line in handle if line.startswith("  ->") and "RemoteAddress" not in line)


def test_a_run_killed_mid_apply_is_repaired_by_the_next_with_the_exact_edits(client, tmp_path):
    desired = services(0, 1000, 10)
    saved = tmp_path / "ipvsadm.rules"
    saved.write_text("# the boot file of an earlier run\n")
    given = params(desired, dest=str(saved))
    doomed = start(given)
    wait_until(lambda: servers_in_kernel() > 0, "the first batch of edits is in the kernel")
    os.kill(doomed[0], signal.SIGKILL)
    os.waitpid(doomed[0], 0)
    os.close(doomed[1])
    left = lines(ipvsadm("-Sn"))
    assert 0 < len(left) < 1000 + 10000, "killed after %d of 11000 rules" % len(left)
    assert saved.read_text() == "# the boot file of an earlier run\n"

    # lock_timeout 0: the killed run holds nothing
    repair = table.run(dict(given, lock_timeout=0), False, False, None)
    wanted = lines(ipvsadm("-Sn"))
    assert repair["changed"] is True
    assert sorted(repair["commands"]) == sorted(set(wanted) - set(left))
    assert len(wanted) == 11000
    assert saved.read_text() == ipvsadm("-Sn")
    print("killed after %d of 11000 rules; the next run made the %d missing edits and saved the table" % (len(left), len(repair["commands"])))


def test_a_run_that_cannot_get_the_lock_changes_nothing_and_names_the_holder(client):
    ipvsadm("-A", "-t", "192.0.2.1:80")
    with lock.table_lock(5, "an operator's run"), pytest.raises(IpvsError) as caught:
        table.run(params(services(0, 1, 1), lock_timeout=1), False, False, None)
    assert "pid %d (an operator's run) since " % os.getpid() in caught.value.message
    assert "gave up after waiting 1 s (lock_timeout)" in caught.value.message
    assert lines(ipvsadm("-Sn")) == ["-A -t 192.0.2.1:80 -s wlc"]
