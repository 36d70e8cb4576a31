# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark-only callback: each task's wall time over all its hosts, as JSON lines.

A task's time runs from its start to the next task's start (or the playbook's end):
with the linear strategy that is the time every host of the play spent on it.
"""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = """
name: lvs_tasks
type: aggregate
short_description: each task's wall time (benchmark only)
description: Not shipped with the collection; bench/fleet.py reads what it writes to $LVS_IPVS_TASKS.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "lvs_tasks"
    CALLBACK_NEEDS_ENABLED = False

    def __init__(self):
        super().__init__()
        self._tasks = []
        self._play = ""

    def v2_playbook_on_play_start(self, play):
        self._close()
        self._play = play.get_name()

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._close()
        self._tasks.append({"play": self._play, "task": task.get_name(), "run_once": bool(task.run_once), "started": time.monotonic()})

    def v2_playbook_on_stats(self, stats):
        self._close()
        path = os.environ.get("LVS_IPVS_TASKS")
        if path:
            with open(path, "a") as out:
                for task in self._tasks:
                    out.write(json.dumps({key: value for key, value in task.items() if key != "started"}) + "\n")

    def _close(self):
        if self._tasks and "seconds" not in self._tasks[-1]:
            self._tasks[-1]["seconds"] = round(time.monotonic() - self._tasks[-1]["started"], 3)
