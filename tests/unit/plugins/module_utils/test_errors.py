# Kernel errno values become sentences an operator can act on.
from __future__ import annotations

import errno

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

KEY = model.service_key("tcp", "192.0.2.1", 80)


def add_service(**options):
    return plan.Operation(plan.ADD_SERVICE, KEY, after=model.build_service(KEY, **options))


def test_enoent_names_the_missing_scheduler_module(monkeypatch):
    monkeypatch.setattr(kernel, "_module_present", lambda name: False)
    message = kernel.explain(add_service(scheduler="twos"), errno.ENOENT)
    assert message == "cannot add service TCP 192.0.2.1:80 (-A -t 192.0.2.1:80 -s twos): scheduler 'twos' is not available: load module ip_vs_twos"


def test_enoent_with_the_scheduler_loaded_blames_the_engine(monkeypatch):
    monkeypatch.setattr(kernel, "_module_present", lambda name: name == "ip_vs_rr")
    message = kernel.explain(add_service(scheduler="rr", persistence_engine="sip"), errno.ENOENT)
    assert message.endswith("persistence engine 'sip' is not available: load module ip_vs_pe_sip")


@pytest.mark.parametrize(
    "code, words",
    [
        (errno.ESRCH, "service TCP 192.0.2.1:80 does not exist"),
        (errno.EEXIST, "it already exists"),
        (errno.ERANGE, "out of the kernel's range"),
        (errno.EINVAL, "rejected an attribute as invalid"),
        (errno.EPERM, "need root"),
    ],
)
def test_other_errnos(code, words):
    dest = model.build_dest(KEY, "10.0.0.1")
    message = kernel.explain(plan.Operation(plan.EDIT_SERVER, KEY, before=dest, after=dest), code)
    assert message.startswith("cannot edit server 10.0.0.1:80 of TCP 192.0.2.1:80 (-a -t 192.0.2.1:80 -r 10.0.0.1:80 -g -w 1): ")
    assert words in message


def test_missing_real_server():
    dest = model.build_dest(KEY, "10.0.0.1")
    assert kernel.explain(plan.Operation(plan.DELETE_SERVER, KEY, before=dest), errno.ENOENT).endswith("the real server does not exist")


def test_applied_note():
    key = model.service_key("tcp", "192.0.2.1", 80)
    applied = [plan.Operation(plan.ADD_SERVICE, key, after=model.build_service(key))]
    applied.append(plan.Operation(plan.ADD_SERVER, key, after=model.build_dest(key, "10.0.0.1")))
    assert kernel.applied_note([], [1]) == "; nothing was changed"
    assert kernel.applied_note(applied, [1, 2, 3]) == "; 2 of 3 changes were applied: add_service TCP 192.0.2.1:80, add_server 10.0.0.1:80"


def test_mixed_family_einval_names_the_sync_daemon():
    dest = model.build_dest(KEY, "2001:db8::7", forwarding_method="tunnel")
    message = kernel.explain(plan.Operation(plan.ADD_SERVER, KEY, after=dest), errno.EINVAL)
    assert "refuses them while a connection-sync daemon runs" in message


def test_a_refused_read_names_the_permission():
    error = kernel.read_error(errno.EPERM)
    assert error.message == "cannot read the IPVS table: permission denied: reading IPVS needs root (CAP_NET_ADMIN)"
    assert error.errno == errno.EPERM


class _LostAnswers(kernel.IpvsClient):
    """A client whose second batch reaches the kernel while its answers are lost."""

    def __init__(self, table_after: plan.Table):
        self._table_after = table_after
        self._batches = 0

    def _exchange(self, messages):
        self._batches += 1
        if self._batches == 2:
            raise IpvsError("the kernel did not answer within 30 s", errno=errno.ETIMEDOUT)
        return [0] * len(messages)

    def _fresh_table(self):
        return self._table_after


def test_lost_answers_are_reconciled_with_a_fresh_read(monkeypatch):
    monkeypatch.setattr(kernel, "WINDOW", 2)
    keys = [model.service_key("tcp", "192.0.2.%d" % number, 80) for number in range(1, 6)]
    ops = [plan.Operation(plan.ADD_SERVICE, key, after=model.build_service(key)) for key in keys]
    # batch 1 = services 1, 2 (acknowledged); batch 2 = services 3, 4: only 3 reached the kernel
    kernel_holds = plan.simulate(plan.Table(), ops[:3])
    with pytest.raises(IpvsError) as caught:
        _LostAnswers(kernel_holds).apply(ops)
    assert [item["service"] for item in caught.value.applied] == ["TCP 192.0.2.1:80", "TCP 192.0.2.2:80", "TCP 192.0.2.3:80"]
    assert caught.value.message.startswith(
        "the kernel did not answer within 30 s; the kernel's table, read again, shows 1 of the batch's 2 edit(s) applied; 3 of 5 changes"
    )
    assert caught.value.errno == errno.ETIMEDOUT


@pytest.mark.parametrize("action", [plan.ADD_SERVER, plan.EDIT_SERVER, plan.DELETE_SERVER, plan.DELETE_SERVICE, plan.EDIT_SERVICE])
def test_holds_sees_each_kind_of_edit(action):
    old = model.build_dest(KEY, "10.0.0.1")
    new = model.build_dest(KEY, "10.0.0.1", weight=5)
    service = model.build_service(KEY)
    edited = model.build_service(KEY, scheduler="rr")
    op = {
        plan.ADD_SERVER: plan.Operation(plan.ADD_SERVER, KEY, after=new),
        plan.EDIT_SERVER: plan.Operation(plan.EDIT_SERVER, KEY, before=old, after=new),
        plan.DELETE_SERVER: plan.Operation(plan.DELETE_SERVER, KEY, before=old),
        plan.DELETE_SERVICE: plan.Operation(plan.DELETE_SERVICE, KEY, before=service),
        plan.EDIT_SERVICE: plan.Operation(plan.EDIT_SERVICE, KEY, before=service, after=edited),
    }[action]
    before = plan.Table({KEY: service}, {KEY: {} if action == plan.ADD_SERVER else {old.key: old}})
    assert not plan.holds(before, op)
    assert plan.holds(plan.simulate(before, [op]), op)
