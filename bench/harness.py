# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the test suite's time goes on the machine that runs the kernel layer.

Times the pieces every test step is made of, each as the median of a few runs:
the interpreter's start, the imports of a module run, ansible-playbook's start, a
task that stays on the controller (set_fact), and module tasks (command, the
collection's ipvs_info) run the plain AnsiballZ way and through Mitogen's
persistent interpreters (in process, and forked per task). A task's own cost is
(time of N tasks - time of no task) / N.

    harness.py run OUT.json      measure here (inside the VM, or a host with IPVS)
    harness.py render RESULTS_DIR OUT.json
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TASKS = 10
REPEATS = 3

PLAY = """\
- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
{tasks}
"""

TASK_BODIES = {
    "set_fact": "    - ansible.builtin.set_fact:\n        x{i}: {i}\n",
    "command": "    - ansible.builtin.command: 'true'\n      changed_when: false\n",
    "ipvs_info": "    - lvs.ipvs.ipvs_info:\n        gather: [info]\n",
    "pipe_lookup": "    - ansible.builtin.set_fact:\n        x{i}: \"{{{{ lookup('ansible.builtin.pipe', 'ipvsadm -Sn') }}}}\"\n",
}


def _median_seconds(argv: list[str], env: dict[str, str], repeats: int = REPEATS) -> float:
    times = []
    for _repeat in range(repeats):
        started = time.monotonic()
        done = subprocess.run(argv, env=env, check=False, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if done.returncode:
            sys.exit("%s failed (exit %d):\n%s" % (" ".join(argv), done.returncode, done.stdout[-3000:]))
        times.append(time.monotonic() - started)
    return round(statistics.median(times), 3)


def _playbook(folder: Path, kind: str, count: int) -> Path:
    tasks = "".join(TASK_BODIES[kind].format(i=i) for i in range(count)) or "    - ansible.builtin.meta: noop\n"
    path = folder / ("%s-%d.yml" % (kind, count))
    path.write_text(PLAY.format(tasks=tasks))
    return path


def _mitogen_strategy_dir() -> str | None:
    try:
        import ansible_mitogen  # noqa: F401  (only its location is needed)
    except ImportError:
        return None
    return str(Path(sys.modules["ansible_mitogen"].__file__).parent / "plugins" / "strategy")


def measure(out: Path) -> None:
    python = sys.executable
    bindir = Path(python).parent
    env = dict(os.environ)
    env.setdefault("PYTHONPATH", env.get("ANSIBLE_COLLECTIONS_PATH", ""))
    records = []

    def record(case: str, seconds: float, **extra) -> None:
        records.append({"case": case, "seconds": seconds, **extra})
        print("%-40s %7.3f s" % (case, seconds), flush=True)

    record("python -c pass", _median_seconds([python, "-c", "pass"], env, 5))
    record(
        "import ansible.module_utils.basic",
        _median_seconds([python, "-c", "import ansible.module_utils.basic"], env),
    )
    record(
        "import the collection's kernel client",
        _median_seconds([python, "-c", "from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel"], env),
    )

    strategies = {"linear": {}}
    mitogen = _mitogen_strategy_dir()
    if mitogen:
        strategies["mitogen"] = {"ANSIBLE_STRATEGY_PLUGINS": mitogen, "ANSIBLE_STRATEGY": "mitogen_linear"}
        strategies["mitogen_fork"] = dict(strategies["mitogen"], LVS_BENCH_FORK="1")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name, extra in strategies.items():
            run_env = dict(env, ANSIBLE_HOST_KEY_CHECKING="false", ANSIBLE_REMOTE_TMP="/tmp/.ansible/tmp", **extra)
            extra_args = ["-e", "mitogen_task_isolation=fork"] if extra.get("LVS_BENCH_FORK") else []
            ansible_playbook = [str(bindir / "ansible-playbook"), "-i", "localhost,", *extra_args]
            empty = _median_seconds([*ansible_playbook, str(_playbook(folder, "set_fact", 0))], run_env)
            record("%s: ansible-playbook, no task" % name, empty, strategy=name)
            kinds = ["set_fact", "pipe_lookup", "command", "ipvs_info"] if name == "linear" else ["command", "ipvs_info"]
            for kind in kinds:
                total = _median_seconds([*ansible_playbook, str(_playbook(folder, kind, TASKS))], run_env)
                record(
                    "%s: one %s task" % (name, kind),
                    round((total - empty) / TASKS, 3),
                    strategy=name,
                    total=total,
                    tasks=TASKS,
                )
    meta = {
        "kernel": platform.release(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "in_vm": os.environ.get("LVS_IPVS_IN_VM") == "1",
        "mitogen": bool(mitogen),
    }
    out.write_text(json.dumps({"meta": meta, "records": records}, indent=1) + "\n")


def render(results: Path, data_file: Path) -> None:
    data = json.loads(data_file.read_text())
    (results / "harness.json").write_text(json.dumps(data, indent=1) + "\n")
    meta = data["meta"]
    lines = [
        "# Where the suite's time goes (bench/harness.sh)",
        "",
        "Kernel %s, Python %s, %s CPUs, %s. Median of %d runs; a task's cost is "
        "(N tasks - no task) / N with N = %d."
        % (
            meta["kernel"],
            meta["python"],
            meta["cpus"],
            "QEMU TCG guest" if meta["in_vm"] else "native",
            REPEATS,
            TASKS,
        ),
        "",
        "| what | seconds |",
        "| --- | ---: |",
    ]
    lines += ["| %s | %.3f |" % (r["case"], r["seconds"]) for r in data["records"]]
    (results / "harness.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "run":
        measure(Path(sys.argv[2]))
    else:
        render(Path(sys.argv[2]), Path(sys.argv[3]))
