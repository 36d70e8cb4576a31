# ipvs_table without a kernel: save-file parsing, the desired table, the plan and
# the rendering in ipvsadm's order.
from __future__ import annotations

import itertools

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.lvs.ipvs.plugins.module_utils import _lock as lock
from ansible_collections.lvs.ipvs.plugins.module_utils import _model as model
from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
from ansible_collections.lvs.ipvs.plugins.module_utils import _savefile as savefile
from ansible_collections.lvs.ipvs.plugins.module_utils import _table as table
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError
from ansible_collections.lvs.ipvs.plugins.module_utils._rules import command, render_table
from ansible_collections.lvs.ipvs.plugins.modules import ipvs_table

EVERY_OPTION = """\
# comment, then a blank line

-A -t 192.0.2.10:80 -s wrr -p 600 -M 255.255.255.0
-a -t 192.0.2.10:80 -r 10.0.0.1:80 -g -w 3 -x 100 -y 10
-a -t 192.0.2.10:80 -r 10.0.0.2 -i
-A -u [2001:db8::10]:53 -s sh -b sh-fallback,sh-port -o
-a -u [2001:db8::10]:53 -r [2001:db8::21]:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum
-a -u [2001:db8::10]:53 -r 10.0.0.6 -i --tun-type gre --tun-nocsum
-A --sctp-service 192.0.2.13:0 --scheduler lc --persistent 30 --pe sip
-A -f 7 -6 -s mh -b mh-port
-a -f 7 -6 -r [2001:db8::23]:8443 -m -w 2
-A --tcp-service 192.0.2.15:http --persistent
-a --tcp-service 192.0.2.15:80 --real-server 10.0.0.8:8080 --masquerading --weight 4 --u-threshold 50 --l-threshold 5
"""

EVERY_OPTION_RULES = """\
-A -t 192.0.2.10:80 -s wrr -p 600 -M 255.255.255.0
-a -t 192.0.2.10:80 -r 10.0.0.1:80 -g -w 3 -x 100 -y 10
-a -t 192.0.2.10:80 -r 10.0.0.2:80 -i -w 1 --tun-type ipip
-A -t 192.0.2.15:80 -s wlc -p 300
-a -t 192.0.2.15:80 -r 10.0.0.8:8080 -m -w 4 -x 50 -y 5
-A --sctp-service 192.0.2.13:0 -s lc -p 30 --pe sip
-A -u [2001:db8::10]:53 -s sh -o -b sh-fallback,sh-port
-a -u [2001:db8::10]:53 -r 10.0.0.6:53 -i -w 1 --tun-type gre --tun-nocsum
-a -u [2001:db8::10]:53 -r [2001:db8::21]:53 -i -w 1 --tun-type gue --tun-port 6080 --tun-remcsum
-A -f 7 -6 -s mh -b mh-port
-a -f 7 -6 -r [2001:db8::23]:8443 -m -w 2
"""


def table_of(desired) -> plan.Table:
    return plan.simulate(plan.Table(), plan.plan_table(plan.Table(), desired))


def test_every_option_is_read_and_written_back_in_ipvsadm_order():
    assert render_table(table_of(savefile.parse(EVERY_OPTION, "every.rules"))) == EVERY_OPTION_RULES


def test_what_we_write_reads_back_to_the_same_table():
    first = table_of(savefile.parse(EVERY_OPTION, "every.rules"))
    second = table_of(savefile.parse(render_table(first), "saved.rules"))
    assert second == first


@pytest.mark.parametrize(
    "text, message",
    [
        ("-A -t 192.0.2.1:80 -s rr --sticky", "x.rules line 1: unknown option for a service (at '--sticky' in: -A -t 192.0.2.1:80 -s rr --sticky)"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 10.0.0.1 --fast", "line 2: unknown option for a real server (at '--fast'"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 10.0.0.1 -w", "line 2: option -w needs a value (at '-w'"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 10.0.0.1 -w x", "line 2: not a number (at 'x'"),
        ("-A -t 192.0.2.1 -s rr", "a service address needs a port (ADDRESS:PORT or [IPv6]:PORT) (at '192.0.2.1'"),
        ("-A -t 192.0.2.1:nosuchport", "neither a port number nor a service name known to /etc/services (at 'nosuchport'"),
        ("-A -t 192.0.2.1:80 -s nope", "line 1: scheduler 'nope' is unknown"),
        ("-A -x 192.0.2.1:80", "expected -t, -u, --sctp-service or -f with the service address (at '-x'"),
        ("-E -t 192.0.2.1:80 -s rr", "a save file holds -A and -a lines only (at '-E'"),
        ("-a -t 192.0.2.1:80 -r 10.0.0.1", "real server for service TCP 192.0.2.1:80, which no earlier -A line defines (at '192.0.2.1:80'"),
        ("-A -t 192.0.2.1:80\n\n-A -t 192.0.2.1:80 -s rr", "line 3: service TCP 192.0.2.1:80 is already defined on line 1"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 10.0.0.1\n-a -t 192.0.2.1:80 -r 10.0.0.1:80 -w 2", "line 3: real server 10.0.0.1:80 is listed twice"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -w 2", "a real server line needs -r ADDRESS[:PORT]"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 2001:db8::1 -g", "needs forwarding_method tunnel"),
        # repeated options: ipvsadm -R refuses them
        ("-A -t 192.0.2.1:80 -s rr -s wrr", "line 1: option -s is given twice (at '-s'"),
        ("-A -t 192.0.2.1:80 -s rr --scheduler wrr", "--scheduler repeats -s (at '--scheduler'"),
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 10.0.0.1 -g -m", "-m repeats -g (at '-m'"),
        ("-A -t 192.0.2.1:80 -p -p", "option -p is given twice"),
        # digits int() cannot read are not numbers
        ("-A -t 192.0.2.1:80\n-a -t 192.0.2.1:80 -r 10.0.0.1 -w \u00b2", "line 2: not a number (at '\u00b2'"),
        ("-A -t 192.0.2.1:80 -p \u00b3", "unknown option for a service (at '\u00b3'"),
        ("-A -f \u00b2", "not a number (at '\u00b2'"),
        ("-A -t 192.0.2.1:\u00b2", "neither a port number nor a service name known to /etc/services (at '\u00b2'"),
        ("-A -t 192.0.2.1:80 -M \u00b2", "persistence_netmask '\u00b2' is not valid for ipv4"),
        ("-A -t \u00b2:80", "neither an IP address nor a host name that resolves (at '\u00b2'"),
    ],
)
def test_save_file_errors_name_file_line_and_token(text, message):
    with pytest.raises(IpvsError) as caught:
        savefile.parse(text, "x.rules")
    assert message in caught.value.message


def params(**given) -> dict:
    """The parameters as AnsibleModule hands them to the runner, with ipvs_table's own defaults."""
    checked = ArgumentSpecValidator(ipvs_table.argument_spec()).validate(dict({"lock_timeout": 5}, **given))
    assert not checked.error_messages, checked.error_messages
    return checked.validated_parameters


def service(address: str, *servers: str, **options) -> dict:
    entry: dict = {"address": address, "port": 80, "servers": [{"address": server} for server in servers]}
    entry.update(options)
    return entry


CURRENT = table_of(
    [
        plan.DesiredService(
            model.build_service(model.service_key("tcp", "192.0.2.1", 80)), (model.build_dest(model.service_key("tcp", "192.0.2.1", 80), "10.0.0.1"),)
        ),
        plan.DesiredService(model.build_service(model.service_key("tcp", "192.0.2.2", 80))),
    ]
)


def commands(given: dict) -> list:
    return [command(op) for op in table.operations(CURRENT, table.desired_of(given))]


def test_without_purge_nothing_unlisted_is_deleted():
    assert commands(params(services=[service("192.0.2.1", "10.0.0.2")])) == ["-a -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 1"]


def test_purge_deletes_unlisted_servers_and_services():
    assert commands(params(services=[service("192.0.2.1", "10.0.0.2")], purge=True)) == [
        "-d -t 192.0.2.1:80 -r 10.0.0.1:80",
        "-a -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 1",
        "-D -t 192.0.2.2:80",
    ]


def test_a_matching_table_plans_nothing():
    assert commands(params(services=[service("192.0.2.1", "10.0.0.1"), service("192.0.2.2")], purge=True)) == []


def test_state_absent_per_service_and_for_the_table():
    assert commands(params(services=[service("192.0.2.2", state="absent")])) == ["-D -t 192.0.2.2:80"]
    assert commands(params(services=[service("192.0.2.9", state="absent")])) == []
    assert commands(params(state="absent")) == ["-D -t 192.0.2.1:80", "-D -t 192.0.2.2:80"]


def test_purge_with_a_listed_absent_service_deletes_it_once():
    # the director role's removal path: director_purge defaults to true
    assert commands(params(services=[service("192.0.2.1", "10.0.0.1"), service("192.0.2.2", state="absent")], purge=True)) == ["-D -t 192.0.2.2:80"]


def test_edits_are_in_place_commands():
    assert commands(params(services=[service("192.0.2.1", scheduler="rr", servers=[{"address": "10.0.0.1", "weight": 5}])])) == [
        "-E -t 192.0.2.1:80 -s rr",
        "-e -t 192.0.2.1:80 -r 10.0.0.1:80 -g -w 5",
    ]


def test_no_services_leaves_the_table_alone():
    assert table.desired_of(params()) is None
    assert table.zero_scope(params(zero_counters=True)) == "all"
    assert table.zero_scope(params(zero_counters=True, zero_service={"address": "192.0.2.1", "port": 80})) == model.service_key("tcp", "192.0.2.1", 80)


def test_the_whole_table_is_validated_before_anything_else():
    late_error = [service("192.0.2.%d" % index, "10.0.0.1") for index in range(1, 50)]
    late_error.append(service("192.0.2.60", servers=[{"address": "10.0.0.1", "weight": 2**31}]))
    with pytest.raises(IpvsError, match=r"real server 10.0.0.1 of TCP 192.0.2.60:80: weight 2147483648 is out of range"):
        table.desired_of(params(services=late_error))


def test_ipvsadm_order_wraps_like_its_c_comparison():
    # ipvsadm subtracts unsigned addresses into an int: 10.0.0.1 - 192.0.2.1 is positive,
    # so 10.0.0.1 sorts after 192.0.2.1 (and 172.16.0.1 before both)
    key = model.service_key("tcp", "203.0.113.1", 80)
    dests = tuple(model.build_dest(key, address) for address in ("192.0.2.1", "10.0.0.1", "172.16.0.1"))
    keys = [model.service_key("tcp", address, 80) for address in ("203.0.113.1", "10.0.0.9")]
    rendered = render_table(table_of([plan.DesiredService(model.build_service(k), dests if k == key else ()) for k in keys]))
    assert [line.split()[2 if line.startswith("-A") else 4] for line in rendered.splitlines()] == [
        "203.0.113.1:80",
        "172.16.0.1:80",
        "192.0.2.1:80",
        "10.0.0.1:80",
        "10.0.0.9:80",
    ]


def test_ipvsadm_order_is_the_same_whatever_order_the_table_is_read_in():
    # 10.x < 100.x < 200.x < 10.x and fwmark 0 against 2**31 each sort before the other
    # in ipvsadm's arithmetic: a table read in another order must still render the same
    cycle = [model.service_key("tcp", address, 80) for address in ("10.0.0.1", "100.0.0.1", "200.0.0.1")]
    marks = [model.service_key(fwmark=mark) for mark in (1, 2**31 + 1)]
    dests = [model.build_dest(cycle[0], address) for address in ("10.0.0.2", "100.0.0.2", "200.0.0.2")]
    renderings = set()
    for keys in itertools.permutations(cycle + marks):
        for servers in itertools.permutations(dests):
            renderings.add(render_table(table_of([plan.DesiredService(model.build_service(k), tuple(servers) if k == cycle[0] else ()) for k in keys])))
    assert len(renderings) == 1


@pytest.fixture(autouse=True)
def lock_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(lock, "LOCK_DIR", str(tmp_path / "run"))


class TableOnlyClient:
    """A kernel stand-in holding a table: enough for run() paths that end before zeroing."""

    def __init__(self, held: plan.Table):
        self.held = held

    def table(self, expected: dict | None = None) -> plan.Table:
        return self.held

    def apply(self, ops) -> list:
        self.held = plan.simulate(self.held, ops)
        return list(ops)

    def close(self) -> None:
        pass


def test_a_failed_save_after_edits_says_which_edits_were_applied(monkeypatch, tmp_path):
    client = TableOnlyClient(CURRENT)
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: client)
    given = params(services=[service("192.0.2.1", "10.0.0.1", "10.0.0.2")], dest=str(tmp_path / "missing" / "ipvsadm.rules"))
    with pytest.raises(IpvsError) as caught:
        table.run(given, check_mode=False, diff=False, load_module=None)
    assert "cannot save the table to %s" % given["dest"] in caught.value.message
    assert caught.value.message.endswith("; the 1 table edit(s) of this run were applied before it")
    assert [item["server"] for item in caught.value.applied] == ["10.0.0.2:80"]


def test_zeroing_a_service_the_run_does_not_hold_fails_before_any_edit(monkeypatch):
    client = TableOnlyClient(CURRENT)
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: client)
    given = params(services=[service("192.0.2.1", "10.0.0.2")], zero_counters=True, zero_service={"address": "192.0.2.7", "port": 80})
    with pytest.raises(IpvsError, match=r"cannot zero the counters of TCP 192.0.2.7:80: no such service"):
        table.run(given, check_mode=False, diff=False, load_module=None)
    assert client.held == CURRENT


def test_saving_writes_the_table_once(monkeypatch, tmp_path):
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: TableOnlyClient(CURRENT))
    given = params(dest=str(tmp_path / "ipvsadm.rules"))
    first = table.run(given, check_mode=False, diff=False, load_module=None)
    second = table.run(given, check_mode=False, diff=False, load_module=None)
    assert (first["changed"], first["saved"], second["changed"]) == (True, True, False)
    assert (tmp_path / "ipvsadm.rules").read_text() == render_table(CURRENT)


class MeddledClient(TableOnlyClient):
    """A kernel whose table someone else edits while the run applies its own edits."""

    def apply(self, ops) -> list:
        applied = super().apply(ops)
        outsider = model.service_key("tcp", "198.51.100.9", 443)
        self.held = plan.simulate(self.held, plan.plan_table(self.held, [plan.DesiredService(model.build_service(outsider))]))
        return applied


def test_the_save_file_holds_what_the_kernel_holds_after_the_edits(monkeypatch, tmp_path):
    client = MeddledClient(CURRENT)
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: client)
    given = params(services=[service("192.0.2.1", "10.0.0.1", "10.0.0.2")], dest=str(tmp_path / "ipvsadm.rules"))
    result = table.run(given, check_mode=False, diff=False, load_module=None)
    saved = (tmp_path / "ipvsadm.rules").read_text()
    assert saved == render_table(client.held)
    assert "-A -t 198.51.100.9:443 -s wlc\n" in saved
    assert result["commands"] == ["-a -t 192.0.2.1:80 -r 10.0.0.2:80 -g -w 1"]
    assert result["warnings"] == [
        "the kernel's table differs from this run's plan after the edits (something outside lvs.ipvs changed it "
        "meanwhile): the save file holds what the kernel holds"
    ]
    assert result["lock_waited"] == 0


KEEPALIVED_OWNED = {"address": "192.0.2.2", "port": 80}


def test_an_excluded_service_is_neither_purged_nor_cleared():
    assert commands(params(services=[service("192.0.2.1", "10.0.0.1")], purge=True, exclude=[KEEPALIVED_OWNED])) == []
    assert commands(params(state="absent", exclude=[KEEPALIVED_OWNED])) == ["-D -t 192.0.2.1:80"]


def test_a_service_both_listed_and_excluded_is_refused():
    with pytest.raises(IpvsError, match=r"service TCP 192.0.2.2:80 is both listed and excluded"):
        table.desired_of(params(services=[service("192.0.2.2")], exclude=[KEEPALIVED_OWNED]))


def test_an_excluded_service_stays_out_of_the_saved_table(monkeypatch, tmp_path):
    client = TableOnlyClient(CURRENT)
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: client)
    saved = tmp_path / "ipvs.rules"
    given = params(services=[service("192.0.2.1", "10.0.0.1")], purge=True, exclude=[KEEPALIVED_OWNED], dest=str(saved))
    result = table.run(given, check_mode=False, diff=True, load_module=None)
    assert result["commands"] == [] and result["services"] == 1
    assert "192.0.2.2" not in saved.read_text() and "192.0.2.2" not in result["diff"]["before"]
    assert len(client.held.services) == 2


def ten_services() -> plan.Table:
    """Ten services of two real servers each: 192.0.2.1..10, servers 10.0.N.1 and 10.0.N.2."""
    return table_of(
        [
            plan.DesiredService(
                model.build_service(model.service_key("tcp", "192.0.2.%d" % index, 80)),
                tuple(model.build_dest(model.service_key("tcp", "192.0.2.%d" % index, 80), "10.0.%d.%d" % (index, server)) for server in (1, 2)),
            )
            for index in range(1, 11)
        ]
    )


def kept(count: int, servers: tuple = ("1", "2")) -> list:
    return [service("192.0.2.%d" % index, *("10.0.%d.%s" % (index, server) for server in servers)) for index in range(1, count + 1)]


def test_a_deleted_service_counts_its_real_servers():
    ops = table.operations(ten_services(), table.desired_of(params(services=kept(7, ("1",)), purge=True)))
    assert plan.removal(ten_services(), ops) == plan.Removal(services=3, live_services=10, servers=3 * 2 + 7, live_servers=20)


@pytest.mark.parametrize("check_mode", [False, True])
def test_a_plan_deleting_more_than_the_share_is_refused_before_any_edit(monkeypatch, check_mode):
    client = TableOnlyClient(ten_services())
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: client)
    with pytest.raises(IpvsError) as caught:
        table.run(params(services=kept(4), purge=True), check_mode=check_mode, diff=False, load_module=None)
    assert caught.value.message.startswith(
        "refusing a plan that deletes 6 of the 10 services (60%) and 12 of the 20 real servers (60%) of the live table, "
        "more than max_removed_percent=50 allows; nothing was changed. If the inventory is right, run again with a higher "
        "max_removed_percent. Deletions: -D -t 192.0.2.10:80; -D -t 192.0.2.5:80;"
    )
    assert caught.value.message.endswith("-D -t 192.0.2.9:80")
    assert caught.value.result() == {"commands": ["-D -t 192.0.2.%d:80" % index for index in (10, 5, 6, 7, 8, 9)], "refused": True}
    assert client.held == ten_services()


def test_real_servers_alone_can_trip_the_guard_and_the_listing_is_cut(monkeypatch):
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: TableOnlyClient(ten_services()))
    with pytest.raises(IpvsError, match=r"deletes 10 of the 20 real servers \(50%\) of the live table, more than max_removed_percent=40 .*10.0.10.2:80$"):
        table.run(params(services=kept(10, ("1",)), purge=True, max_removed_percent=40), check_mode=True, diff=False, load_module=None)
    with pytest.raises(IpvsError, match=r"deletes 20 of the 20 real servers \(100%\) .* -d -t 192.0.2.5:80 -r 10.0.5.2:80 and 10 more$"):
        table.run(params(services=kept(10, ()), purge=True), check_mode=True, diff=False, load_module=None)


def test_a_share_within_the_limit_and_an_explicit_clear_are_applied(monkeypatch):
    client = TableOnlyClient(ten_services())
    monkeypatch.setattr(table.common, "open_client", lambda load_module, check_mode: client)
    assert table.run(params(services=kept(5), purge=True), check_mode=False, diff=False, load_module=None)["summary"]["delete_service"] == 5
    assert table.run(params(services=[], purge=True, max_removed_percent=100), check_mode=False, diff=False, load_module=None)["services"] == 0
    client.held = ten_services()
    assert table.run(params(state="absent"), check_mode=False, diff=False, load_module=None)["services"] == 0


def test_the_share_is_validated_with_the_rest_of_the_input():
    with pytest.raises(IpvsError, match=r"^max_removed_percent 101 is out of range 0..100$"):
        table.desired_of(params(services=[], max_removed_percent=101))


def test_a_large_table_is_echoed_as_its_size():
    small = params(services=[service("192.0.2.%d" % number, "10.0.0.1") for number in range(1, 4)])
    assert table.echoed_args(small) is small
    large = params(services=[service("198.18.%d.%d" % divmod(number, 250), "10.0.0.1") for number in range(table.ECHOED_SERVICES + 1)])
    assert table.echoed_args(large) == dict(large, services=table.ECHOED_SERVICES + 1)
    assert len(large["services"]) == table.ECHOED_SERVICES + 1
