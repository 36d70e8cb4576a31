# Each module refuses bad input with a clear message before it opens a socket:
# the kernel client is replaced by one that fails the test if it is ever created.
from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args

from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
from ansible_collections.lvs.ipvs.plugins.modules import conntrack_tuning, ipvs_info, ipvs_server, ipvs_service, ipvs_sync_daemon, ipvs_table, ipvs_timeouts


class NoKernel:
    def __init__(self, *args, **kwargs):
        raise AssertionError("the kernel was contacted before the input was validated")


@pytest.fixture(autouse=True)
def no_kernel(monkeypatch):
    monkeypatch.setattr(kernel, "IpvsClient", NoKernel)
    monkeypatch.setattr(kernel, "ipvs_loaded", lambda: True)


def run(module, args: dict, capsys) -> dict:
    with patch_module_args(args), pytest.raises(SystemExit) as stopped:
        module.main()
    result = json.loads(capsys.readouterr().out)
    assert stopped.value.code == 1, result
    return result


@pytest.mark.parametrize(
    "args, message",
    [
        ({"fwmark": 1, "address": "192.0.2.1"}, "mutually exclusive: fwmark|address"),
        ({"fwmark": 1, "port": 80}, "mutually exclusive: fwmark|port"),
        ({"port": 80}, "one of the following is required: address, fwmark"),
        ({"address": "192.0.2.1", "port": 80, "scheduler": "fastest"}, "value of scheduler must be one of"),
        ({"address": "192.0.2.1", "port": "http"}, "port"),
        ({"address": "192.0.2.1", "port": 80, "scheduler": "rr", "scheduler_flags": ["sh-port"]}, "has no effect with scheduler 'rr'"),
        ({"address": "192.0.2.1", "port": 0}, "only allowed with persistence"),
        ({"address": "192.0.2.1", "port": 80, "servers": [{"address": "10.0.0.1", "weight": -1}]}, "weight -1 is out of range"),
        ({"address": "192.0.2.1", "port": 80, "servers": [{"port": 80}]}, "missing required arguments: address"),
        ({"address": "192.0.2.1", "port": 80, "servers": [{"address": "10.0.0.1", "forwarding_method": "nat"}]}, "forwarding_method must be one of"),
        ({"address": "192.0.2.1", "port": 80, "servers": [{"address": "10.0.0.1"}, {"address": "10.0.0.1"}]}, "listed twice"),
        ({"address": "192.0.2.1", "port": 80, "persistence_netmask": "\u00b2"}, "persistence_netmask '\u00b2' is not valid for ipv4"),
    ],
)
def test_ipvs_service_rejects(args, message, capsys):
    assert message in run(ipvs_service, args, capsys)["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"address": "10.0.0.1"}, "missing required arguments: service"),
        ({"service": {"address": "192.0.2.1", "fwmark": 3}, "address": "10.0.0.1"}, "mutually exclusive: fwmark|address"),
        ({"service": {"address": "192.0.2.1", "port": 80}, "address": "10.0.0.1", "state": "gone"}, "value of state must be one of"),
        ({"service": {"address": "192.0.2.1", "port": 80}, "address": "10.0.0.1", "upper_threshold": 1, "lower_threshold": 2}, "above upper_threshold"),
        ({"service": {"address": "192.0.2.1", "port": 80}, "address": "2001:db8::1"}, "needs forwarding_method tunnel"),
        ({"service": {"address": "192.0.2.1", "port": 80}, "address": "10.0.0.1", "tunnel_type": "gre"}, "only apply to forwarding_method tunnel"),
        ({"service": {"address": "192.0.2.1", "port": 80}, "address": "10.0.0.1", "state": "absent", "port": 70000}, "out of range 0..65535"),
        # the waiting options are checked before the weight goes to 0
        (
            {"service": {"address": "192.0.2.1", "port": 80}, "address": "10.0.0.1", "state": "drained", "wait_for_drain": True, "drain_poll_interval": -1},
            "drain_poll_interval must be above 0 seconds, got -1.0",
        ),
        (
            {"service": {"address": "192.0.2.1", "port": 80}, "address": "10.0.0.1", "state": "drained", "wait_for_drain": True, "drain_timeout": -5},
            "drain_timeout must be 0 seconds or more, got -5",
        ),
    ],
)
def test_ipvs_server_rejects(args, message, capsys):
    assert message in run(ipvs_server, args, capsys)["msg"]


def test_ipvs_info_rejects_unknown_gather(capsys):
    assert "value of gather must be one or more of" in run(ipvs_info, {"gather": ["routes"]}, capsys)["msg"]


def test_ipvs_info_rejects_a_bad_service_filter(capsys):
    assert "not a valid IPv4 or IPv6 address" in run(ipvs_info, {"service": {"address": "nowhere", "port": 80}}, capsys)["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"ipvs": {"bogus": 1}}, "ipvs: unknown setting 'bogus'; valid: "),
        ({"conntrack": {"max": 0}}, "conntrack.max: 0 is out of range 1.."),
        ({"reload_ipvs": True, "ipvs": {"conntrack": 1}}, "reload_ipvs is True but all of the following are missing: ipvs_conn_tab_bits"),
        ({"memory_budget_mb": 5, "ipvs": {"conntrack": 1}}, "missing parameter(s) required by 'memory_budget_mb': expected_connections"),
        ({"ipvs_conn_tab_bits": 7}, "ipvs_conn_tab_bits 7 is out of range 8..20"),
        ({}, "one of the following is required: conntrack, ipvs, expected_connections, ipvs_conn_tab_bits"),
    ],
)
def test_conntrack_tuning_rejects(args, message, capsys):
    assert message in run(conntrack_tuning, args, capsys)["msg"]


@pytest.mark.parametrize(
    "module, args, message",
    [
        (ipvs_sync_daemon, {"role": "master"}, "state is started but all of the following are missing: interface"),
        (ipvs_sync_daemon, {"role": "backup", "interface": "lo", "syncid": 300}, "syncid 300 is out of range"),
        (ipvs_timeouts, {"udp": -1}, "udp timeout -1 is out of range"),
        (ipvs_timeouts, {}, "one of the following is required: tcp, tcp_fin, udp"),
    ],
)
def test_state_modules_reject(module, args, message, capsys):
    assert message in run(module, args, capsys)["msg"]


@pytest.mark.parametrize(
    "args, message",
    [
        ({"services": [], "src": "/etc/ipvsadm.rules"}, "mutually exclusive: services|src"),
        ({"purge": True}, "purge is True but any of the following are missing: services, src"),
        ({"state": "absent", "services": []}, "takes neither services nor src"),
        ({"zero_service": {"address": "192.0.2.1", "port": 80}}, "zero_counters is false"),
        ({"services": [{"port": 80}]}, "one of the following is required: address, fwmark"),
        ({"services": [{"address": "192.0.2.1", "port": 80, "servers": [{"address": "10.0.0.1", "weight": "heavy"}]}]}, "weight"),
        ({"services": [{"address": "192.0.2.1", "port": 80}, {"address": "192.0.2.1", "port": 80, "state": "absent"}]}, "listed twice in services"),
        ({"src": "/nonexistent/ipvsadm.rules"}, "cannot read the save file /nonexistent/ipvsadm.rules"),
    ],
)
def test_ipvs_table_rejects(args, message, capsys):
    assert message in run(ipvs_table, args, capsys)["msg"]


def test_ipvs_info_rejects_an_unknown_connection_state(capsys):
    assert "value of states must be one or more of: ASSURED, CLOSE," in run(ipvs_info, {"states": ["ESTABLISED"]}, capsys)["msg"]
