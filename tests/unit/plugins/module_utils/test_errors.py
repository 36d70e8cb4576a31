# Kernel errno values become sentences an operator can act on.
from __future__ import annotations

import errno

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan

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
    applied = [{"action": "add_service", "service": "TCP 192.0.2.1:80", "server": None}]
    assert kernel.applied_note([], [1]) == "; nothing was changed"
    assert kernel.applied_note(applied, [1, 2]) == "; 1 of 2 changes were applied: add_service TCP 192.0.2.1:80"


def test_mixed_family_einval_names_the_sync_daemon():
    dest = model.build_dest(KEY, "2001:db8::7", forwarding_method="tunnel")
    message = kernel.explain(plan.Operation(plan.ADD_SERVER, KEY, after=dest), errno.EINVAL)
    assert "refuses them while a connection-sync daemon runs" in message
