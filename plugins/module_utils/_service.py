# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.ipvs_service: one virtual service, optionally with all its servers."""

from __future__ import annotations

from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._rules import render


def desired_of(params: dict) -> plan.DesiredService | None:
    """Validate every option (service and servers) before anything is sent."""
    key = common.service_key_of(params)
    if params["state"] == "absent":
        return None
    service = model.build_service(key, **{name: params.get(name) for name in common.SERVICE_OPTION_SPEC})
    servers = params.get("servers")
    if servers is None:
        return plan.DesiredService(service)
    dests = tuple(common.dest_of(key, server) for server in servers)
    return plan.DesiredService(service, dests, purge_servers=params["purge_servers"])


def operations(current: plan.Table, key: model.ServiceKey, desired: plan.DesiredService | None) -> list:
    if desired is None:
        return plan.plan_service(current.services.get(key), None)
    return plan.plan_table(current, [desired])


@netns.in_namespace
def run(params: dict, check_mode: bool, diff: bool, load_module) -> dict:
    key = common.service_key_of(params)
    desired = desired_of(params)
    with lock.table_lock_unless(check_mode, params["lock_timeout"], "lvs.ipvs.ipvs_service") as waited:
        client = common.open_client(load_module, check_mode)
        try:
            current = common.read_table(client)
            ops = operations(current, key, desired)
            if ops and not check_mode:
                client.apply(ops)
        finally:
            if client is not None:
                client.close()
    after = plan.simulate(current, ops)
    service = after.services.get(key)
    result = {
        "changed": bool(ops),
        "service": service.as_dict() if service else None,
        "servers": [dest.as_dict() for dest in model.ipvsadm_ordered_servers(after.servers_of(key).values(), key=lambda dest: dest.key)],
        "operations": [op.as_dict() for op in ops],
        "lock_waited": waited,
    }
    if diff:
        result["diff"] = {
            "before": render(current.services.get(key), current.servers_of(key).values()),
            "after": render(service, after.servers_of(key).values()),
        }
    return result
