# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a check-mode run of the roles would change, per host: the fleet's drift."""

from __future__ import annotations

DOCUMENTATION = """
name: drift
type: aggregate
version_added: 0.1.0
short_description: Collect what a check-mode run would change, per host, as a drift report
description:
  - C(playbooks/drift.yml) runs the collection's roles in check mode (C(--check)) over every
    director and real server, in plays with the variable C(drift_compare=true). A task of such a play
    that would change something is drift from the inventory; this callback
    collects each such task per host with what it would do - the IPVS edits in ipvsadm notation
    (C(commands)), the settings with their values before and after (C(changes)), the differences
    of rendered files (C(diff)), the host network's planned steps - prints them at the end and
    writes them as JSON.
  - Only what the roles manage is compared; services excluded from the module path or owned by
    keepalived are not drift of the IPVS table (keepalived.conf covers them). A file that holds a
    secret (keepalived.conf with keepalived_auth_pass) is reported as differing, without content.
  - Enable it with C(ANSIBLE_CALLBACKS_ENABLED=lvs.ipvs.drift); C(playbooks/drift.yml) refuses to
    run without it.
author:
  - lvs.ipvs contributors (@lvs-ipvs)
options:
  report_file:
    description: Where the JSON report is written, kept up to date as the run goes.
    type: path
    default: lvs-ipvs-drift.json
    env:
      - name: LVS_IPVS_DRIFT_JSON
notes:
  - The report file is written when the run starts, at the start of every play (so a later play can
    read what the plays before it found) and at the end.
"""

import difflib
import json
import os

from ansible.plugins.callback import CallbackBase

# Set in this process when the report starts; task workers are forked from it, so a
# playbook can tell that the callback is on and where the report is (lookup('env')).
ACTIVE_ENV = "LVS_IPVS_DRIFT_ACTIVE"
# Lines of one file's difference kept in the report; the rest is counted.
_DIFF_LINES = 60


def _diff_lines(diff) -> list:
    lines: list = []
    for item in diff if isinstance(diff, list) else [diff]:
        if not isinstance(item, dict):
            continue
        if "prepared" in item:
            lines += str(item["prepared"]).splitlines()
            continue
        before, after = item.get("before"), item.get("after")
        if not isinstance(before, str) or not isinstance(after, str):
            continue
        header = item.get("after_header") or item.get("before_header") or "file"
        lines += difflib.unified_diff(before.splitlines(), after.splitlines(), header + " (on the host)", header + " (from the inventory)", lineterm="")
    if len(lines) > _DIFF_LINES:
        lines = [*lines[:_DIFF_LINES], "... %d more lines" % (len(lines) - _DIFF_LINES)]
    return lines


def details_of(result: dict) -> list:
    """What one changed result would do, as lines a person reads."""
    if result.get("censored"):
        return ["differs (not shown: the task hides its output, as it holds a secret)"]
    if result.get("commands"):
        return ["ipvsadm %s" % command for command in result["commands"]]
    if isinstance(result.get("changes"), dict) and result["changes"]:
        return ["%s: %s -> %s" % (name, change.get("before"), change.get("after")) for name, change in sorted(result["changes"].items())]
    if result.get("diff"):
        lines = _diff_lines(result["diff"])
        if lines:
            return lines
    if result.get("stdout_lines"):
        return list(result["stdout_lines"])
    return [result.get("msg") or "would change"]


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lvs.ipvs.drift"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self):
        super().__init__()
        self.hosts: dict = {}
        self.path = None
        # only check-mode plays marked drift_compare compare hosts with the inventory
        self.comparing = False

    def _write(self) -> None:
        report = {"drift": any(self.hosts.values()), "hosts": self.hosts}
        temporary = self.path + ".tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2, sort_keys=True)
        os.replace(temporary, self.path)

    def v2_playbook_on_start(self, playbook):
        self.path = os.path.abspath(self.get_option("report_file"))
        os.environ[ACTIVE_ENV] = self.path
        self.hosts = {}
        self._write()

    def v2_playbook_on_play_start(self, play):
        # what the plays so far found, for a later play of the playbook to read
        if self.path is not None:
            self._write()
        self.comparing = bool(play.check_mode) and play.get_vars().get("drift_compare") is True

    def v2_runner_on_ok(self, result):
        if not self.comparing:
            return
        found = self.hosts.setdefault(result._host.get_name(), [])
        items = result._result.get("results")
        # a loop reports each item that would change; other results are one entry
        changed = [item for item in items if item.get("changed")] if isinstance(items, list) else [result._result] if result._result.get("changed") else []
        found += [{"task": result._task.get_name(), "would": details_of(entry)} for entry in changed]

    def v2_runner_on_skipped(self, result):
        if self.comparing:
            self.hosts.setdefault(result._host.get_name(), [])

    def _cannot_compare(self, result, what: str) -> None:
        if self.comparing:
            entry = {"task": result._task.get_name(), "would": ["could not compare (%s): %s" % (what, result._result.get("msg") or "no message")]}
            self.hosts.setdefault(result._host.get_name(), []).append(entry)

    def v2_runner_on_failed(self, result, ignore_errors=False):
        if not ignore_errors:
            self._cannot_compare(result, "failed")

    def v2_runner_on_unreachable(self, result):
        self._cannot_compare(result, "unreachable")

    def v2_playbook_on_stats(self, stats):
        if self.path is None:
            return
        self._write()
        self._display.banner("DRIFT FROM THE INVENTORY (%s)" % self.path)
        for host in sorted(self.hosts):
            entries = self.hosts[host]
            if not entries:
                self._display.display("%s: no drift" % host)
                continue
            self._display.display("%s: %d task(s) would change it" % (host, len(entries)))
            for entry in entries:
                self._display.display("  %s" % entry["task"])
                for line in entry["would"]:
                    self._display.display("    %s" % line)
