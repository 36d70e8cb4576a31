# Copyright: lvs.ipvs contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The work of lvs.ipvs.conntrack_tuning: netfilter conntrack and IPVS kernel knobs,
their persistence across reboots, and conntrack sizing."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

from ansible_collections.lvs.ipvs.plugins.module_utils import _netns as netns
from ansible_collections.lvs.ipvs.plugins.module_utils._errors import IpvsError


@dataclass(frozen=True)
class Knob:
    path: str  # under /proc/sys, or absolute for a module parameter
    low: int = 0
    high: int = 2**31 - 1
    count: int = 1  # how many integers the value holds (sync_threshold has two)

    @property
    def sysctl(self) -> str | None:
        """The sysctl name, for /etc/sysctl.d (module parameters have none)."""
        return None if self.path.startswith("/") else self.path.replace("/", ".")


def _bool(path: str) -> Knob:
    return Knob(path, 0, 1)


_NF = "net/netfilter/nf_conntrack_"
_TCP_STATES = ("established", "syn_sent", "syn_recv", "fin_wait", "close_wait", "last_ack", "time_wait", "close", "max_retrans", "unacknowledged")
CONNTRACK = {
    "max": Knob(_NF + "max", 1),
    # the hash table; only its module parameter resizes it at run time
    "buckets": Knob("/sys/module/nf_conntrack/parameters/hashsize", 1, 2**26),
    "expect_max": Knob(_NF + "expect_max", 1),
    "tcp_loose": _bool(_NF + "tcp_loose"),
    "tcp_be_liberal": _bool(_NF + "tcp_be_liberal"),
    "tcp_max_retrans": Knob(_NF + "tcp_max_retrans"),
    "acct": _bool(_NF + "acct"),
    "timestamp": _bool(_NF + "timestamp"),
    "udp_timeout": Knob(_NF + "udp_timeout"),
    "udp_timeout_stream": Knob(_NF + "udp_timeout_stream"),
    "icmp_timeout": Knob(_NF + "icmp_timeout"),
    "icmpv6_timeout": Knob(_NF + "icmpv6_timeout"),
    "generic_timeout": Knob(_NF + "generic_timeout"),
}
CONNTRACK.update({"tcp_timeout_" + state: Knob(_NF + "tcp_timeout_" + state) for state in _TCP_STATES})

_VS = "net/ipv4/vs/"
IPVS = {name: _bool(_VS + name) for name in (
    "backup_only", "cache_bypass", "conntrack", "expire_nodest_conn", "expire_quiescent_template",
    "ignore_tunneled", "nat_icmp_send", "pmtu_disc", "schedule_icmp", "sloppy_sctp", "sloppy_tcp",
    "snat_reroute", "sync_persist_mode", "run_estimation",
)}  # fmt: skip
IPVS.update(
    {
        "am_droprate": Knob(_VS + "am_droprate"),
        "amemthresh": Knob(_VS + "amemthresh"),
        # bit 0: reschedule reused ports, bit 1: also for persistent services... (0..3)
        "conn_reuse_mode": Knob(_VS + "conn_reuse_mode", 0, 3),
        "drop_entry": Knob(_VS + "drop_entry", 0, 3),
        "drop_packet": Knob(_VS + "drop_packet", 0, 3),
        # the nice value of the rate estimation kernel threads (Linux 6.2 and later)
        "est_nice": Knob(_VS + "est_nice", -20, 19),
        "secure_tcp": Knob(_VS + "secure_tcp", 0, 3),
        "sync_ports": Knob(_VS + "sync_ports", 1, 1024),
        "sync_qlen_max": Knob(_VS + "sync_qlen_max", 1),
        "sync_refresh_period": Knob(_VS + "sync_refresh_period"),
        "sync_retries": Knob(_VS + "sync_retries", 0, 3),
        "sync_sock_size": Knob(_VS + "sync_sock_size"),
        "sync_threshold": Knob(_VS + "sync_threshold", 0, 2**31 - 1, 2),
        "sync_version": Knob(_VS + "sync_version", 0, 1),
    }
)
CONN_TAB_BITS = Knob("/sys/module/ip_vs/parameters/conn_tab_bits", 8, 20)

SYSCTL_FILE = "/etc/sysctl.d/90-lvs-ipvs.conf"
MODPROBE_FILE = "/etc/modprobe.d/lvs-ipvs.conf"
MODULES_LOAD_FILE = "/etc/modules-load.d/lvs-ipvs.conf"
# bytes of one conntrack entry (struct nf_conn with the usual extensions) and one bucket
ENTRY_BYTES = 320
BUCKET_BYTES = 8


def validate(group: str, table: dict, values: dict | None) -> dict:
    """Normalised values (tuples of ints) of one option group; unknown keys and
    out-of-range values fail before anything is written."""
    wanted = {}
    for name, value in (values or {}).items():
        knob = table.get(name)
        if knob is None:
            raise IpvsError("%s: unknown setting %r; valid: %s" % (group, name, ", ".join(sorted(table))))
        numbers = parse_value(value)
        if numbers is None or len(numbers) != knob.count:
            raise IpvsError("%s.%s: %r is not %s" % (group, name, value, "an integer" if knob.count == 1 else "%d integers" % knob.count))
        for number in numbers:
            if not knob.low <= number <= knob.high:
                raise IpvsError("%s.%s: %d is out of range %d..%d" % (group, name, number, knob.low, knob.high))
        wanted[name] = numbers
    return wanted


def parse_value(value) -> tuple | None:
    if isinstance(value, bool):
        return (int(value),)
    if isinstance(value, int):
        return (value,)
    words = [str(item) for item in value] if isinstance(value, (list, tuple)) else str(value).split()
    try:
        return tuple(int(word) for word in words)
    except ValueError:
        return None


def sizing(expected: int, budget_mib: int | None, available_bytes: int) -> dict:
    """nf_conntrack_max with 25% headroom and a power-of-two hash table of a quarter
    of it; refuses what the budget, or the memory the host has, cannot hold."""
    if expected < 1:
        raise IpvsError("expected_connections must be at least 1")
    maximum = math.ceil(expected * 1.25)
    buckets = 1 << max(10, (maximum // 4 - 1).bit_length())
    need = maximum * ENTRY_BYTES + buckets * BUCKET_BYTES
    mib = need / 2**20
    if budget_mib is not None and need > budget_mib * 2**20:
        raise IpvsError("%d connections need %.0f MiB of conntrack memory, above memory_budget_mb %d" % (expected, mib, budget_mib))
    if need > available_bytes:
        raise IpvsError("%d connections need %.0f MiB of conntrack memory; this host has %.0f MiB available" % (expected, mib, available_bytes / 2**20))
    return {"max": (maximum,), "buckets": (buckets,), "memory_mib": round(mib, 1)}


def available_memory(meminfo: str) -> int:
    for line in meminfo.splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    raise IpvsError("cannot read MemAvailable from /proc/meminfo")


def knob_path(knob: Knob) -> str:
    return knob.path if knob.path.startswith("/") else "/proc/sys/" + knob.path


def read_knob(knob: Knob) -> tuple | None:
    try:
        with open(knob_path(knob)) as handle:
            return parse_value(handle.read())
    except FileNotFoundError:
        return None


def write_knob(knob: Knob, value: tuple) -> None:
    with open(knob_path(knob), "w") as handle:
        handle.write(" ".join(str(number) for number in value))


_MANAGED = "# Managed by lvs.ipvs.conntrack_tuning"


def parse_sysctl(text: str) -> dict:
    """``name = value`` lines of a sysctl.d file (comments and blank lines skipped)."""
    found = {}
    for line in text.splitlines():
        name, equals, value = line.partition("=")
        if equals and not line.lstrip().startswith(("#", ";")):
            found[name.strip()] = " ".join(value.split())
    return found


def render_sysctl(sysctls: dict) -> str:
    return "\n".join([_MANAGED] + ["%s = %s" % (name, sysctls[name]) for name in sorted(sysctls)]) + "\n"


def parse_modprobe(text: str) -> dict:
    """``options MODULE NAME=VALUE ...`` lines as {(module, name): value}."""
    found = {}
    for line in text.splitlines():
        words = line.split()
        if len(words) > 2 and words[0] == "options":
            for option in words[2:]:
                name, _equals, value = option.partition("=")
                found[(words[1], name)] = value
    return found


def render_modprobe(options: dict) -> str:
    lines = [_MANAGED]
    for module in sorted({module for module, _name in options}):
        lines.append("options %s %s" % (module, " ".join("%s=%s" % (name, options[(m, name)]) for m, name in sorted(options) if m == module)))
    return "\n".join(lines) + "\n"


def parse_modules(text: str) -> set:
    return {line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith(("#", ";"))}


def render_modules(modules: set) -> str:
    return "\n".join([_MANAGED, *sorted(modules)]) + "\n"


def read_file(path: str) -> str | None:
    try:
        with open(path) as handle:
            return handle.read()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IpvsError("cannot read %s: %s" % (path, exc.strerror)) from None


def write_file(path: str, content: str) -> None:
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        temporary = path + ".lvs-ipvs.tmp"
        with open(temporary, "w") as handle:
            handle.write(content)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except OSError as exc:
        raise IpvsError("cannot write %s: %s" % (path, exc.strerror)) from None


def usage() -> dict:
    count = read_knob(Knob(_NF + "count"))
    maximum = read_knob(CONNTRACK["max"])
    if not count or not maximum:
        return {"count": None, "max": None, "percent": None}
    return {"count": count[0], "max": maximum[0], "percent": round(100.0 * count[0] / maximum[0], 2)}


def loaded_ipvs_modules() -> list:
    text = read_file("/proc/modules") or ""
    return [line.split()[0] for line in text.splitlines() if line.startswith("ip_vs")]


def ipvs_services_exist() -> bool:
    text = read_file(netns.PROC_NET + "/ip_vs") or ""
    return any(line.startswith(("TCP", "UDP", "SCTP", "FWM")) for line in text.splitlines())


def kernel_version(release: str) -> tuple:
    """(major, minor) of a kernel release such as 6.1.0-57-amd64."""
    numbers = release.split("-")[0].split(".")
    return tuple(int(number) for number in numbers[:2] if number.isdigit())


def check_present(wanted: list, release: str, check_mode: bool) -> None:
    """Refuse, before any write, a setting the running kernel does not have. In check mode
    a group whose module is not loaded yet cannot be told apart, and is not refused."""
    absent = [
        "%s (%s)" % (label, knob_path(knob))
        for knob, _value, label in wanted
        if not os.path.exists(knob_path(knob)) and not (check_mode and not os.path.isdir(os.path.dirname(knob_path(knob))))
    ]
    if absent:
        raise IpvsError("the running kernel (Linux %s) has no %s; nothing was changed" % (release, ", ".join(absent)))


# The connection delay of conntrack=1 with port reuse was fixed in Linux 5.9
# ("ipvs: allow connection reuse for unconfirmed conntrack").
_REUSE_FIXED = (5, 9)


def trap_warnings(conntrack: tuple | None, conn_reuse_mode: tuple | None, release: str) -> list:
    """Settings that work but are known to hurt on this kernel."""
    if conntrack == (1,) and conn_reuse_mode is not None and conn_reuse_mode[0] & 1 and kernel_version(release) < _REUSE_FIXED:
        return [
            "ipvs.conntrack=1 with ipvs.conn_reuse_mode=%d on Linux %s (before 5.9): a new connection from a reused client port "
            "has its first SYN dropped and waits about 1 s for the retry. Set ipvs.conn_reuse_mode: 0 on this kernel, or run 5.9 "
            "or later." % (conn_reuse_mode[0], release)
        ]
    return []


@netns.in_namespace
def run(params: dict, check_mode: bool, diff: bool, load_module, warn=lambda text: None) -> dict:
    if params.get("namespace") and params["persist"]:
        raise IpvsError("persist writes host-wide files under /etc; it cannot be combined with namespace")
    conntrack = validate("conntrack", CONNTRACK, params.get("conntrack"))
    ipvs = validate("ipvs", IPVS, params.get("ipvs"))
    bits = params.get("ipvs_conn_tab_bits")
    if bits is not None and not CONN_TAB_BITS.low <= bits <= CONN_TAB_BITS.high:
        raise IpvsError("ipvs_conn_tab_bits %d is out of range %d..%d" % (bits, CONN_TAB_BITS.low, CONN_TAB_BITS.high))
    sized = None
    if params.get("expected_connections") is not None:
        sized = sizing(params["expected_connections"], params.get("memory_budget_mb"), available_memory(read_file("/proc/meminfo") or ""))
        conntrack.setdefault("max", sized["max"])
        conntrack.setdefault("buckets", sized["buckets"])
    if (conntrack or sized) and not os.path.isdir("/proc/sys/net/netfilter") and not check_mode:
        load_module("nf_conntrack")
    if (ipvs or bits is not None) and not os.path.isdir("/proc/sys/net/ipv4/vs") and not check_mode:
        load_module("ip_vs")
    # a refused reload must come before any write
    reload = conn_tab_bits_plan(bits, params, warn)

    wanted = [(CONNTRACK[name], value, "conntrack." + name) for name, value in sorted(conntrack.items())]
    wanted += [(IPVS[name], value, "ipvs." + name) for name, value in sorted(ipvs.items())]
    release = os.uname().release
    check_present(wanted, release, check_mode)
    if {"conntrack", "conn_reuse_mode"} & set(ipvs):
        # the values after this task: what it sets, else what the kernel holds
        after = {name: ipvs.get(name) or read_knob(IPVS[name]) for name in ("conntrack", "conn_reuse_mode")}
        for text in trap_warnings(after["conntrack"], after["conn_reuse_mode"], release):
            warn(text)
    files = planned_files(params, wanted, conntrack.get("buckets"), bits)
    file_changes = {path: content for path, content in files.items() if read_file(path) != content}

    written: list = []
    try:
        if reload["ipvs_reloaded"] and not check_mode:
            # first: a reload puts every net.ipv4.vs setting back to its default
            reload["ipvs_conn_tab_bits"] = reload_ipvs(bits, load_module)
            written.append("ip_vs reloaded with conn_tab_bits=%d" % bits)
        before = {label: read_knob(knob) for knob, _value, label in wanted}
        changes = {label: value for knob, value, label in wanted if before[label] != value}
        if changes and not check_mode:
            apply_values(wanted, changes, written)
        if file_changes and not check_mode:
            for path, content in file_changes.items():
                write_file(path, content)
                written.append(path)
    except IpvsError as exc:
        done = "; done before it: %s" % ", ".join(written) if written else "; nothing was changed"
        raise IpvsError(exc.message + done, applied=written, errno=exc.errno) from None

    result = {
        "changed": bool(changes or file_changes or reload["ipvs_reloaded"]),
        # not "values": Jinja would find dict.values() under that name
        "settings": {label: join(value) for _knob, value, label in wanted},
        "changes": {label: {"before": join(before[label]), "after": join(value)} for label, value in changes.items()},
        "files": sorted(file_changes),
        "sizing": sized,
    }
    result.update(reload)
    result["usage"] = usage()
    if diff:
        result["diff"] = {
            "before": "".join("%s = %s\n" % (label, join(before[label])) for label in sorted(changes)),
            "after": "".join("%s = %s\n" % (label, join(changes[label])) for label in sorted(changes)),
        }
    return result


def join(value: tuple | None) -> str | None:
    return None if value is None else " ".join(map(str, value))


def apply_values(wanted: list, changes: dict, written: list) -> None:
    """Write the changed settings in order; each one written is added to ``written``."""
    for knob, value, label in wanted:
        if label not in changes:
            continue
        try:
            write_knob(knob, value)
        except OSError as exc:
            raise IpvsError("cannot set %s to %s (%s): %s" % (label, join(value), knob_path(knob), exc.strerror)) from None
        written.append(label)


def planned_files(params: dict, wanted: list, buckets: tuple | None, bits: int | None) -> dict:
    """The persisted files: what this task sets, merged into what earlier tasks persisted
    there (each setting, module option and module is kept until a task sets it again)."""
    if not params["persist"]:
        return {}
    sysctls = parse_sysctl(read_file(SYSCTL_FILE) or "")
    sysctls.update({knob.sysctl: " ".join(map(str, value)) for knob, value, _label in wanted if knob.sysctl})
    files = {SYSCTL_FILE: render_sysctl(sysctls)}
    options = parse_modprobe(read_file(MODPROBE_FILE) or "")
    if buckets:
        options[("nf_conntrack", "hashsize")] = str(buckets[0])
    if bits:
        options[("ip_vs", "conn_tab_bits")] = str(bits)
    if options:
        files[MODPROBE_FILE] = render_modprobe(options)
    modules = parse_modules(read_file(MODULES_LOAD_FILE) or "")
    if any(label.startswith("conntrack.") for *_x, label in wanted):
        modules.add("nf_conntrack")
    modules.add("ip_vs")
    files[MODULES_LOAD_FILE] = render_modules(modules)
    return files


def conn_tab_bits_plan(bits: int | None, params: dict, warn) -> dict:
    """The IPVS connection table size is fixed when ip_vs loads: report it, and plan a
    reload of ip_vs only when asked and no service would be lost (or when forced)."""
    current = read_knob(CONN_TAB_BITS)
    state = {"ipvs_conn_tab_bits": current[0] if current else None, "ipvs_reloaded": False, "ipvs_reload_pending": False}
    if bits is None or current is None or current[0] == bits:
        return state
    if not params["reload_ipvs"]:
        state["ipvs_reload_pending"] = True
        warn("ip_vs runs with conn_tab_bits=%d; %d takes effect when ip_vs is reloaded (reload_ipvs=true) or at boot" % (current[0], bits))
        return state
    if ipvs_services_exist() and not params["force_reload"]:
        raise IpvsError(
            "ip_vs must be reloaded to use conn_tab_bits=%d, which would delete the IPVS services defined now; set force_reload=true to do it anyway" % bits
        )
    state.update(ipvs_reloaded=True, ipvs_conn_tab_bits=bits)
    return state


def reload_ipvs(bits: int, load_module) -> int:
    # schedulers and engines hold ip_vs; modprobe -r takes them in dependency order
    load_module.unload(*loaded_ipvs_modules())
    load_module("ip_vs", "conn_tab_bits=%d" % bits)
    return read_knob(CONN_TAB_BITS)[0]
