# The netlink client against the running kernel, with ipvsadm as the witness.
from __future__ import annotations

import errno
import re

import pytest
from conftest import ipvsadm

from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError

WEB = model.service_key("tcp", "192.0.2.1", 80)
SIP6 = model.service_key("udp", "2001:db8::1", 5060)
FWM6 = model.service_key(fwmark=5, family="ipv6")

TABLE = [
    plan.DesiredService(
        model.build_service(WEB, "wrr", persistent=True, persistence_netmask="255.255.255.0"),
        (
            model.build_dest(WEB, "10.0.0.2", weight=3, upper_threshold=100, lower_threshold=10),
            model.build_dest(WEB, "10.0.0.3", 8080, "masquerade", 0),
        ),
    ),
    plan.DesiredService(
        model.build_service(SIP6, "sh", ["sh-port"], None, 60, "64", "sip"),
        (
            model.build_dest(SIP6, "2001:db8::10", forwarding_method="tunnel", tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum"),
            model.build_dest(SIP6, "10.0.0.9", forwarding_method="tunnel", tunnel_type="gre", tunnel_checksum="csum"),
        ),
    ),
    plan.DesiredService(model.build_service(FWM6, "mh", ["mh-fallback"], one_packet=True), ()),
]

SAVED = {
    "-A -t 192.0.2.1:80 -s wrr -p 300 -M 255.255.255.0",
    # ipvsadm -S does not save thresholds; they are checked with --thresholds
    "-a -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 3",
    "-a -t 192.0.2.1:80 -r 10.0.0.3:8080 -m -w 0",
    "-A -u [2001:db8::1]:5060 -s sh -p 60 -M 64 --pe sip -b sh-port",
    "-a -u [2001:db8::1]:5060 -r 10.0.0.9:5060 -i -w 1 --tun-type gre --tun-csum",
    "-a -u [2001:db8::1]:5060 -r [2001:db8::10]:5060 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum",
    "-A -f 5 -6 -s mh -o -b mh-fallback",
}


def saved() -> set:
    return set(ipvsadm("-Sn").splitlines())


def test_a_whole_table_is_written_read_back_and_stable(client):
    ops = plan.plan_table(client.table(), TABLE)
    assert len(ops) == 7
    client.apply(ops)
    assert saved() == SAVED
    assert re.search(r"-> 10\.0\.0\.2:80 +100 +10 ", ipvsadm("-Ln", "--thresholds"))
    assert plan.plan_table(client.table(), TABLE, purge=True) == []


def test_rules_rendered_by_the_collection_match_ipvsadm(client):
    from ansible_collections.lvs.ipvs.plugins.module_utils._rules import render

    client.apply(plan.plan_table(client.table(), TABLE))
    table = client.table()
    rendered = set()
    for key, service in table.services.items():
        rendered |= set(render(service, table.servers_of(key).values()).splitlines())
    # the collection's rules keep the thresholds that ipvsadm -S leaves out
    assert rendered - SAVED == {"-a -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 3 -x 100 -y 10"}
    assert SAVED - rendered == {"-a -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 3"}


def test_in_place_edits_keep_the_entries(client):
    client.apply(plan.plan_table(client.table(), TABLE))
    edited = [
        plan.DesiredService(
            model.build_service(WEB, "lc"),
            (model.build_dest(WEB, "10.0.0.2", forwarding_method="tunnel"),),
            purge_servers=True,
        )
    ]
    ops = plan.plan_table(client.table(), edited)
    assert [op.action for op in ops] == ["edit_service", "delete_server", "edit_server"]
    client.apply(ops)
    rules = saved()
    assert "-A -t 192.0.2.1:80 -s lc" in rules
    assert "-a -t 192.0.2.1:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip" in rules
    assert not any("10.0.0.3" in line for line in rules)


def test_kernel_errors_are_explained_and_partial_applies_reported(client):
    good = plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB))
    duplicate = plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB))
    with pytest.raises(IpvsError) as caught:
        client.apply([good, duplicate])
    assert caught.value.errno == errno.EEXIST
    assert "it already exists" in caught.value.message
    assert "1 of 2 changes were applied: add_service TCP 192.0.2.1:80" in caught.value.message
    assert [item["action"] for item in caught.value.applied] == ["add_service"]


def test_missing_service_is_esrch(client):
    orphan = plan.Operation(plan.ADD_SERVER, SIP6, after=model.build_dest(SIP6, "2001:db8::7"))
    with pytest.raises(IpvsError, match=r"service UDP \[2001:db8::1\]:5060 does not exist; nothing was changed"):
        client.apply([orphan])


def test_missing_server_is_enoent(client):
    client.apply([plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB))])
    ghost = plan.Operation(plan.DELETE_SERVER, WEB, before=model.build_dest(WEB, "10.0.0.99"))
    with pytest.raises(IpvsError, match="the real server does not exist"):
        client.apply([ghost])


def test_missing_persistence_engine_module_is_named(client):
    # the kernel answers ENOENT for both a missing scheduler and a missing engine;
    # once the scheduler is loaded (the kernel loads it on demand) the engine is to blame
    from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel

    client.apply([plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB, "rr"))])
    op = plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB, "rr", persistence_engine="sip"))
    assert "persistence engine 'sip' is not available: load module ip_vs_pe_sip" in kernel.explain(op, errno.ENOENT)


def test_kernel_range_checks_back_ours(client):
    # bypass our validation to see the kernel's own ERANGE on a negative weight
    client.apply([plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB))])
    bad = model.Dest(model.DestKey("ipv4", "10.0.0.5", 80), "route", 2**31)
    with pytest.raises(IpvsError) as caught:
        client.apply([plan.Operation(plan.ADD_SERVER, WEB, after=bad)])
    assert caught.value.errno == errno.ERANGE


def test_info_config_zero_flush(client):
    assert client.info()["version"] == "1.2.1"
    assert ipvsadm("-Ln").startswith("IP Virtual Server version 1.2.1 (size=%d)" % client.info()["connection_table_size"])
    assert client.timeouts() == {"tcp": 900, "tcp_fin": 120, "udp": 300}
    assert client.daemons() == []
    client.apply(plan.plan_table(client.table(), TABLE))
    client.zero(WEB)
    client.zero()
    client.flush()
    assert saved() == set()


def test_counters_are_read(client):
    client.apply(plan.plan_table(client.table(), TABLE))
    states = client.service_states()
    web = states[WEB]
    assert set(web.stats) == set(model.STATS_FIELDS)
    assert set(web.rates) == set(model.RATE_FIELDS)
    assert {state.active_connections for state in web.dests.values()} == {0}
