# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.ipvs_server: one real server of one service, and draining."""

from __future__ import annotations

import time

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._rules import server_rule


def server_key_of(service: model.ServiceKey, params: dict) -> model.DestKey:
    """Identity of the server for absent/drained: the port given, else the service port."""
    family, address = model.parse_address(params["address"], "real server address")
    port = service.port if params.get("port") is None else params["port"]
    if not 0 <= port <= model.MAX_PORT:
        raise IpvsError("real server port %s is out of range 0..%d" % (port, model.MAX_PORT))
    return model.DestKey(family, address, port)


def operations(state: str, service: model.ServiceKey, servers: dict, desired: model.Dest | None, key: model.DestKey) -> list:
    if state == "present":
        return plan.plan_servers(service, servers, [desired])
    if state == "absent":
        return plan.plan_servers(service, servers, absent=[key])
    existing = servers.get(key)
    if existing is None:
        return []
    return plan.plan_servers(service, servers, [existing._replace(weight=0)])


def connections(client, service: model.ServiceKey, key: model.DestKey) -> dict:
    state = client.dest_states(service).get(key)
    if state is None:
        return {"active": 0, "inactive": 0, "persistent": 0}
    return {"active": state.active_connections, "inactive": state.inactive_connections, "persistent": state.persistent_connections}


def remaining(counts: dict, which: str) -> int:
    return counts["active"] + (counts["inactive"] if which == "all" else 0)


def wait_for_drain(client, service, key, params: dict, applied: list, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Poll the server's connection counters until they reach zero or the timeout passes."""
    deadline = clock() + params["drain_timeout"]
    started = clock()
    while True:
        counts = connections(client, service, key)
        left = remaining(counts, params["drain_connections"])
        if left == 0:
            return dict(counts, waited=round(clock() - started, 1))
        if clock() >= deadline:
            raise IpvsError(
                "real server %s of %s still has %d %s connection(s) after %d s (its weight is 0 now)"
                % (key.label(), service.label(), left, "active" if params["drain_connections"] == "active" else "active+inactive", params["drain_timeout"]),
                applied=[op.as_dict() for op in applied],
            )
        sleep(params["drain_poll_interval"])


def check_drain_options(params: dict) -> None:
    """The waiting options, checked before the weight goes to 0."""
    if params["state"] != "drained" or not params["wait_for_drain"]:
        return
    if not params["drain_poll_interval"] > 0:
        raise IpvsError("drain_poll_interval must be above 0 seconds, got %s" % params["drain_poll_interval"])
    if params["drain_timeout"] < 0:
        raise IpvsError("drain_timeout must be 0 seconds or more, got %s" % params["drain_timeout"])


@netns.in_namespace
def run(params: dict, check_mode: bool, diff: bool, load_module, warn=lambda text: None) -> dict:
    check_drain_options(params)
    service = common.service_key_of(params["service"])
    state = params["state"]
    desired = common.dest_of(service, params) if state == "present" else None
    key = desired.key if desired else server_key_of(service, params)
    client = common.open_client(load_module, check_mode)
    try:
        # the lock covers the edit; waiting for connections to end only reads counters
        with lock.table_lock_unless(check_mode, params["lock_timeout"], "lvs.ipvs.ipvs_server") as waited:
            current = common.read_table(client)
            if service not in current.services:
                raise IpvsError("service %s does not exist: create it first with lvs.ipvs.ipvs_service" % service.label())
            servers = current.servers_of(service)
            ops = operations(state, service, servers, desired, key)
            applied = client.apply(ops) if ops and not check_mode else []
        result = dict(report(service, key, servers, ops, diff), lock_waited=waited)
        if state == "drained" and key not in servers:
            warn("real server %s is not part of %s: nothing to drain" % (key.label(), service.label()))
        elif state == "drained" and params["wait_for_drain"] and not check_mode:
            result["connections"] = wait_for_drain(client, service, key, params, applied)
        elif client is not None and key in servers:
            result["connections"] = connections(client, service, key)
    finally:
        if client is not None:
            client.close()
    return result


def report(service: model.ServiceKey, key: model.DestKey, servers: dict, ops: list, diff: bool) -> dict:
    after = plan.simulate(plan.Table({}, {service: servers}), ops).servers_of(service).get(key)
    before = servers.get(key)
    result = {
        "changed": bool(ops),
        "server": after.as_dict() if after else None,
        "operations": [op.as_dict() for op in ops],
    }
    if diff:
        result["diff"] = {
            "before": server_rule(service, before) + "\n" if before else "",
            "after": server_rule(service, after) + "\n" if after else "",
        }
    return result
