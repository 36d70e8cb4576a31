# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print where the kernel and topology layers spent their time, from the JSON lines
tests/bin/callback/lvs_timing.py wrote (one per playbook run).

    timing_report.py FOLDER     reads FOLDER/*.jsonl
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(folder: Path) -> list[dict]:
    found = []
    for path in sorted(folder.glob("*.jsonl")):
        found += [dict(json.loads(line), layer=path.stem) for line in path.read_text().splitlines() if line.strip()]
    return found


def main(folder: Path) -> None:
    data = rows(folder)
    if not data:
        print("timing: no playbook timings in %s" % folder)
        return
    print(
        "%-9s %-22s %-16s %-15s %8s %8s %7s %9s %8s %9s"
        % ("layer", "target/scenario", "playbook", "strategy", "start-up", "seconds", "modules", "module s", "ctl tasks", "ctl s")
    )
    for row in data:
        print(
            "%-9s %-22s %-16s %-15s %8.0f %8.0f %7d %9.0f %8d %9.0f"
            % (
                row["layer"],
                row["label"],
                row["playbook"],
                row["strategy"],
                row.get("startup_seconds", 0),
                row["seconds"],
                row["module_runs"],
                row["module_seconds"],
                row["controller_tasks"],
                row["controller_seconds"],
            )
        )
    for layer in sorted({row["layer"] for row in data}):
        mine = [row for row in data if row["layer"] == layer]
        runs = sum(row["module_runs"] for row in mine)
        module = sum(row["module_seconds"] for row in mine)
        print(
            "%s: %d playbooks, %.0f s of start-up, %.0f s in playbooks: %d module runs %.0f s (%.1f s each), controller tasks %.0f s"
            % (
                layer,
                len(mine),
                sum(row.get("startup_seconds", 0) for row in mine),
                sum(row["seconds"] for row in mine),
                runs,
                module,
                module / max(runs, 1),
                sum(row["controller_seconds"] for row in mine),
            )
        )
        actions: dict = {}
        for row in mine:
            for action, (count, seconds) in row.get("by_action", {}).items():
                tally = actions.setdefault(action, [0, 0.0])
                tally[0] += count
                tally[1] += seconds
        heaviest = sorted(actions.items(), key=lambda item: -item[1][1])[:8]
        print("  by action: " + ", ".join("%s %d x %.0f s" % (action.replace("ansible.builtin.", ""), count, seconds) for action, (count, seconds) in heaviest))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
