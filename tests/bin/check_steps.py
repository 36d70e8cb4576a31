"""Every step of a molecule scenario's test sequence ran its playbook.

Molecule skips a step whose playbook the scenario does not map, and says so only in its
log; a skipped step is not a pass. tests/bin/molecule-path/ansible-playbook records each
playbook it runs (LVS_LAB_STEPS); this compares that record with the scenario's
test_sequence: each step's playbook must be mapped, exist, and have run at least as
often as the sequence asks (idempotence is a second converge).

    python check_steps.py SCENARIO_DIR STEPS_LOG
"""

from __future__ import annotations

import collections
import sys
from pathlib import Path

import yaml

# steps that run a playbook, and the playbook each one runs
PLAYBOOK_OF_STEP = {
    "create": "create",
    "prepare": "prepare",
    "converge": "converge",
    "idempotence": "converge",
    "side_effect": "side_effect",
    "verify": "verify",
    "cleanup": "cleanup",
    "destroy": "destroy",
}


def merged(base: dict, over: dict) -> dict:
    """molecule's merge of a scenario's molecule.yml over the shared config: mappings
    merge key by key, anything else is replaced."""
    result = dict(base)
    for key, value in over.items():
        result[key] = merged(result[key], value) if isinstance(value, dict) and isinstance(result.get(key), dict) else value
    return result


def scenario_config(scenario: Path) -> dict:
    """The scenario's configuration as molecule sees it from the collection root: the
    shared .config/molecule/config.yml, then the scenario's molecule.yml."""
    shared = scenario.resolve().parents[2] / ".config" / "molecule" / "config.yml"
    base = yaml.safe_load(shared.read_text(encoding="utf-8")) if shared.is_file() else {}
    return merged(base or {}, yaml.safe_load((scenario / "molecule.yml").read_text(encoding="utf-8")) or {})


def problems_of(scenario: Path, ran: list) -> list:
    config = scenario_config(scenario)
    mapped = config["ansible"]["playbooks"]
    runs = collections.Counter(str(Path(path).resolve()) for path in ran)
    wanted = collections.Counter(PLAYBOOK_OF_STEP[step] for step in config["scenario"]["test_sequence"] if step in PLAYBOOK_OF_STEP)
    problems = []
    for name, times in sorted(wanted.items()):
        if name not in mapped:
            problems.append("step %s: no playbook mapped, so molecule skipped it" % name)
            continue
        playbook = (scenario / mapped[name]).resolve()
        if not playbook.is_file():
            problems.append("step %s: %s does not exist" % (name, playbook))
        elif runs[str(playbook)] < times:
            problems.append("step %s: %s ran %d time(s), the sequence asks for %d" % (name, mapped[name], runs[str(playbook)], times))
    return problems


def main(scenario: str, steps_log: str) -> int:
    ran = Path(steps_log).read_text(encoding="utf-8").split("\n") if Path(steps_log).exists() else []
    problems = problems_of(Path(scenario), [line for line in ran if line])
    for problem in problems:
        print("  %s: %s" % (Path(scenario).name, problem), file=sys.stderr)
    if not problems:
        print("%s: every step of the test sequence ran its playbook" % Path(scenario).name)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
