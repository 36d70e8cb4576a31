# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.ipvs_table: the whole IPVS table as data.

One run validates the whole desired table, takes the namespace's table lock,
reads the kernel's table, plans the smallest list of edits, applies it in
batches, then zeroes counters and saves the table (read again from the kernel
after edits) when asked, and only then lets the next run in.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _savefile as savefile
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._rules import command, render_table

# Above this many services the result echoes their number, not the list (see echoed_args).
ECHOED_SERVICES = 100
_SUMMARY_KEYS = (plan.ADD_SERVICE, plan.EDIT_SERVICE, plan.DELETE_SERVICE, plan.ADD_SERVER, plan.EDIT_SERVER, plan.DELETE_SERVER)


@dataclass(frozen=True)
class DesiredTable:
    """``services`` made present; ``absent`` keys removed; with ``purge`` nothing else kept.
    ``clear`` (state=absent) removes everything. ``excluded`` services belong to another
    manager (keepalived): never changed, purged, cleared or saved."""

    services: tuple = ()
    absent: tuple = ()
    purge: bool = False
    clear: bool = False
    excluded: frozenset = frozenset()


def echoed_args(params: dict) -> dict:
    """The arguments the result echoes as ``invocation.module_args``: a large table is sent
    back to the controller, decoded and tagged there once more for nothing but -vvv, so
    more than ECHOED_SERVICES services are echoed as their number."""
    services = params.get("services")
    if services is None or len(services) <= ECHOED_SERVICES:
        return params
    return dict(params, services=len(services))


def desired_of(params: dict) -> DesiredTable | None:
    """Validate the whole desired table before anything touches the kernel;
    None when the run leaves the table alone (only zeroing or saving)."""
    if not 0 <= params["max_removed_percent"] <= 100:
        raise IpvsError("max_removed_percent %s is out of range 0..100" % params["max_removed_percent"])
    if params.get("zero_service") and not params["zero_counters"]:
        raise IpvsError("zero_service names the service whose counters zero_counters=true zeroes, but zero_counters is false")
    excluded = excluded_of(params)
    if params["state"] == "absent":
        if params.get("services") is not None or params.get("src"):
            raise IpvsError("state=absent clears the whole table and takes neither services nor src")
        return DesiredTable(clear=True, excluded=excluded)
    if params.get("src"):
        return _checked_exclusion(DesiredTable(tuple(savefile.read(params["src"])), purge=params["purge"], excluded=excluded))
    if params.get("services") is None:
        return None
    present, absent = [], []
    checked: dict = {}
    for item in params["services"]:
        key = common.service_key_of(item)
        if item["state"] == "absent":
            absent.append(key)
            continue
        service = model.build_service(key, **{name: item.get(name) for name in common.SERVICE_OPTION_SPEC})
        dests = model.build_dests(key, item.get("servers") or (), checked)
        present.append(plan.DesiredService(service, dests, purge_servers=params["purge"]))
    _check_unique([item.service.key for item in present] + absent)
    return _checked_exclusion(DesiredTable(tuple(present), tuple(absent), params["purge"], excluded=excluded))


def excluded_of(params: dict) -> frozenset:
    return frozenset(common.service_key_of(item) for item in params.get("exclude") or ())


def expected_servers(desired: DesiredTable | None) -> dict:
    """The real servers this run wants, by service: what the kernel most likely holds already."""
    if desired is None:
        return {}
    return {item.service.key: item.servers for item in desired.services if item.servers}


def _checked_exclusion(desired: DesiredTable) -> DesiredTable:
    for key in [item.service.key for item in desired.services] + list(desired.absent):
        if key in desired.excluded:
            raise IpvsError("service %s is both listed and excluded; exclude names services this run must leave alone" % key.label())
    return desired


def without(table: plan.Table, excluded: frozenset) -> plan.Table:
    """The part of ``table`` this run manages: every service but the excluded ones."""
    if not excluded:
        return table
    return plan.Table(
        {key: service for key, service in table.services.items() if key not in excluded},
        {key: servers for key, servers in table.servers.items() if key not in excluded},
    )


def _check_unique(keys: list) -> None:
    seen: set = set()
    for key in keys:
        if key in seen:
            raise IpvsError("service %s is listed twice in services" % key.label())
        seen.add(key)


def operations(current: plan.Table, desired: DesiredTable | None) -> list:
    if desired is None:
        return []
    current = without(current, desired.excluded)
    if desired.clear:
        return plan.plan_table(current, [], purge=True)
    services = [item if item.purge_servers == desired.purge else plan.DesiredService(item.service, item.servers, desired.purge) for item in desired.services]
    ops = plan.plan_table(current, services, purge=desired.purge)
    if not desired.purge:
        # with purge, every service not listed as present is deleted already
        for key in desired.absent:
            ops += plan.plan_service(current.services.get(key), None)
    return ops


# How many deletions the refusal lists; the failed result carries the whole plan.
_LISTED_DELETIONS = 10


def check_removal(current: plan.Table, ops: list, limit: int) -> None:
    """Refuse a plan that deletes more than ``limit`` percent of the live services or real
    servers: an inventory that lost its services must not empty a working director."""
    removed = plan.removal(current, ops)
    shares = [
        "%d of the %d %s (%d%%)" % (count, live, what, 100 * count // live)
        for what, count, live in (("services", removed.services, removed.live_services), ("real servers", removed.servers, removed.live_servers))
        if live and count * 100 > limit * live
    ]
    if not shares:
        return
    deletions = [command(op) for op in ops if op.action in (plan.DELETE_SERVICE, plan.DELETE_SERVER)]
    more = " and %d more" % (len(deletions) - _LISTED_DELETIONS) if len(deletions) > _LISTED_DELETIONS else ""
    raise IpvsError(
        "refusing a plan that deletes %s of the live table, more than max_removed_percent=%d allows; nothing was changed. "
        "If the inventory is right, run again with a higher max_removed_percent. Deletions: %s%s"
        % (" and ".join(shares), limit, "; ".join(deletions[:_LISTED_DELETIONS]), more),
        details={"commands": [command(op) for op in ops], "refused": True},
    )


def zero_scope(params: dict):
    """None (no zeroing), "all", or the ServiceKey whose counters to zero."""
    if not params["zero_counters"]:
        return None
    selected = params.get("zero_service")
    return common.service_key_of(selected) if selected else "all"


@netns.in_namespace
def run(params: dict, check_mode: bool, diff: bool, load_module) -> dict:
    with common.without_cycle_collection():
        return _run(params, check_mode, diff, load_module)


def _run(params: dict, check_mode: bool, diff: bool, load_module) -> dict:
    desired = desired_of(params)
    scope = zero_scope(params)
    excluded = desired.excluded if desired else excluded_of(params)
    warnings = []
    with lock.table_lock_unless(check_mode, params["lock_timeout"], "lvs.ipvs.ipvs_table") as waited:
        client = common.open_client(load_module, check_mode)
        try:
            current = without(common.read_table(client, expected_servers(desired)), excluded)
            ops = operations(current, desired)
            if desired is not None and not desired.clear:
                # state=absent is the explicit ipvsadm -C; the guard is for tables from an inventory
                check_removal(current, ops, params["max_removed_percent"])
            after = plan.simulate(current, ops)
            if scope not in (None, "all") and scope not in after.services:
                raise IpvsError("cannot zero the counters of %s: no such service" % scope.label())
            applied = client.apply(ops) if ops and not check_mode else []
            try:
                zeroed = _zero(client, scope, check_mode)
                saved = bool(params.get("dest")) and _save(params["dest"], _held(client, after, excluded, bool(applied), warnings), check_mode)
            except IpvsError as exc:
                note = "; the %d table edit(s) of this run were applied before it" % len(applied) if applied else ""
                raise IpvsError(exc.message + note, applied=[op.as_dict() for op in applied], errno=exc.errno) from None
        finally:
            if client is not None:
                client.close()
    result = {
        "changed": bool(ops) or zeroed or saved,
        "commands": [command(op) for op in ops],
        "summary": {action: 0 for action in _SUMMARY_KEYS},
        "services": len(after.services),
        "servers": sum(len(servers) for servers in after.servers.values()),
        "zeroed": zeroed,
        "saved": saved,
        "lock_waited": waited,
    }
    for op in ops:
        result["summary"][op.action] += 1
    if diff:
        result["diff"] = {"before": render_table(current), "after": render_table(after)}
    if warnings:
        result["warnings"] = warnings
    return result


def _held(client, planned: plan.Table, excluded: frozenset, applied: bool, warnings: list) -> str:
    """The rules to save: after edits, read from the kernel again (under the lock), so the
    file is what the kernel holds, whatever the plan expected; else the table read at the start."""
    expected = render_table(planned)
    if not applied:
        return expected
    held = render_table(without(client.table({key: servers.values() for key, servers in planned.servers.items()}), excluded))
    if held != expected:
        warnings.append(
            "the kernel's table differs from this run's plan after the edits (something outside lvs.ipvs changed it "
            "meanwhile): the save file holds what the kernel holds"
        )
    return held


def _zero(client, scope, check_mode: bool) -> bool:
    """Zero the counters of ``scope``; changed only when a counter was not zero."""
    if scope is None or client is None:
        return False
    states = client.service_states()
    selected = states.values() if scope == "all" else [states[scope]] if scope in states else []
    counters = [state.stats for state in selected] + [dest.stats for state in selected for dest in state.dests.values()]
    if not any(any(stats.values()) for stats in counters):
        return False
    if not check_mode:
        client.zero(None if scope == "all" else scope)
    return True


def _save(path: str, text: str, check_mode: bool) -> bool:
    """Write ``text`` to ``path`` atomically when it differs; keep an existing file's mode."""
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == text:
                return False
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise IpvsError("cannot read %s to compare it with the table: %s" % (path, exc)) from None
    if check_mode:
        return True
    temporary = None
    try:
        mode = os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o644
        handle, temporary = tempfile.mkstemp(prefix=".ipvs_table.", dir=os.path.dirname(os.path.abspath(path)))
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise IpvsError("cannot save the table to %s: %s" % (path, exc)) from None
    return True
