# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Benchmark of lvs.ipvs.ipvs_table against ipvsadm (run it through bench/table.sh).

  table.py kernel OUT.json     as root on a kernel with IPVS (the test VM): every size
                               in a fresh process, then the ansible-playbook cases
  table.py size N OUT.json     one size, in process (what `kernel` runs per size)
  table.py host OUT.json       no kernel needed: cold start and module RSS on this host
  table.py render OUT_DIR IN.json...   merge records into table.json and table.md

Table shape: N real servers as N/10 services of 10 servers each (wrr, direct routing).
"""

from __future__ import annotations

import json
import math
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COLLECTIONS = os.path.join(ROOT, ".cache", "collections")
SIZES = tuple(int(size) for size in (os.environ.get("BENCH_SIZES") or "10,100,1000,10000,100000").split(","))
# ansible-playbook runs up to this size: a task at 100,000 servers takes many minutes in the guest
PLAYBOOK_LIMIT = int(os.environ.get("BENCH_PLAYBOOK_LIMIT") or "10000")
PER_RULE_LIMIT = 1000  # one ipvsadm process per rule beyond this is extrapolated
# the no-op and ipvsadm -Sn, each the median of this many runs: in the guest either varies
# by about a tenth from one run to the next, and their ratio is a target
NOOP_RUNS = 3
MODULE = "ansible_collections.lvs.ipvs.plugins.modules.ipvs_table"


# --------------------------------------------------------------------------- the tables


def service_entry(index: int, servers: list) -> dict:
    return {
        "protocol": "tcp",
        "address": "198.18.%d.%d" % (index // 250, 1 + index % 250),
        "port": 80,
        "scheduler": "wrr",
        "servers": servers,
    }


def server_entry(index: int, number: int, weight: int) -> dict:
    return {"address": "10.%d.%d.%d" % (index // 250, index % 250, 1 + number), "weight": weight}


def desired_services(servers: int) -> list:
    """N real servers as N/10 services of 10 each."""
    return [service_entry(index, [server_entry(index, number, 1 + number) for number in range(10)]) for index in range(max(1, servers // 10))]


def changed_services(servers: int) -> tuple:
    """1% of the servers changed: half weight edits, a quarter added, a quarter removed."""
    services = desired_services(servers)
    count = max(1, servers // 100)
    removes = adds = count // 4
    edits = count - removes - adds
    stride = max(1, len(services) // max(1, count))
    picks = [services[(position * stride) % len(services)] for position in range(count)]
    for service in picks[:edits]:
        service["servers"][0]["weight"] += 100
    for service in picks[edits : edits + removes]:
        service["servers"].pop()
    for position, service in enumerate(picks[edits + removes :]):
        service["servers"].append({"address": "10.255.%d.%d" % (position // 250, 1 + position % 250), "weight": 1})
    return services, count


def module_params(services: list) -> dict:
    """The parameters as AnsibleModule hands them to the runner: checked, with the
    defaults of ipvs_table's own argument spec."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    from ansible_collections.lvs.ipvs.plugins.modules import ipvs_table

    checked = ArgumentSpecValidator(ipvs_table.argument_spec()).validate({"services": services, "purge": True})
    assert not checked.error_messages, checked.error_messages
    return checked.validated_parameters


def rules(services: list) -> list:
    lines = []
    for service in services:
        vip = "%s:%d" % (service["address"], service["port"])
        lines.append("-A -t %s -s %s" % (vip, service["scheduler"]))
        lines += ["-a -t %s -r %s:%d -g -w %d" % (vip, server["address"], service["port"], server["weight"]) for server in service["servers"]]
    return lines


# --------------------------------------------------------------------------- in the VM


def ipvsadm(*args: str, stdin: str | None = None) -> str:
    return subprocess.run(["ipvsadm", *args], input=stdin, check=True, capture_output=True, text=True).stdout


def timed(function) -> tuple:
    started = time.perf_counter()
    value = function()
    return time.perf_counter() - started, value


def record(case: str, servers: int, tool: str, seconds: float, rss: float | None = None) -> dict:
    return {"case": case, "servers": servers, "tool": tool, "seconds": round(seconds, 4), "peak_rss_mib": None if rss is None else round(rss, 1)}


def ipvs_table_pass(params: dict) -> dict:
    """What the module's runner (``_table.run``) does for one run, each phase timed."""
    from ansible_collections.lvs.ipvs.plugins.module_utils import _common as common
    from ansible_collections.lvs.ipvs.plugins.module_utils import _kernel as kernel
    from ansible_collections.lvs.ipvs.plugins.module_utils import _plan as plan
    from ansible_collections.lvs.ipvs.plugins.module_utils import _table as table
    from ansible_collections.lvs.ipvs.plugins.module_utils._rules import command

    phases = {}
    with common.without_cycle_collection():
        phases["validate"], desired = timed(lambda: table.desired_of(params))
        with kernel.IpvsClient() as client:
            phases["read"], current = timed(lambda: common.read_table(client, table.expected_servers(desired)))
            phases["plan"], ops = timed(lambda: table.operations(current, desired))
            phases["apply"], _applied = timed(lambda: client.apply(ops))
            phases["report"], _commands = timed(lambda: [command(op) for op in ops])
            phases["seconds"] = sum(phases.values())
            # not part of the run: the dumps of the table as it is now, undecoded - what the
            # kernel and the socket take of a read
            selectors = [kernel._service_selector(key) for key in plan.simulate(current, ops).services]
            phases["dumps"], _replies = timed(lambda: undecoded_dumps(client, selectors))
    phases["writes"] = len(ops)
    return phases


def undecoded_dumps(client, selectors: list) -> int:
    """The dumps a read sends (the services, then each service's servers), every reply
    received and split into messages, nothing decoded; the number of replies."""
    from ansible_collections.lvs.ipvs.plugins.module_utils import _netlink as nl

    replies = sum(1 for _reply in client._dump(nl.CMD_GET_SERVICE))
    for selector in selectors:
        replies += sum(1 for _reply in client._dump(nl.CMD_GET_DEST, selector))
    return replies


def kernel_slab_kib() -> int:
    """The kernel's unreclaimable slab memory, where IPVS keeps services and real servers."""
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("SUnreclaim:"):
                return int(line.split()[1])
    raise SystemExit("no SUnreclaim in /proc/meminfo")


def measure_size(servers: int, out: str) -> None:
    sys.path.insert(0, COLLECTIONS)
    import ansible_collections.lvs.ipvs.plugins.module_utils._table  # noqa: F401 - imports are not timed

    full = desired_services(servers)
    changed, count = changed_services(servers)
    records, phases = [], {}
    ipvsadm("-C")
    empty_slab = kernel_slab_kib()
    for case, services in (("full_apply", full), ("noop", full), ("change_1pct", changed)):
        # not part of the run's seconds: ansible-core's checks of the arguments against the
        # module's argument spec, which AnsibleModule makes before the run starts
        arguments, params = timed(lambda services=services: module_params(services))
        runs = [ipvs_table_pass(params) for _run in range(NOOP_RUNS if case == "noop" else 1)]
        phases[case] = dict(median_run(runs), arguments=arguments, runs=[run["seconds"] for run in runs])
    expected_writes = {"full_apply": len(rules(full)), "noop": 0, "change_1pct": count}
    assert {case: value["writes"] for case, value in phases.items()} == expected_writes, phases
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    records += [dict(record(case, servers, "ipvs_table", value["seconds"], rss), runs=rounded(value["runs"])) for case, value in phases.items()]
    records.append(module_process_noop(servers, changed))
    records += ipvsadm_figures(servers, full, empty_slab)
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"records": records, "phases": {"%s/%d" % (case, servers): value for case, value in phases.items()}}, handle)


def rounded(seconds) -> list:
    return [round(value, 4) for value in seconds]


def median_run(runs: list) -> dict:
    """The run of median seconds (of an odd number), with its own phases."""
    return sorted(runs, key=lambda run: run["seconds"])[len(runs) // 2]


def module_process_noop(servers: int, services: list) -> dict:
    """The module as its own process (start-up, imports, argument checks, the run, the JSON
    result), given the table the kernel holds: its wall time and peak RSS."""
    with tempfile.TemporaryDirectory() as local:
        # the collection's plugins on the guest's own file system, as AnsiballZ unpacks them,
        # rather than imported over the 9p share
        plugins = os.path.join("ansible_collections", "lvs", "ipvs", "plugins")
        shutil.copytree(os.path.join(COLLECTIONS, plugins), os.path.join(local, plugins))
        args = os.path.join(local, "args.json")
        with open(args, "w", encoding="utf-8") as handle:
            json.dump({"ANSIBLE_MODULE_ARGS": {"services": services, "purge": True}}, handle)
        seconds, rss, output = child_rss([sys.executable, "-m", MODULE, args], dict(os.environ, PYTHONPATH=local))
    result = json.loads(output)
    assert result["changed"] is False and result["servers"] == sum(len(service["servers"]) for service in services), result
    return record("noop", servers, "module_process", seconds, rss)


def ipvsadm_figures(servers: int, services: list, empty_slab: int) -> list:
    lines = rules(services)
    ipvsadm("-C")
    restore, _output = timed(lambda: ipvsadm("-R", stdin="\n".join(lines) + "\n"))
    table_slab = kernel_slab_kib() - empty_slab
    saves = [timed(lambda: ipvsadm("-Sn")) for _run in range(NOOP_RUNS)]
    assert all(len(saved.splitlines()) == len(lines) for _seconds, saved in saves)
    save_seconds = [seconds for seconds, _saved in saves]
    ipvsadm("-C")
    sample = lines[:PER_RULE_LIMIT]
    per_rule, _outputs = timed(lambda: [ipvsadm(*line.split()) for line in sample])
    per_rule *= len(lines) / len(sample)
    ipvsadm("-C")
    return [
        record("full_apply", servers, "ipvsadm_restore", restore),
        dict(record("noop", servers, "ipvsadm_save", statistics.median(save_seconds)), runs=rounded(save_seconds)),
        record("full_apply", servers, "ipvsadm_per_rule", per_rule),
        dict(record("table_memory", servers, "kernel_slab", 0), kernel_kib=table_slab),
    ]


def measure_kernel(out: str) -> None:
    records, phases = [], {}
    for servers in SIZES:
        with tempfile.NamedTemporaryFile(suffix=".json") as part:
            subprocess.run([sys.executable, os.path.abspath(__file__), "size", str(servers), part.name], check=True)
            with open(part.name, encoding="utf-8") as handle:
                result = json.load(handle)
        records += result["records"]
        phases.update(result["phases"])
        print("measured %d servers" % servers, flush=True)
    records += playbook_figures()
    meta = {"machine": machine(), "phases": phases, "per_rule_extrapolated_above_rules": PER_RULE_LIMIT}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"records": records, "kernel_run": meta}, handle, indent=1)


PLAYBOOK = """\
- hosts: localhost
  connection: local
  gather_facts: false
  vars_files: {vars_files}
  tasks:
    - ansible.builtin.set_fact:
        bench_started: "{{{{ now().timestamp() }}}}"
    - lvs.ipvs.ipvs_table:
        {table}
        purge: true
      register: bench_result
    - ansible.builtin.debug:
        msg: "BENCH {{{{ now().timestamp() - (bench_started | float) }}}} {{{{ bench_result.commands | length }}}}"
"""


def playbook_figures() -> list:
    """The whole ansible-playbook task (module transfer, argument checks, the run, the result),
    with the table as ``services`` and, for the same table, as a save file in ``src``.

    ``services`` comes from the inventory, as the roles take ``lvs_services``, and for the
    no-op and the full apply also from a play's ``vars_files``: ansible-core reads a vars
    file again for every task (it keeps only encrypted ones), so there the task pays for
    parsing and tagging the whole table once more."""
    records = []
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable)
    env.setdefault("ANSIBLE_LOCAL_TEMP", tempfile.mkdtemp(prefix="bench-ansible-"))
    env.setdefault("ANSIBLE_REMOTE_TEMP", env["ANSIBLE_LOCAL_TEMP"])
    with tempfile.TemporaryDirectory() as work:
        for servers in (size for size in SIZES if size <= PLAYBOOK_LIMIT):
            ipvsadm("-C")
            changed, _count = changed_services(servers)
            for case, services in (("full_apply", desired_services(servers)), ("noop", desired_services(servers)), ("change_1pct", changed)):
                seconds = playbook_task(work, env, case, servers, 'services: "{{ bench_services }}"', {"bench_services": services})
                records.append(record(case, servers, "ipvs_table_playbook", seconds))
            ipvsadm("-C")
            for case in ("full_apply", "noop"):
                variables = {"bench_services": desired_services(servers)}
                seconds = playbook_task(work, env, case, servers, 'services: "{{ bench_services }}"', variables, "vars_files")
                records.append(record(case, servers, "ipvs_table_playbook_vars_files", seconds))
            ipvsadm("-C")
            rules_file = os.path.join(work, "rules")
            with open(rules_file, "w", encoding="utf-8") as handle:
                handle.write("\n".join(rules(desired_services(servers))) + "\n")
            for case in ("full_apply", "noop"):
                records.append(record(case, servers, "ipvs_table_playbook_src", playbook_task(work, env, case, servers, "src: " + rules_file, {})))
            print("playbook cases for %d servers done" % servers, flush=True)
    ipvsadm("-C")
    return records


def playbook_task(work: str, env: dict, case: str, servers: int, table: str, variables: dict, source: str = "inventory") -> float:
    """Seconds of one ipvs_table task, from the task before it to the task after it;
    ``variables`` are the host's in the inventory, or with ``source`` "vars_files" the play's."""
    host_vars = os.path.join(work, "inventory", "host_vars")
    os.makedirs(host_vars, exist_ok=True)
    with open(os.path.join(work, "inventory", "hosts.yml"), "w", encoding="utf-8") as handle:
        handle.write("all:\n  hosts:\n    localhost:\n")
    vars_file = os.path.join(work, "vars.json")
    for path, holder in ((os.path.join(host_vars, "localhost.json"), "inventory"), (vars_file, "vars_files")):
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(variables if source == holder else {}, handle)
    with open(os.path.join(work, "play.yml"), "w", encoding="utf-8") as handle:
        handle.write(PLAYBOOK.format(vars_files=json.dumps([vars_file] if source == "vars_files" else []), table=table))
    playbook_bin = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    inventory = os.path.join(work, "inventory", "hosts.yml")
    run = subprocess.run([playbook_bin, "-i", inventory, os.path.join(work, "play.yml")], env=env, capture_output=True, text=True, check=False)
    found = [line for line in run.stdout.splitlines() if "BENCH " in line]
    if run.returncode != 0 or not found:
        raise SystemExit("ansible-playbook failed for %s/%d:\n%s\n%s" % (case, servers, run.stdout[-3000:], run.stderr[-3000:]))
    return float(found[0].split("BENCH ")[1].split()[0])


# --------------------------------------------------------------------------- on the host


def measure_host(out: str) -> None:
    env = dict(os.environ, PYTHONPATH=COLLECTIONS)
    starts = []
    for _run in range(21):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import %s" % MODULE], env=env, check=True)
        starts.append(time.perf_counter() - started)
    import_rss = child_rss([sys.executable, "-c", "import %s" % MODULE], env)[1]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as args:
        json.dump({"ANSIBLE_MODULE_ARGS": {"services": desired_services(10000), "purge": True, "_ansible_check_mode": True}}, args)
    try:
        seconds, rss, output = child_rss([sys.executable, "-m", MODULE, args.name], env)
    finally:
        os.unlink(args.name)
    result = json.loads(output)
    assert result.get("summary", {}).get("add_server") == 10000, result
    records = [
        record("cold_start", 0, "ipvs_table", statistics.median(starts), import_rss),
        record("cold_start", 10000, "ipvs_table", seconds, rss),
    ]
    meta = {"machine": machine(), "cold_start_runs": [round(value, 4) for value in starts]}
    with open(out, "w", encoding="utf-8") as handle:
        json.dump({"records": records, "host_run": meta}, handle, indent=1)


def child_rss(command: list, env: dict) -> tuple:
    """Wall time, peak RSS (MiB) and stdout of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE)
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit("%s failed: %s" % (command, output[-2000:]))
    return time.perf_counter() - started, usage.ru_maxrss / 1024, output


def machine() -> dict:
    found = {"kernel": platform.release(), "python": platform.python_version(), "cpus": os.cpu_count()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            names = [line.split(":", 1)[1].strip() for line in handle if line.startswith("model name")]
        found["cpu"] = names[0] if names else platform.processor()
    except OSError:
        found["cpu"] = platform.processor()
    for package in ("pyroute2", "netaddr", "ansible-core"):
        try:
            from importlib.metadata import version

            found[package] = version(package)
        except Exception:
            found[package] = None
    try:
        answer = subprocess.run(["ipvsadm", "--version"], capture_output=True, text=True, check=False)
        found["ipvsadm"] = (answer.stdout or answer.stderr).strip()
    except OSError:
        found["ipvsadm"] = None
    return found


# --------------------------------------------------------------------------- results


def render(out_dir: str, inputs: list) -> None:
    records, runs = [], {}
    for path in inputs:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
        records += data["records"]
        runs.update({key: value for key, value in data.items() if key != "records"})
    with open(os.path.join(out_dir, "table.json"), "w", encoding="utf-8") as handle:
        json.dump(records, handle, indent=1)
    with open(os.path.join(out_dir, "table.meta.json"), "w", encoding="utf-8") as handle:
        json.dump(runs, handle, indent=1)
    with open(os.path.join(out_dir, "table.md"), "w", encoding="utf-8") as handle:
        handle.write(markdown(records, runs))


def markdown(records: list, runs: dict) -> str:
    def seconds(case, servers, tool):
        found = [r["seconds"] for r in records if (r["case"], r["servers"], r["tool"]) == (case, servers, tool)]
        return found[0] if found else None

    def cell(value):
        return "-" if value is None else ("%.3f" % value if value < 10 else "%.1f" % value)

    def ratio(first, second):
        return "-" if first is None or second is None or not second else "%.2f" % (first / second)

    kernel = runs.get("kernel_run", {}).get("machine", {})
    host = runs.get("host_run", {}).get("machine", {})
    lines = [
        "# ipvs_table benchmark",
        "",
        "Produced by `bash bench/table.sh` in one run; raw records in `table.json`, machine and",
        "per-phase times in `table.meta.json`.",
        "",
        "- Kernel run (QEMU TCG guest): kernel %s, CPU %s, %s vCPUs, Python %s, pyroute2 %s, ansible-core %s, %s"
        % (
            kernel.get("kernel"),
            kernel.get("cpu"),
            kernel.get("cpus"),
            kernel.get("python"),
            kernel.get("pyroute2"),
            kernel.get("ansible-core"),
            kernel.get("ipvsadm"),
        ),
        "- Host run: kernel %s, CPU %s, Python %s, pyroute2 %s" % (host.get("kernel"), host.get("cpu"), host.get("python"), host.get("pyroute2")),
        "- Table: N real servers as N/10 services of 10 (wrr, direct routing). ipvs_table times are in process",
        "  (`time.perf_counter` around validate + read + plan + apply + report, after imports). One ipvsadm",
        "  command per rule is timed for up to %d rules and extrapolated (x rules / %d) beyond. The no-op and `ipvsadm -Sn`" % (PER_RULE_LIMIT, PER_RULE_LIMIT),
        "  are each the median of %d runs (every run's seconds in `table.json` and `table.meta.json`)." % NOOP_RUNS,
        "- Playbook tasks (up to %d servers): one `lvs.ipvs.ipvs_table` task timed from the task before it to the task after" % PLAYBOOK_LIMIT,
        "  it, the table given as `services:` (from the inventory's host_vars; *vars_files*: from a play's vars file) or, for the",
        "  same table, as an `ipvsadm -S` file in `src:`.",
        "",
        "| servers | case | ipvs_table s | ipvsadm s | ratio | per-rule ipvsadm s | speed-up vs per-rule"
        " | `services:` task s | `services:` task s, vars_files | `src:` task s | peak RSS MiB |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for servers in SIZES:
        for case, reference in (("full_apply", "ipvsadm_restore"), ("noop", "ipvsadm_save"), ("change_1pct", None)):
            ours = seconds(case, servers, "ipvs_table")
            theirs = seconds(case, servers, reference) if reference else None
            per_rule = seconds(case, servers, "ipvsadm_per_rule")
            rss = [r["peak_rss_mib"] for r in records if (r["case"], r["servers"], r["tool"]) == (case, servers, "ipvs_table")]
            lines.append(
                "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
                % (
                    servers,
                    case,
                    cell(ours),
                    cell(theirs) + (" (-R)" if reference == "ipvsadm_restore" else " (-Sn)" if reference else ""),
                    ratio(ours, theirs),
                    cell(per_rule) + (" (extrapolated)" if per_rule is not None and servers * 1.1 > PER_RULE_LIMIT else ""),
                    ratio(per_rule, ours) if per_rule else "-",
                    cell(seconds(case, servers, "ipvs_table_playbook")),
                    cell(seconds(case, servers, "ipvs_table_playbook_vars_files")),
                    cell(seconds(case, servers, "ipvs_table_playbook_src")),
                    rss[0] if rss else "-",
                )
            )
    cold = [r for r in records if r["case"] == "cold_start"]
    lines += ["", "Host, no VM:", ""]
    lines += [
        "- cold start, python start-up + every import of the module (median of %d runs): %.3f s, RSS %s MiB"
        % (len(runs.get("host_run", {}).get("cold_start_runs", [])), r["seconds"], r["peak_rss_mib"])
        for r in cold
        if r["servers"] == 0
    ]
    lines += [
        "- the whole module process for %d servers in check mode (argument checks, validation, plan of every add, result): %.3f s, peak RSS %s MiB"
        % (r["servers"], r["seconds"], r["peak_rss_mib"])
        for r in cold
        if r["servers"]
    ]
    phases = runs.get("kernel_run", {}).get("phases", {})
    lines += ["", targets(records), "", scale(records), "", limits(records, phases), ""]
    return "\n".join(lines)


def find(records: list, case: str, tool: str, servers: int = 10000):
    found = [r for r in records if (r["case"], r["servers"], r["tool"]) == (case, servers, tool)]
    return found[0] if found else None


def scale(records: list) -> str:
    """How time, module memory and kernel memory grow with the table."""
    sizes = [size for size in SIZES if size >= 1000]
    rows = [
        "Growth (kernel run): each figure, and the exponent k of figure ~ servers^k between %d and %d servers" % (sizes[0], sizes[-1]) + " (k = 1 is linear).",
        "",
        "| figure | " + " | ".join("%d" % size for size in sizes) + " | k |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    figures = [
        ("no-op s", lambda n: find(records, "noop", "ipvs_table", n), "seconds"),
        ("full apply s", lambda n: find(records, "full_apply", "ipvs_table", n), "seconds"),
        ("1% change s", lambda n: find(records, "change_1pct", "ipvs_table", n), "seconds"),
        ("ipvsadm -Sn s", lambda n: find(records, "noop", "ipvsadm_save", n), "seconds"),
        ("ipvsadm -R s", lambda n: find(records, "full_apply", "ipvsadm_restore", n), "seconds"),
        ("module process no-op s", lambda n: find(records, "noop", "module_process", n), "seconds"),
        ("module process peak RSS MiB", lambda n: find(records, "noop", "module_process", n), "peak_rss_mib"),
        ("kernel memory of the table MiB", lambda n: find(records, "table_memory", "kernel_slab", n), "kernel_kib"),
    ]
    for name, get, field_name in figures:
        values = []
        for size in sizes:
            found = get(size)
            value = found.get(field_name) if found else None
            values.append(value / 1024 if value is not None and field_name == "kernel_kib" else value)
        exponent = "-"
        if values[0] and values[-1] and len(sizes) > 1:
            exponent = "%.2f" % (math.log(values[-1] / values[0]) / math.log(sizes[-1] / sizes[0]))
        rows.append("| %s | %s | %s |" % (name, " | ".join("-" if value is None else "%.3g" % value for value in values), exponent))
    return "\n".join(rows)


def limits(records: list, phases: dict) -> str:
    """Where the time of the no-op, the full apply and the 1% change goes, per phase."""
    rows = ["Per phase (seconds, `table.meta.json`); *dumps* reads the table the run left once more, decoding nothing:"]
    rows.append("what the kernel and the socket take of a read. *arguments* is not part of the run: ansible-core checking the")
    rows.append("`services:` argument against the module's argument spec (ArgumentSpecValidator, as AnsibleModule does before the run).")
    rows += ["", "| case | (arguments) | validate | read | (dumps) | plan | apply | report | ipvsadm |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for servers in (size for size in SIZES if size >= 10000):
        for case, tool in (("noop", "ipvsadm_save"), ("full_apply", "ipvsadm_restore"), ("change_1pct", None)):
            phase = phases.get("%s/%d" % (case, servers))
            if not phase:
                continue
            theirs = find(records, case, tool, servers) if tool else None
            cells = ["%.2f" % phase[name] if name in phase else "-" for name in ("arguments", "validate", "read", "dumps", "plan", "apply", "report")]
            rows.append("| %s at %d | %s | %s |" % (case, servers, " | ".join(cells), "%.2f" % theirs["seconds"] if theirs else "-"))
    noop, save = phases.get("noop/10000"), find(records, "noop", "ipvsadm_save")
    if noop and save and "dumps" in noop:
        python = noop["seconds"] - noop["dumps"]
        rows += [
            "",
            "What limits the no-op at 10,000 servers: of its %.2f s, %.2f s are the kernel's dumps and the socket and" % (noop["seconds"], noop["dumps"]),
            "%.2f s are Python work per real server - checking the desired one (validate %.2f s), recognising the dumped one" % (python, noop["validate"]),
            "(the read less the dumps, %.2f s) and comparing (plan %.2f s) - against %.2f s for all of `ipvsadm -Sn`, which does the"
            % (noop["read"] - noop["dumps"], noop["plan"], save["seconds"]),
            "same dumps in C. The emulated CPU runs that Python ~25-30x slower than the host it emulates.",
        ]
    task, src = find(records, "noop", "ipvs_table_playbook"), find(records, "noop", "ipvs_table_playbook_src")
    if noop and task and src and "arguments" in noop:
        rows += [
            "",
            "What limits the `services:` task: the no-op task took %.1f s against %.1f s with `src:`. Of the %.1f s more, ansible-core's"
            % (task["seconds"], src["seconds"], task["seconds"] - src["seconds"]),
            "checks of the argument against the argument spec take %.2f s in process (%.1fx the module's own validation, %.2f s); the"
            % (noop["arguments"], noop["arguments"] / noop["validate"], noop["validate"]),
            "rest is the controller's: variables, templating and sending the table to the module.",
        ]
    return "\n".join(rows)


def targets(records: list) -> str:
    checks = []
    full, restore = find(records, "full_apply", "ipvs_table"), find(records, "full_apply", "ipvsadm_restore")
    noop, save = find(records, "noop", "ipvs_table"), find(records, "noop", "ipvsadm_save")
    change = find(records, "change_1pct", "ipvs_table")
    per_rule = find(records, "full_apply", "ipvsadm_per_rule")
    cold, module = find(records, "cold_start", "ipvs_table", 0), find(records, "cold_start", "ipvs_table", 10000)
    if noop and save:
        checks.append(("no-op <= 2x ipvsadm -Sn", "%.2fx" % (noop["seconds"] / save["seconds"]), noop["seconds"] <= 2 * save["seconds"]))
    if full and restore:
        checks.append(("full apply <= 0.5x ipvsadm -R", "%.2fx" % (full["seconds"] / restore["seconds"]), full["seconds"] <= 0.5 * restore["seconds"]))
    if change and noop:
        checks.append(("1% change within 10% of the no-op", "%.2fx" % (change["seconds"] / noop["seconds"]), change["seconds"] <= 1.1 * noop["seconds"]))
    for case in ("noop", "full_apply"):
        task, src = find(records, case, "ipvs_table_playbook"), find(records, case, "ipvs_table_playbook_src")
        if task and src:
            ratio = task["seconds"] / src["seconds"]
            checks.append(("%s: `services:` task <= 2x `src:` task" % case, "%.2fx" % ratio, ratio <= 2))
        from_file = find(records, case, "ipvs_table_playbook_vars_files")
        if from_file and src:
            ratio = from_file["seconds"] / src["seconds"]
            checks.append(("%s: the same with `services:` from vars_files" % case, "%.2fx" % ratio, ratio <= 2))
    if full and per_rule:
        checks.append((">= 75x faster than per-rule", "%.0fx" % (per_rule["seconds"] / full["seconds"]), per_rule["seconds"] >= 75 * full["seconds"]))
    if cold:
        checks.append(("cold start <= 0.25 s", "%.3f s" % cold["seconds"], cold["seconds"] <= 0.25))
    peak = max([r["peak_rss_mib"] for r in (full, noop, module) if r and r["peak_rss_mib"] is not None] or [0])
    checks.append(("peak RSS < 100 MiB at 10,000 servers", "%.1f MiB" % peak, peak < 100))
    rows = ["Targets at 10,000 servers:", "", "| target | measured | met |", "|---|---:|---|"]
    rows += ["| %s | %s | %s |" % (name, value, "yes" if met else "**no**") for name, value, met in checks]
    return "\n".join(rows)


def main(argv: list) -> None:
    if len(argv) >= 2 and argv[0] == "kernel":
        measure_kernel(argv[1])
    elif len(argv) >= 3 and argv[0] == "size":
        measure_size(int(argv[1]), argv[2])
    elif len(argv) >= 2 and argv[0] == "host":
        measure_host(argv[1])
    elif len(argv) >= 3 and argv[0] == "render":
        render(argv[1], argv[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
