# The netlink client against the running kernel, with ipvsadm as the witness.
from __future__ import annotations

import errno
import re

import pytest
from conftest import ipvsadm

from ansible_collections.lvs.ipvs.plugins.module_utils import _codec as codec
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _wire as wire
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


def test_ipvs_info_lists_in_ipvsadm_order(client):
    # as text 10.0.0.10 sorts before 10.0.0.9 and 198.51.100.1 before 203.0.113.1 ... and
    # ipvsadm wraps addresses more than 2**31 apart: its own listing is the reference
    from ansible_collections.lvs.ipvs.plugins.module_utils import _info as info

    services = [model.service_key("tcp", address, port) for address, port in (("203.0.113.1", 80), ("10.1.0.1", 443), ("198.51.100.1", 80), ("10.1.0.1", 80))]
    desired = [plan.DesiredService(model.build_service(key), tuple(model.build_dest(key, "10.0.0.%d" % n) for n in (10, 9, 100, 2))) for key in services]
    desired.append(plan.DesiredService(model.build_service(model.service_key("udp", "2001:db8::10", 53)), ()))
    client.apply(plan.plan_table(client.table(), desired))
    listed = info.run({"namespace": None, "gather": ["services", "servers"], "service": None, "sort": True, "states": []})["services"]
    ours = [(item["protocol"], item["address"], item["port"], [server["address"] for server in item["servers"]]) for item in listed]
    theirs, current = [], None
    for line in ipvsadm("-Ln").splitlines()[3:]:
        fields = line.split()
        if fields[0] in ("TCP", "UDP"):
            address, port = fields[1].rsplit(":", 1)
            current = (fields[0].lower(), address.strip("[]"), int(port), [])
            theirs.append(current)
        else:
            current[3].append(fields[1].rpartition(":")[0].strip("[]"))
    assert ours == theirs


def test_counters_are_read(client):
    client.apply(plan.plan_table(client.table(), TABLE))
    states = client.service_states()
    web = states[WEB]
    assert set(web.stats) == set(model.STATS_FIELDS)
    assert set(web.rates) == set(model.RATE_FIELDS)
    assert {state.active_connections for state in web.dests.values()} == {0}


def big_table(services: int, servers: int) -> list:
    table = []
    for index in range(services):
        key = model.service_key("tcp", "198.18.%d.%d" % (index // 250, 1 + index % 250), 80)
        dests = tuple(model.build_dest(key, "10.%d.%d.%d" % (index // 250, index % 250, 1 + number), weight=number) for number in range(servers))
        table.append(plan.DesiredService(model.build_service(key, "wrr"), dests))
    return table


def test_a_large_table_goes_in_batches_and_reads_back_as_ipvsadm_sees_it(client):
    from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
    from ansible_collections.lvs.ipvs.plugins.module_utils._rules import render_table

    ops = plan.plan_table(client.table(), big_table(60, 10))
    assert len(ops) > 2 * kernel.WINDOW
    assert len(client.apply(ops)) == len(ops)
    table = client.table()
    assert render_table(table) == ipvsadm("-Sn")
    assert plan.plan_table(table, big_table(60, 10)) == []


def test_expected_real_servers_are_recognised_in_the_kernels_own_dumps(client, monkeypatch):
    # a read with expectations takes a dumped server whose bytes are an expected Dest's
    # encoding as that very Dest (identity proves the bytes matched on this kernel) and
    # decodes the rest; either way the table equals the one read without expectations
    wanted = TABLE + big_table(3, 4)
    client.apply(plan.plan_table(client.table(), wanted))
    plain = client.table()
    expected = {item.service.key: item.servers for item in wanted}
    cut = []
    original = codec.SelectedReplies.cut

    def recorded(self, data, seq):
        cut.append(original(self, data, seq))
        return cut[-1]

    monkeypatch.setattr(codec.SelectedReplies, "cut", recorded)
    found = client.table(expected)
    assert found == plain
    assert all(found.servers[item.service.key][dest.key] is dest for item in wanted for dest in item.servers)
    # this kernel's replies were cut a datagram at a time, not walked one by one
    assert sum(len(chunks) for _order, chunks, _end in cut) == sum(len(item.servers) for item in wanted)
    heavier = {key: [dest._replace(weight=dest.weight + 1) for dest in dests] for key, dests in expected.items()}
    found = client.table(heavier)
    assert found == plain
    assert not any(found.servers[key][dest.key] is dest for key, dests in heavier.items() for dest in dests)


def test_lean_dump_decodes_as_pyroute2_decodes_the_same_kernel_replies(client):
    # the same dumps through pyroute2's own decoder (its nlm_request) and ours
    client.apply(plan.plan_table(client.table(), TABLE + big_table(3, 4)))
    ours = client.service_states()
    theirs = {}
    for reply in client._request(nl.CMD_GET_SERVICE, dump=True):
        state = wire.decode_service_state(reply.get_attr("IPVS_CMD_ATTR_SERVICE"))
        selector = [["IPVS_CMD_ATTR_SERVICE", {"attrs": wire.service_id_attrs(state.service.key)}]]
        for dest_reply in client._request(nl.CMD_GET_DEST, selector, dump=True):
            dest = wire.decode_dest_state(dest_reply.get_attr("IPVS_CMD_ATTR_DEST"), state.service.key.family)
            state.dests[dest.dest.key] = dest
        theirs[state.service.key] = state
    assert len(ours) == len(TABLE) + 3
    assert ours == theirs


def test_a_refusal_ends_the_run_after_its_batch_and_says_what_was_applied(client):
    # the kernel carries on with the rest of a datagram after refusing one message
    orphan_key = model.service_key("tcp", "192.0.2.99", 80)
    ops = [
        plan.Operation(plan.ADD_SERVICE, WEB, after=model.build_service(WEB)),
        plan.Operation(plan.ADD_SERVER, orphan_key, after=model.build_dest(orphan_key, "10.0.0.9")),
        plan.Operation(plan.ADD_SERVER, WEB, after=model.build_dest(WEB, "10.0.0.8")),
    ]
    with pytest.raises(IpvsError) as caught:
        client.apply(ops)
    assert caught.value.errno == errno.ESRCH
    assert "cannot add server 10.0.0.9:80 to TCP 192.0.2.99:80" in caught.value.message
    assert "2 of 3 changes were applied: add_service TCP 192.0.2.1:80, add_server 10.0.0.8:80" in caught.value.message
    assert [item["action"] for item in caught.value.applied] == ["add_service", "add_server"]
    assert saved() == {"-A -t 192.0.2.1:80 -s wlc", "-a -t 192.0.2.1:80 -r 10.0.0.8:80 -g -w 1"}
