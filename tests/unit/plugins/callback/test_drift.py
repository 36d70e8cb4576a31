# The drift report's lines for each kind of result the roles' tasks return in check mode.
from __future__ import annotations

from ansible_collections.lvs.ipvs.plugins.callback import drift


def test_table_edits_are_ipvsadm_commands():
    assert drift.details_of({"changed": True, "commands": ["-a -t 192.0.2.10:80 -r 192.0.2.13:80 -g -w 1"], "diff": {"before": "", "after": "x"}}) == [
        "ipvsadm -a -t 192.0.2.10:80 -r 192.0.2.13:80 -g -w 1"
    ]


def test_settings_show_before_and_after():
    changes = {"ipvs.expire_nodest_conn": {"before": "0", "after": "1"}, "conntrack.max": {"before": "65536", "after": "262144"}}
    assert drift.details_of({"changed": True, "changes": changes}) == ["conntrack.max: 65536 -> 262144", "ipvs.expire_nodest_conn: 0 -> 1"]


def test_files_show_a_unified_diff_cut_to_length():
    before = "".join("line %d\n" % number for number in range(100))
    lines = drift.details_of({"changed": True, "diff": [{"before": before, "after": "", "before_header": "/etc/keepalived/keepalived.conf"}]})
    assert lines[:2] == ["--- /etc/keepalived/keepalived.conf (on the host)", "+++ /etc/keepalived/keepalived.conf (from the inventory)"]
    assert lines[-1] == "... 43 more lines"
    assert len(lines) == 61


def test_a_hidden_result_is_reported_without_its_content():
    assert drift.details_of({"censored": "the output has been hidden", "changed": True}) == [
        "differs (not shown: the task hides its output, as it holds a secret)"
    ]


def test_script_output_and_other_results():
    assert drift.details_of({"changed": True, "stdout_lines": ["changed: address 192.0.2.10/32 on lo"]}) == ["changed: address 192.0.2.10/32 on lo"]
    assert drift.details_of({"changed": True}) == ["would change"]
