# The planner is pure: these tests pin which netlink edits it chooses.
from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

KEY = model.service_key("tcp", "192.0.2.1", 80)
OTHER = model.service_key("udp", "192.0.2.1", 53)
SVC = model.build_service(KEY, "wrr")
A = model.build_dest(KEY, "10.0.0.1")
B = model.build_dest(KEY, "10.0.0.2", weight=2)


def table(*items):
    services = {item[0].key: item[0] for item in items}
    servers = {svc.key: {d.key: d for d in dests} for svc, dests in items}
    return plan.Table(services, servers)


def actions(ops):
    return [(op.action, op.server.address if op.server else None) for op in ops]


def test_new_service_with_servers():
    ops = plan.plan_table(plan.Table(), [plan.DesiredService(SVC, (A, B))])
    assert actions(ops) == [("add_service", None), ("add_server", "10.0.0.1"), ("add_server", "10.0.0.2")]


def test_identical_table_needs_nothing():
    current = table((SVC, [A, B]))
    assert plan.plan_table(current, [plan.DesiredService(SVC, (A, B), purge_servers=True)]) == []


def test_attribute_changes_are_in_place_edits():
    current = table((SVC, [A, B]))
    desired = plan.DesiredService(SVC._replace(scheduler="rr"), (A._replace(weight=0), B))
    assert actions(plan.plan_table(current, [desired])) == [("edit_service", None), ("edit_server", "10.0.0.1")]


def test_forwarding_method_change_is_an_edit_not_a_replacement():
    masq = model.build_dest(KEY, "10.0.0.1", forwarding_method="masquerade")
    ops = plan.plan_servers(KEY, {A.key: A}, [masq])
    assert actions(ops) == [("edit_server", "10.0.0.1")]


def test_without_purge_unlisted_servers_stay():
    current = table((SVC, [A, B]))
    assert plan.plan_table(current, [plan.DesiredService(SVC, (A,))]) == []


def test_purge_deletes_unlisted_servers_first():
    current = table((SVC, [A, B]))
    c = model.build_dest(KEY, "10.0.0.3")
    ops = plan.plan_table(current, [plan.DesiredService(SVC, (A, c), purge_servers=True)])
    assert actions(ops) == [("delete_server", "10.0.0.2"), ("add_server", "10.0.0.3")]


def test_servers_none_leaves_servers_alone():
    current = table((SVC, [A, B]))
    assert plan.plan_table(current, [plan.DesiredService(SVC, None, purge_servers=True)]) == []


def test_table_purge_deletes_unlisted_services_without_their_servers():
    other = model.build_service(OTHER)
    current = table((SVC, [A]), (other, [model.build_dest(OTHER, "10.0.0.9")]))
    ops = plan.plan_table(current, [plan.DesiredService(SVC)], purge=True)
    # deleting a service deletes its servers in the kernel: one operation
    assert actions(ops) == [("delete_service", None)]
    assert ops[0].service == OTHER


def test_absent_service():
    current = table((SVC, [A]))
    assert actions(plan.plan_service(SVC, None)) == [("delete_service", None)]
    assert plan.plan_service(None, None) == []
    assert plan.plan_table(current, []) == []


def test_absent_server():
    assert actions(plan.plan_servers(KEY, {A.key: A}, absent=[A.key])) == [("delete_server", "10.0.0.1")]
    assert plan.plan_servers(KEY, {}, absent=[A.key]) == []


def test_duplicates_are_refused():
    with pytest.raises(IpvsError, match="listed twice"):
        plan.plan_table(plan.Table(), [plan.DesiredService(SVC), plan.DesiredService(SVC)])
    with pytest.raises(IpvsError, match=r"10\.0\.0\.1:80 is listed twice"):
        plan.plan_servers(KEY, {}, [A, A._replace(weight=5)])


def test_simulate_gives_the_table_after_the_plan():
    current = table((SVC, [A, B]))
    desired = [plan.DesiredService(SVC._replace(scheduler="rr"), (A._replace(weight=9),), purge_servers=True)]
    after = plan.simulate(current, plan.plan_table(current, desired))
    assert after.services[KEY].scheduler == "rr"
    assert list(after.servers_of(KEY).values()) == [A._replace(weight=9)]
    assert plan.plan_table(after, desired) == []
    assert current.servers_of(KEY)[B.key] == B  # the input is not modified


def test_operation_descriptions():
    ops = plan.plan_table(plan.Table(), [plan.DesiredService(SVC, (A,))])
    assert [op.describe() for op in ops] == ["add service TCP 192.0.2.1:80", "add server 10.0.0.1:80 to TCP 192.0.2.1:80"]
    assert ops[1].as_dict()["after"]["weight"] == 1
