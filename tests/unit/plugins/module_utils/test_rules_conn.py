# ipvsadm -Sn rendering and /proc/net/ip_vs_conn parsing.
from __future__ import annotations

from ansible_collections.lvs.ipvs.plugins.module_utils import _conn as conn
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _rules as rules

V6 = model.service_key("udp", "2001:db8::1", 5060)


def test_service_rule_matches_ipvsadm_order():
    service = model.build_service(V6, "sh", ["sh-port"], None, 120, "64", "sip")
    assert rules.service_rule(service) == "-A -u [2001:db8::1]:5060 -s sh -p 120 -M 64 --pe sip -b sh-port"
    fwm = model.build_service(model.service_key(fwmark=5, family="ipv6"), "mh", ["mh-fallback"], one_packet=True)
    assert rules.service_rule(fwm) == "-A -f 5 -6 -s mh -o -b mh-fallback"


def test_host_netmask_is_not_printed():
    key = model.service_key("tcp", "192.0.2.1", 80)
    assert rules.service_rule(model.build_service(key, "rr", persistent=True)) == "-A -t 192.0.2.1:80 -s rr -p 300"


def test_server_rules():
    key = model.service_key("tcp", "192.0.2.1", 80)
    gue = model.build_dest(key, "2001:db8::10", forwarding_method="tunnel", tunnel_type="gue", tunnel_port=6080, tunnel_checksum="remcsum")
    assert rules.server_rule(key, gue) == "-a -t 192.0.2.1:80 -r [2001:db8::10]:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum"
    nat = model.build_dest(key, "10.0.0.2", 8080, "masquerade", 0, 100, 50)
    assert rules.server_rule(key, nat) == "-a -t 192.0.2.1:80 -r 10.0.0.2:8080 -m -w 0 -x 100 -y 50"


PROC = """Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP C0A80A02 D4A4 C0000201 0050 0A000002 1F90 ESTABLISHED    899
UDP 2001:0db8:0000:0000:0000:0000:0000:0007 13C4 2001:0db8:0000:0000:0000:0000:0000:0001 13C4 0A000009 13C4 UDP            170 sip a1b2c3
TCP C0A80A02 0000 C0000201 0050 0A000002 0050 NONE           299
"""


def test_connection_table_parsing():
    entries = conn.parse(PROC)
    assert len(entries) == 3
    assert entries[0] == {
        "protocol": "tcp",
        "family": "ipv4",
        "client_address": "192.168.10.2",
        "client_port": 0xD4A4,
        "virtual_address": "192.0.2.1",
        "virtual_port": 80,
        "server_family": "ipv4",
        "server_address": "10.0.0.2",
        "server_port": 8080,
        "state": "ESTABLISHED",
        "expires": 899,
        "persistence_engine": None,
        "persistence_data": None,
        "template": False,
    }
    assert entries[1]["virtual_address"] == "2001:db8::1"
    assert entries[1]["server_address"] == "10.0.0.9"
    assert entries[1]["persistence_engine"] == "sip"
    assert entries[2]["state"] == "NONE"
    assert entries[2]["template"]
    assert [conn.matches(e, "tcp", "192.0.2.1", 80) for e in entries] == [True, False, True]


def test_a_local_real_server_is_saved_as_ipvsadm_saves_it():
    key = model.service_key("tcp", "192.0.2.1", 80)
    local = model.Dest(model.DestKey("ipv4", "127.0.0.1", 80), "local")
    assert rules.server_rule(key, local) == "-a -t 192.0.2.1:80 -r 127.0.0.1:80 -g -w 1"


# Two virtual addresses listed by the kernel out of ipvsadm's order, 10.0.0.10 before 10.0.0.9
# (ipvsadm compares addresses as numbers), and a fwmark template (protocol IP).
BUSY = """Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData
TCP C0A80A02 D4A4 C0000202 0050 0A00000A 0050 ESTABLISHED    899
TCP C0A80A03 D4A5 C0000202 0050 0A000009 0050 TIME_WAIT      100
TCP C0A80A04 D4A6 C0000202 0050 0A00000A 0050 ESTABLISHED    890
TCP C0A80A05 D4A7 C0000201 0050 0A00000A 0050 SYN_RECV        50
UDP C0A80A05 D4A7 C0000201 0035 0A00000A 0035 UDP            150
IP  C0A80A05 0000 C0000201 0000 0A00000A 0000 NONE           250
"""


def test_connection_states_are_counted_per_virtual_address_and_real_server_in_ipvsadm_order():
    summary = conn.summarize(conn.parse(BUSY))
    assert summary["total"] == 6
    assert summary["protocols"] == {"ip": {"NONE": 1}, "tcp": {"ESTABLISHED": 2, "SYN_RECV": 1, "TIME_WAIT": 1}, "udp": {"UDP": 1}}
    assert list(summary["protocols"]["tcp"]) == ["ESTABLISHED", "SYN_RECV", "TIME_WAIT"]
    listed = [(s["protocol"], s["address"], s["port"], s["total"]) for s in summary["services"]]
    assert listed == [("tcp", "192.0.2.1", 80, 1), ("tcp", "192.0.2.2", 80, 3), ("udp", "192.0.2.1", 53, 1), ("ip", "192.0.2.1", 0, 1)]
    busy = summary["services"][1]
    assert busy["states"] == {"ESTABLISHED": 2, "TIME_WAIT": 1}
    assert [(s["address"], s["total"], s["states"]) for s in busy["servers"]] == [
        ("10.0.0.9", 1, {"TIME_WAIT": 1}),
        ("10.0.0.10", 2, {"ESTABLISHED": 2}),
    ]


def test_connection_states_keep_the_kernels_order_when_asked():
    summary = conn.summarize(conn.parse(BUSY), ipvsadm_order=False)
    assert [s["address"] for s in summary["services"]] == ["192.0.2.2", "192.0.2.1", "192.0.2.1", "192.0.2.1"]
    assert [s["address"] for s in summary["services"][0]["servers"]] == ["10.0.0.10", "10.0.0.9"]


def test_an_empty_table_counts_nothing():
    assert conn.summarize([]) == {"total": 0, "protocols": {}, "services": []}
