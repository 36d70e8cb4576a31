# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What site.yml's checks cost the controller over large fleets (run it through bench/fleet.sh).

  fleet.py run OUT.json [COLLECTIONS_PATH PLAYBOOK LABEL]
        every size in $BENCH_FLEETS: the checks (playbooks/check.yml, the plays site.yml
        runs before any change) with lvs.ipvs.preload enabled, as they are (without it) on
        the sizes in $BENCH_PLAIN_FLEETS (all of them with BENCH_PRELOAD=off, then without
        the preload runs), with preload and each of Ansible's knobs in KNOBS on the sizes in
        $BENCH_KNOB_FLEETS, and a floor playbook of the same shape whose tasks do nothing,
        each through ansible-playbook in a fresh process
  fleet.py measure LOG -- COMMAND...
        one command: its wall time, CPU time and peak RSS as one JSON line on stdout
  fleet.py render OUT_DIR IN.json...
        merge runs into fleet.json and fleet.md; an IN.json may also hold earlier runs
        ({"runs": [...]}: fleet-history.json)

Fleet shape: 2 directors and R real servers; S services of 10 servers each (direct
routing, wrr), server k of service s on real server (10 s + k) mod R. No host exists:
the inventory's connection is bench/plugins/connection/lvs_refuse, which fails any task
that would reach a host. The real servers' play must pass: it did all its work on the
controller. The directors' play runs until its first task that reads the host (the hold
file playbooks/maintenance.yml writes), where each director is refused: what comes
before is the directors' controller-side checks. The directors skip fact gathering
(director_python_deps: package; no service masquerades).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERVERS_PER_SERVICE = 10


def _fleets(variable: str, default: str) -> list:
    return [tuple(int(number) for number in pair.split("x")) for pair in os.environ.get(variable, default).split(",")]


SIZES = _fleets("BENCH_FLEETS", "10x100,100x100,1000x100,5000x100,10x1000,100x1000,1000x1000,5000x1000")
# The checks as they are, without lvs.ipvs.preload, cost most at 5,000 real servers:
# measured there on the largest table only.
PLAIN = _fleets("BENCH_PLAIN_FLEETS", "10x100,100x100,1000x100,10x1000,100x1000,1000x1000,5000x1000")
# Ansible's own knobs, tried on the checks with lvs.ipvs.preload at these sizes: the
# default is forks 5 and the linear strategy.
KNOBS = {"forks 1": {"ANSIBLE_FORKS": "1"}, "forks 20": {"ANSIBLE_FORKS": "20"}, "strategy free": {"ANSIBLE_STRATEGY": "free"}}
KNOB_FLEETS = _fleets("BENCH_KNOB_FLEETS", "1000x100")
# The real servers' check play's shape (one run_once task) with a task that does
# nothing: what Ansible itself costs for the play over that many hosts, templating
# nothing of lvs_services.
FLOOR = """
- name: Floor of the real servers' check
  hosts: lvs_realservers
  gather_facts: false
  tasks:
    - {name: Once for the play, ansible.builtin.set_fact: {_floor_fleet: 1}, run_once: true}
"""
# How the directors' play of a passing run ends: refused where it first reads the host.
DIRECTOR_REFUSED = re.compile(r"fatal: \[(lb\d+)\]: UNREACHABLE! => .*lvs_refuse: \1 would have been contacted")


# --------------------------------------------------------------------------- the fleet


def _address(network: int, index: int) -> str:
    return "10.%d.%d.%d" % (network, index // 250 % 250, 1 + index % 250)


def inventory(real_servers: int, services: int) -> dict:
    lvs_services = [
        {
            "address": "198.18.%d.%d" % (index // 250, 1 + index % 250),
            "port": 80,
            "scheduler": "wrr",
            "forwarding_method": "route",
            **({"persistence_timeout": 300} if index % 4 == 0 else {}),
            "servers": [
                {"host": "rs%05d" % ((index * SERVERS_PER_SERVICE + number) % real_servers), "weight": 1 + number} for number in range(SERVERS_PER_SERVICE)
            ],
        }
        for index in range(services)
    ]
    return {
        "all": {
            "vars": {"ansible_connection": "lvs_refuse", "lvs_services": lvs_services},
            "children": {
                "lvs_directors": {
                    "vars": {"director_vip_interface": "eth1", "director_python_deps": "package"},
                    "hosts": {"lb%d" % number: {"lvs_address": _address(1, number)} for number in (1, 2)},
                },
                "lvs_realservers": {
                    "vars": {"realserver_method": "route"},
                    "hosts": {"rs%05d" % index: {"lvs_address": _address(2 + index // 62500, index % 62500)} for index in range(real_servers)},
                },
            },
        }
    }


# --------------------------------------------------------------------------- measuring


def measure(log: str, command: list) -> None:
    """Run one command; print its wall and CPU seconds and the peak RSS of its largest process."""
    started = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime
    print(json.dumps({"rc": code, "wall_s": round(wall, 2), "cpu_s": round(cpu, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}))


def playbook_run(work: str, collections: str, playbook: str, inventory_file: str, name: str, extra_env: dict) -> dict:
    """ansible-playbook in a fresh measuring process (so the peak RSS is this run's), with each task's time."""
    tasks = os.path.join(work, name + ".tasks.jsonl")
    env = dict(
        os.environ,
        ANSIBLE_COLLECTIONS_PATH=collections,
        ANSIBLE_CONNECTION_PLUGINS=os.path.join(ROOT, "bench", "plugins", "connection"),
        ANSIBLE_CALLBACK_PLUGINS=os.path.join(ROOT, "bench", "plugins", "callback"),
        ANSIBLE_RETRY_FILES_ENABLED="0",
        LVS_IPVS_TASKS=tasks,
        **extra_env,
    )
    playbook_command = [os.path.join(os.path.dirname(sys.executable), "ansible-playbook"), "-i", inventory_file, playbook]
    output = subprocess.check_output(
        [sys.executable, os.path.abspath(__file__), "measure", os.path.join(work, name + ".log"), "--", *playbook_command], env=env
    )
    result = json.loads(output)
    with open(os.path.join(work, name + ".log"), encoding="utf-8") as log:
        text = log.read()
    if not _passed(result["rc"], text):
        sys.exit("%s failed (rc %d); its output ends:\n%s" % (name, result["rc"], text[-3000:]))
    with open(tasks, encoding="utf-8") as lines:
        result["tasks"] = [json.loads(line) for line in lines]
    return result


def _passed(code: int, log: str) -> bool:
    """Every real server passed; a director failed only where it would first have been contacted."""
    if code == 0:
        return True
    failures = [line for line in log.splitlines() if line.startswith("fatal: ")]
    return code == 4 and len(failures) == 2 and all(DIRECTOR_REFUSED.match(line) for line in failures)


def machine(collections: str) -> dict:
    """The machine, the versions, and the revision of the collection measured."""
    import ansible

    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), platform.machine())
    tree = os.path.join(collections, "ansible_collections", "lvs", "ipvs")
    commit = subprocess.run(["git", "-C", tree, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", tree, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True, check=True).stdout.strip()
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "ansible-core": ansible.__version__,
        "forks": int(os.environ.get("ANSIBLE_FORKS", "5")),
        "commit": commit + ("+changes" if dirty else ""),
    }


def run(out: str, collections: str, playbook: str, label: str) -> None:
    preload = os.environ.get("BENCH_PRELOAD", "on") != "off"
    records = []
    with tempfile.TemporaryDirectory() as work:
        floor = os.path.join(work, "floor.yml")
        with open(floor, "w", encoding="utf-8") as handle:
            handle.write(FLOOR)
        for real_servers, services in SIZES:
            inventory_file = os.path.join(work, "fleet-%d-%d.json" % (real_servers, services))
            with open(inventory_file, "w", encoding="utf-8") as handle:
                json.dump(inventory(real_servers, services), handle)
            kinds = [(label, playbook, {})] if (real_servers, services) in PLAIN or not preload else []
            if preload:
                with_preload = {"ANSIBLE_CALLBACKS_ENABLED": "lvs.ipvs.preload"}
                kinds.append((label + " + preload", playbook, with_preload))
                if (real_servers, services) in KNOB_FLEETS:
                    kinds += [("%s + preload, %s" % (label, knob), playbook, {**with_preload, **env}) for knob, env in KNOBS.items()]
            for kind, book, extra_env in [*kinds, ("floor", floor, {})]:
                name = "%s-%d-%d" % ("".join(letter if letter.isalnum() else "_" for letter in kind), real_servers, services)
                result = playbook_run(work, collections, book, inventory_file, name, extra_env)
                result.update(kind=kind, real_servers=real_servers, services=services, servers=services * SERVERS_PER_SERVICE)
                records.append(result)
                print(
                    "%-20s %5d real servers, %4d services x %d: %7.1f s wall, %7.1f s CPU, %6.1f MB peak"
                    % (kind, real_servers, services, SERVERS_PER_SERVICE, result["wall_s"], result["cpu_s"], result["peak_rss_mb"]),
                    file=sys.stderr,
                    flush=True,
                )
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"machine": machine(collections), "records": records}, handle, indent=1)


# --------------------------------------------------------------------------- the report


def _task_seconds(record: dict, run_once: bool) -> float:
    return sum(task["seconds"] for task in record["tasks"] if task["run_once"] == run_once and task["play"].startswith(("Check the real", "Floor")))


def _director_seconds(record: dict) -> float:
    return sum(task["seconds"] for task in record["tasks"] if task["play"].startswith("Check the directors"))


def _split(record: dict, floor: dict) -> dict:
    """Where the checks' time went, above what the floor's tasks cost Ansible."""
    fleet_task = _task_seconds(record, True) - _task_seconds(floor, True)
    per_host = _task_seconds(record, False) - _task_seconds(floor, False)
    directors = _director_seconds(record)
    return {
        "fleet_derivation_s": round(fleet_task, 2),
        "per_host_above_floor_s": round(per_host, 2),
        "directors_s": round(directors, 2),
        "derived_and_validated_s": round(fleet_task + max(per_host, 0.0) + directors, 2),
    }


def summarize(records: list) -> list:
    """One row per fleet and kind of one run: the checks against that run's floor."""
    floors = {(r["real_servers"], r["services"]): r for r in records if r["kind"] == "floor"}
    rows = []
    for record in records:
        if record["kind"] == "floor":
            continue
        floor = floors[(record["real_servers"], record["services"])]
        row = {key: record[key] for key in ("kind", "real_servers", "services", "servers", "wall_s", "cpu_s", "peak_rss_mb")}
        row.update(floor_wall_s=floor["wall_s"], floor_cpu_s=floor["cpu_s"])
        # an older revision's checks had another shape; with a knob, tasks overlap (free)
        # or queue differently (forks): their totals only
        if "," not in record["kind"] and any(task["play"].startswith("Check the real") for task in record["tasks"]):
            row.update(_split(record, floor))
        rows.append(row)
    return rows


def growth(rows: list, kind: str, services: int, key: str) -> list:
    """(fleet tenfold step, cost ratio) along the real servers for one table size."""
    line = sorted((row["real_servers"], row[key]) for row in rows if row["kind"] == kind and row["services"] == services)
    return [(small, large, (cost_large / cost_small) if cost_small else None) for (small, cost_small), (large, cost_large) in zip(line, line[1:])]


def render(out_dir: str, inputs: list) -> None:
    runs = []
    for path in inputs:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        runs.extend(data.get("runs", [data]))
    records = [record for data in runs for record in data["records"]]
    rows = [row for data in runs for row in summarize(data["records"])]
    with open(os.path.join(out_dir, "fleet.json"), "w", encoding="utf-8") as handle:
        json.dump({"machines": [data["machine"] for data in runs], "rows": rows, "records": records}, handle, indent=1)
    with open(os.path.join(out_dir, "fleet.md"), "w", encoding="utf-8") as handle:
        handle.write(markdown(rows, [data["machine"] for data in runs]))


def markdown(rows: list, machines: list) -> str:
    lines = [
        "# Fleet benchmark: site.yml's checks on the controller",
        "",
        "Produced by `bash bench/fleet.sh`; every row, with each task's time, in `fleet.json`.",
        "",
    ]
    for machine_ in machines:
        lines.append(
            "- Run of %s: CPU %s, %s cores, kernel %s, Python %s, ansible-core %s, forks %s."
            % (machine_["commit"], machine_["cpu"], machine_["cpus"], machine_["kernel"], machine_["python"], machine_["ansible-core"], machine_["forks"])
        )
    lines += [
        "- Each row is one `ansible-playbook playbooks/check.yml` (the plays `site.yml` runs before",
        "  any change) over 2 directors and R real servers, S services x 10 servers (direct routing).",
        "  No host exists: the connection plugin refuses every connection. The real servers' play",
        "  passed, all its work on the controller; the directors' play ran until its first read of the",
        "  host (the hold file), where it was refused. Wall and CPU time are the whole `ansible-playbook`",
        "  (all its processes); peak RSS is its largest process.",
        "- The checks of ad88c12 and e28798c ran a task per real server: a `run_once` task and two",
        "  tasks per host (ad88c12: per-host tasks only). The checks now run one task for the real",
        "  servers' play (`lvs.ipvs.realserver_networks`, `run_once`), which derives and checks every",
        "  real server's network.",
        "- The floor is a playbook of the same shape as the run's checks whose tasks do nothing: what",
        "  Ansible itself costs for that many hosts and tasks.",
        "- Derived and validated = the real servers' `run_once` task (above the floor's) + the real",
        "  servers' own tasks above the floor's (none now) + the directors' play (2 hosts, each",
        "  deriving and checking its whole table and keepalived.conf).",
        "",
        "| check | real servers | services x 10 | wall s | CPU s | peak RSS MB | floor wall s"
        " | fleet derivation s | per-host above floor s | directors s | derived and validated s |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in sorted(rows, key=lambda r: (r["kind"], r["services"], r["real_servers"])):
        split = [row.get(key) for key in ("fleet_derivation_s", "per_host_above_floor_s", "directors_s", "derived_and_validated_s")]
        lines.append(
            "| %s | %d | %d | %.1f | %.1f | %.1f | %.1f | %s |"
            % (
                row["kind"],
                row["real_servers"],
                row["services"],
                row["wall_s"],
                row["cpu_s"],
                row["peak_rss_mb"],
                row["floor_wall_s"],
                " | ".join("-" if value is None else "%.2f" % value for value in split),
            )
        )
    target = [row for row in rows if (row["real_servers"], row["services"]) == (5000, 1000) and "derived_and_validated_s" in row]
    if target:
        lines += ["", "## Target: 1,000 services x 10 over 5,000 real servers derived and validated in under 30 s", ""]
        for row in target:
            verdict = "met" if row["derived_and_validated_s"] < 30 else "not met"
            figures = (row["kind"], row["derived_and_validated_s"], verdict, row["wall_s"], row["floor_wall_s"])
            lines.append("- %s: %.1f s, %s (whole check %.1f s wall, its floor %.1f s)" % figures)
    lines += ["", "## Growth with the fleet", ""]
    for kind in sorted({row["kind"] for row in rows}):
        for services in sorted({row["services"] for row in rows if row["kind"] == kind}):
            for key, what in (("derived_and_validated_s", "derived and validated"), ("wall_s", "whole check, wall")):
                steps = growth([row for row in rows if key in row], kind, services, key)
                if steps:
                    text = ", ".join("%d -> %d: x%s" % (small, large, "-" if ratio is None else "%.1f" % ratio) for small, large, ratio in steps)
                    lines.append("- %s, %d services x 10, %s: %s" % (kind, services, what, text))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    if sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[4:])
    elif sys.argv[1] == "run":
        defaults = [os.path.join(ROOT, ".cache", "collections"), os.path.join(ROOT, "playbooks", "check.yml"), "check"]
        given = sys.argv[3:]
        run(sys.argv[2], *(given + defaults[len(given) :]))
    elif sys.argv[1] == "render":
        render(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
