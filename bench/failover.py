"""Render the failover benchmark's records into bench/results/failover.json and .md.

    python3 bench/failover.py RECORDS.jsonl META.json RESULTS_DIR

Targets (issue #6): graceful stop <= 1.5 s; kill -9 and link down within 0.6 s of the
VRRP master-down interval at the role's default advert_int; kill -9 <= 1.5 s with
sub-second VRRPv3 adverts; no reset of a synced established connection in any run.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

BACKUP_PRIORITY = 100  # lb2 in playbooks/inventories/ha
FIELDS = ("run", "fault", "takeover_s", "lost_requests", "synced_conn_survived", "advert_int")


def family(record: dict) -> str:
    """The address family of the VIP the run was measured on."""
    return "IPv6" if ":" in record["vip"] else "IPv4"


def master_down_interval(advert_int: float) -> float:
    """RFC 3768/5798: 3 adverts plus the skew (256 - priority) / 256 adverts."""
    return 3 * advert_int + (256 - BACKUP_PRIORITY) / 256 * advert_int


def target(fault: str, advert_int: float) -> tuple:
    """(limit in seconds, how it is derived)"""
    if fault == "stop":
        return 1.5, "graceful stop <= 1.5 s"
    if advert_int < 1:
        return 1.5, "sub-second adverts <= 1.5 s"
    limit = master_down_interval(advert_int) + 0.6
    return limit, "master-down %.2f s + 0.6 s" % master_down_interval(advert_int)


def summarize(records: list) -> list:
    series = {}
    for record in records:
        series.setdefault((record["advert_int"], record["fault"], family(record)), []).append(record)
    rows = []
    for (advert_int, fault, vip_family), runs in sorted(series.items(), key=lambda item: (-item[0][0], item[0][1], item[0][2])):
        takeovers = [run["takeover_s"] for run in runs if run["takeover_s"] is not None]
        lost = [run["lost_requests"] for run in runs]
        limit, rule = target(fault, advert_int)
        rows.append(
            {
                "advert_int": advert_int,
                "fault": fault,
                "family": vip_family,
                "runs": len(runs),
                "takeovers": len(takeovers),
                "takeover_median_s": round(statistics.median(takeovers), 3) if takeovers else None,
                "takeover_max_s": max(takeovers) if takeovers else None,
                "lost_median": statistics.median(lost),
                "lost_max": max(lost),
                "synced_survived": sum(1 for run in runs if run["synced_conn_survived"]),
                "target": rule,
                "met": bool(takeovers) and len(takeovers) == len(runs) and max(takeovers) <= limit and all(run["synced_conn_survived"] for run in runs),
            }
        )
    return rows


def markdown(records: list, rows: list, meta: dict) -> str:
    lines = [
        "# Failover of the lab's keepalived director pair",
        "",
        "`bash bench/failover.sh` - QEMU TCG guest (kernel %s, %s vCPUs), %s, %s; containers on one bridge;"
        % (meta.get("kernel"), meta.get("cpus"), meta.get("keepalived"), meta.get("podman")),
        "a client sends a request every 50 ms (1 s timeout) and holds one long-lived connection synced by the IPVS sync daemons.",
        "takeover = fault on lb1 (priority 150) until the VIP is added on lb2 (priority 100), from `ip -ts monitor` on lb2.",
        "After kill -9 or link down the backup's master-down timer runs from the last advert it received, up to one",
        "advert_int before the fault, so takeovers fall between master-down - advert_int and master-down.",
        "lost = requests without an answer within 1 s; after kill -9 the old master keeps forwarding (its kernel still",
        "holds VIP and table) until the new master's gratuitous ARP (unsolicited neighbour advertisement for IPv6)",
        "moves the client, hence little or no loss. The IPv6 VIP runs in a VRRPv3 instance of its own at the same advert_int.",
        "",
        "| advert_int | fault | VIP | runs | takeover median (s) | takeover max (s) | lost median | lost max | synced conn. survived | target | met |",
        "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |",
    ]
    for row in rows:
        lines.append(
            "| %s | %s | %s | %d | %s | %s | %s | %s | %d/%d | %s | %s |"
            % (
                row["advert_int"],
                row["fault"],
                row["family"],
                row["runs"],
                row["takeover_median_s"],
                row["takeover_max_s"],
                row["lost_median"],
                row["lost_max"],
                row["synced_survived"],
                row["runs"],
                row["target"],
                "yes" if row["met"] else "**no**",
            )
        )
    lines += [
        "",
        "Every run:",
        "",
        "| advert_int | fault | VIP | run | takeover (s) | lost | of | longest gap (s) | long-lived conn. | client ARP/ND to lb2 | VIP left lb1 (s) |",
    ]
    lines.append("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |")
    for record in records:
        lines.append(
            "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |"
            % tuple(
                record.get(key)
                for key in (
                    "advert_int",
                    "fault",
                    "vip",
                    "run",
                    "takeover_s",
                    "lost_requests",
                    "requests",
                    "longest_gap_s",
                    "long_lived_connection",
                    "client_arp_to_backup",
                    "stale_vip_s",
                )
            )
        )
    return "\n".join(lines) + "\n"


def main(records_path: str, meta_path: str, results: str) -> None:
    records = [json.loads(line) for line in Path(records_path).read_text(encoding="utf-8").splitlines() if line.strip()]
    meta = json.loads(Path(meta_path).read_text(encoding="utf-8")) if Path(meta_path).exists() else {}
    rows = summarize(records)
    out = Path(results)
    out.mkdir(parents=True, exist_ok=True)
    (out / "failover.json").write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")
    (out / "failover.summary.json").write_text(json.dumps({"meta": meta, "series": rows}, indent=1) + "\n", encoding="utf-8")
    (out / "failover.md").write_text(markdown(records, rows, meta), encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:4])
