# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Test-suite callback: where a playbook's time went, written when it ends.

Each task's time is split by what ran it: a module run on a host (an interpreter
start on the target, the module's imports and its work) or the controller alone
(set_fact, assert, includes, lookups, templating). Before the first task, the
start-up: from the ansible-playbook process's start to the playbook's (Python's
imports, configuration, plugins, inventory). The summary goes to stderr as
one line and, when the option ``output`` names a file, appended to it as one JSON
line. It needs no enabling: the suite puts its folder on callback_plugins.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time

from ansible import constants as C
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: lvs_timing
type: aggregate
short_description: time per playbook, split into module runs and controller work
description: Test-suite only; not shipped with the collection.
options:
  output:
    description: File the summary is appended to as one JSON line.
    ini: [{section: callback_lvs_timing, key: output}]
    env: [{name: LVS_IPVS_TIMING}]
  label:
    description: >-
      What the summary calls the run (a scenario step); by default the playbook's name
      without the random suffix ansible-test gives it, which is the target's name.
    ini: [{section: callback_lvs_timing, key: label}]
    env: [{name: LVS_IPVS_TIMING_LABEL}]
"""

# Actions that never start a module on a host.
CONTROLLER_ACTIONS = frozenset(
    "ansible.builtin." + name
    for name in (
        "set_fact",
        "assert",
        "debug",
        "fail",
        "meta",
        "include_tasks",
        "import_tasks",
        "include_role",
        "import_role",
        "include_vars",
        "add_host",
        "group_by",
        "set_stats",
        "pause",
    )
)


# ansible-test runs target T as a playbook named T-XXXXXXXX.yml.
_ANSIBLE_TEST_SUFFIX = re.compile(r"-[a-z0-9_]{8}\.yml$")


def _process_age() -> float:
    """Seconds since this process started, from /proc (Linux, where the suite runs)."""
    with open("/proc/self/stat") as stat:
        # the fields after the command name, which may hold spaces, in parentheses
        started_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as uptime:
        return float(uptime.read().split()[0]) - started_ticks / os.sysconf("SC_CLK_TCK")


def _fqcn(action: str) -> str:
    return action if "." in action else "ansible.builtin." + action


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lvs_timing"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self):
        super().__init__()
        self._started = time.monotonic()
        self._task = None
        self._task_started = 0.0
        self._totals = {"module_runs": 0, "module_seconds": 0.0, "controller_tasks": 0, "controller_seconds": 0.0}
        self._by_action: dict = {}  # action -> [tasks, seconds]
        self._playbook = ""
        self._startup = 0.0

    def v2_playbook_on_start(self, playbook):
        self._playbook = os.path.basename(playbook._file_name)
        self._startup = _process_age()
        self._started = time.monotonic()

    def _close_task(self):
        if self._task is None:
            return
        spent = time.monotonic() - self._task_started
        action = _fqcn(self._task.action)
        tally = self._by_action.setdefault(action, [0, 0.0])
        tally[0] += 1
        tally[1] += spent
        if action in CONTROLLER_ACTIONS:
            self._totals["controller_tasks"] += 1
            self._totals["controller_seconds"] += spent
        else:
            self._totals["module_runs"] += 1
            self._totals["module_seconds"] += spent
        self._task = None

    def v2_playbook_on_task_start(self, task, is_conditional=False):
        self._close_task()
        self._task, self._task_started = task, time.monotonic()

    v2_playbook_on_handler_task_start = v2_playbook_on_task_start

    def v2_playbook_on_stats(self, stats):
        self._close_task()
        summary = dict(
            self._totals,
            playbook=self._playbook,
            label=self.get_option("label") or _ANSIBLE_TEST_SUFFIX.sub("", self._playbook),
            strategy=C.DEFAULT_STRATEGY,
            seconds=round(time.monotonic() - self._started, 1),
            startup_seconds=round(self._startup, 1),
        )
        summary["by_action"] = {action: [count, round(seconds, 1)] for action, (count, seconds) in sorted(self._by_action.items())}
        summary["module_seconds"] = round(summary["module_seconds"], 1)
        summary["controller_seconds"] = round(summary["controller_seconds"], 1)
        sys.stderr.write(
            "timing %(label)s: %(seconds).0f s (%(strategy)s) after %(startup_seconds).0f s of start-up, "
            "%(module_runs)d module runs %(module_seconds).0f s, %(controller_tasks)d controller tasks %(controller_seconds).0f s\n" % summary
        )
        target = self.get_option("output")
        if target:
            with open(target, "a") as out:
                out.write(json.dumps(summary) + "\n")
