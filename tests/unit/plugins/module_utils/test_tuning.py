from __future__ import annotations

import pytest

from ansible_collections.lvs.ipvs.plugins.module_utils import _tuning as tuning
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


def test_values_are_normalised():
    assert tuning.validate("ipvs", tuning.IPVS, {"conntrack": True, "sync_threshold": "3  50", "conn_reuse_mode": 2}) == {
        "conntrack": (1,),
        "sync_threshold": (3, 50),
        "conn_reuse_mode": (2,),
    }
    assert tuning.validate("ipvs", tuning.IPVS, {"sync_threshold": [3, 50]}) == {"sync_threshold": (3, 50)}


@pytest.mark.parametrize(
    "group, table, values, message",
    [
        ("ipvs", tuning.IPVS, {"expire_everything": 1}, "ipvs: unknown setting 'expire_everything'; valid: am_droprate, amemthresh, backup_only"),
        ("conntrack", tuning.CONNTRACK, {"tcp_timeout_forever": 1}, "valid: acct, buckets, expect_max, generic_timeout"),
        ("ipvs", tuning.IPVS, {"conntrack": 2}, "ipvs.conntrack: 2 is out of range 0..1"),
        ("ipvs", tuning.IPVS, {"sync_threshold": 3}, "is not 2 integers"),
        ("conntrack", tuning.CONNTRACK, {"max": -1}, "conntrack.max: -1 is out of range 1.."),
        ("conntrack", tuning.CONNTRACK, {"tcp_timeout_established": "long"}, "is not an integer"),
    ],
)
def test_bad_values(group, table, values, message):
    with pytest.raises(IpvsError) as caught:
        tuning.validate(group, table, values)
    assert message in caught.value.message


def test_sizing():
    sized = tuning.sizing(1_000_000, None, 2**34)
    assert sized["max"] == (1_250_000,)
    assert sized["buckets"] == (524288,)  # a power of two >= max / 4
    assert sized["memory_mib"] == pytest.approx((1_250_000 * 320 + 524288 * 8) / 2**20, abs=0.1)


def test_sizing_refuses_what_memory_cannot_hold():
    with pytest.raises(IpvsError, match="above memory_budget_mb 100"):
        tuning.sizing(1_000_000, 100, 2**34)
    with pytest.raises(IpvsError, match="this host has 64 MiB available"):
        tuning.sizing(1_000_000, None, 64 * 2**20)


def test_available_memory():
    assert tuning.available_memory("MemTotal: 100 kB\nMemAvailable:   2048 kB\n") == 2048 * 1024


def params(**given) -> dict:
    base = {"conntrack": None, "ipvs": None, "ipvs_conn_tab_bits": None, "expected_connections": None, "memory_budget_mb": None}
    base.update({"persist": True, "reload_ipvs": False, "force_reload": False, "namespace": None})
    base.update(given)
    return base


def test_persisted_files_merge_what_each_task_sets(tmp_path, monkeypatch):
    for name in ("SYSCTL_FILE", "MODPROBE_FILE", "MODULES_LOAD_FILE"):
        monkeypatch.setattr(tuning, name, str(tmp_path / name))
    first = [(tuning.CONNTRACK["max"], (5,), "conntrack.max"), (tuning.IPVS["sync_threshold"], (3, 50), "ipvs.sync_threshold")]
    for path, content in tuning.planned_files(params(), first, (65536,), None).items():
        tuning.write_file(path, content)
    # a second task persists other settings: the first task's stay, a shared one takes the new value
    second = [(tuning.IPVS["conntrack"], (1,), "ipvs.conntrack"), (tuning.IPVS["sync_threshold"], (4, 60), "ipvs.sync_threshold")]
    files = tuning.planned_files(params(), second, None, 16)
    assert files[tuning.SYSCTL_FILE] == (
        "# Managed by lvs.ipvs.conntrack_tuning\nnet.ipv4.vs.conntrack = 1\nnet.ipv4.vs.sync_threshold = 4 60\nnet.netfilter.nf_conntrack_max = 5\n"
    )
    assert files[tuning.MODPROBE_FILE] == "# Managed by lvs.ipvs.conntrack_tuning\noptions ip_vs conn_tab_bits=16\noptions nf_conntrack hashsize=65536\n"
    assert files[tuning.MODULES_LOAD_FILE] == "# Managed by lvs.ipvs.conntrack_tuning\nip_vs\nnf_conntrack\n"


def test_a_refused_reload_comes_before_any_write(tmp_path, monkeypatch):
    written = []
    monkeypatch.setattr(tuning, "read_knob", lambda knob: (12,) if knob is tuning.CONN_TAB_BITS else (1,))
    monkeypatch.setattr(tuning, "write_knob", lambda knob, value: written.append(knob))
    monkeypatch.setattr(tuning, "write_file", lambda path, content: written.append(path))
    monkeypatch.setattr(tuning, "ipvs_services_exist", lambda: True)
    monkeypatch.setattr(tuning.os.path, "isdir", lambda path: True)
    with pytest.raises(IpvsError, match="would delete the IPVS services defined now"):
        tuning.run(params(conntrack={"max": 5}, ipvs_conn_tab_bits=16, reload_ipvs=True), False, False, None)
    assert written == []


def test_a_failure_after_writes_names_what_was_written(tmp_path, monkeypatch):
    for name in ("SYSCTL_FILE", "MODPROBE_FILE", "MODULES_LOAD_FILE"):
        monkeypatch.setattr(tuning, name, str(tmp_path / name))
    write_file = tuning.write_file

    def failing_modules_file(path, content):
        if path == tuning.MODULES_LOAD_FILE:
            raise IpvsError("cannot write %s: Read-only file system" % path)
        write_file(path, content)

    monkeypatch.setattr(tuning, "write_file", failing_modules_file)
    monkeypatch.setattr(tuning, "read_knob", lambda knob: (1,))
    monkeypatch.setattr(tuning, "write_knob", lambda knob, value: None)
    monkeypatch.setattr(tuning.os.path, "isdir", lambda path: True)
    with pytest.raises(IpvsError) as caught:
        tuning.run(params(conntrack={"max": 5}), False, False, None)
    assert caught.value.applied == ["conntrack.max", tuning.SYSCTL_FILE]
    assert caught.value.message == "cannot write %s: Read-only file system; done before it: conntrack.max, %s" % (tuning.MODULES_LOAD_FILE, tuning.SYSCTL_FILE)


def test_kernel_releases_are_read_as_major_minor():
    assert tuning.kernel_version("6.1.0-57-amd64") == (6, 1)
    assert tuning.kernel_version("5.4.0") == (5, 4)
    assert tuning.kernel_version("4.19.0-27-cloud-amd64") == (4, 19)


def test_a_setting_the_kernel_lacks_is_refused_naming_the_release(tmp_path):
    (tmp_path / "present").write_text("0\n")
    wanted = [(tuning.Knob(str(tmp_path / "present")), (1,), "ipvs.present"), (tuning.Knob(str(tmp_path / "absent")), (1,), "ipvs.est_nice")]
    with pytest.raises(IpvsError, match=r"^the running kernel \(Linux 6.1.0-57-amd64\) has no ipvs.est_nice \(.*/absent\); nothing was changed$"):
        tuning.check_present(wanted, "6.1.0-57-amd64", check_mode=False)
    tuning.check_present(wanted[:1], "6.1.0-57-amd64", check_mode=False)
    # in check mode an unloaded module's folder cannot tell what the kernel has
    tuning.check_present([(tuning.Knob(str(tmp_path / "unloaded" / "knob")), (1,), "ipvs.x")], "6.1.0", check_mode=True)


@pytest.mark.parametrize(
    "conntrack, reuse, release, warned",
    [
        ((1,), (1,), "5.4.0-150-generic", True),
        ((1,), (3,), "4.19.0-27-amd64", True),
        ((1,), (0,), "5.4.0", False),
        ((0,), (1,), "5.4.0", False),
        ((1,), (1,), "5.9.0", False),
        ((1,), (1,), "6.1.0-57-amd64", False),
        ((1,), None, "5.4.0", False),
    ],
)
def test_conntrack_with_port_reuse_before_5_9_is_a_known_trap(conntrack, reuse, release, warned):
    warnings = tuning.trap_warnings(conntrack, reuse, release)
    assert bool(warnings) == warned
    if warned:
        assert "before 5.9" in warnings[0] and "conn_reuse_mode: 0" in warnings[0]
