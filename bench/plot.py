"""Pictures of the committed benchmark results, as self-contained SVG (no plotting library:
the files diff as text and render in any browser, on GitHub and on the docs site).

    python bench/plot.py table RESULTS      RESULTS/table.json -> RESULTS/table.svg
    python bench/plot.py failover RESULTS   RESULTS/failover.json -> RESULTS/failover.svg

bench/table.sh and bench/failover.sh run it after writing their results.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

from failover import BACKUP_PRIORITY, family, master_down_interval
from table import PER_RULE_LIMIT

WIDTH, HEIGHT = 760, 470
LEFT, RIGHT, TOP, BOTTOM = 80, 220, 50, 60
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf")


@dataclass
class Scale:
    low: float
    high: float
    log: bool
    start: float  # pixel of ``low``
    end: float  # pixel of ``high``

    def __call__(self, value: float) -> float:
        if self.log:
            share = (math.log10(value) - math.log10(self.low)) / (math.log10(self.high) - math.log10(self.low))
        else:
            share = (value - self.low) / (self.high - self.low)
        return self.start + share * (self.end - self.start)

    def ticks(self) -> list:
        if self.log:
            return [10.0**power for power in range(math.floor(math.log10(self.low)), math.ceil(math.log10(self.high)) + 1)]
        step = _nice_step((self.high - self.low) / 6)
        return [step * index for index in range(math.ceil(self.low / step), math.floor(self.high / step) + 1)]


def _nice_step(rough: float) -> float:
    power = 10 ** math.floor(math.log10(rough))
    return next(factor * power for factor in (1, 2, 5, 10) if factor * power >= rough)


def _label(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return "%g" % value


@dataclass
class Svg:
    title: str
    parts: list = field(default_factory=list)

    def add(self, text: str) -> None:
        self.parts.append(text)

    def text(self, x: float, y: float, content: str, size: int = 12, anchor: str = "start", **extra) -> None:
        attributes = "".join(' %s="%s"' % (name.replace("_", "-"), value) for name, value in extra.items())
        self.add('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s"%s>%s</text>' % (x, y, size, anchor, attributes, escape(content)))

    def line(self, points: list, colour: str, dashed: bool = False, width: float = 2) -> None:
        path = " ".join("%.1f,%.1f" % point for point in points)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        self.add('<polyline points="%s" fill="none" stroke="%s" stroke-width="%s"%s/>' % (path, colour, width, dash))

    def dot(self, x: float, y: float, colour: str, radius: float = 3.5) -> None:
        self.add('<circle cx="%.1f" cy="%.1f" r="%s" fill="%s"/>' % (x, y, radius, colour))

    def render(self) -> str:
        head = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" role="img">'
            '<title>%s</title><rect width="100%%" height="100%%" fill="white"/>' % (WIDTH, HEIGHT, WIDTH, HEIGHT, escape(self.title))
        )
        return head + "\n".join(self.parts) + "</svg>\n"


def axes(svg: Svg, x: Scale, y: Scale, xlabel: str, ylabel: str, xticks: list | None = None) -> None:
    bottom, top = y.start, y.end
    for value in y.ticks():
        svg.add('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (x.start, x.end, y(value), y(value)))
        svg.text(x.start - 6, y(value) + 4, _label(value), anchor="end")
    for value, label in xticks or [(value, _label(value)) for value in x.ticks()]:
        svg.add('<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (x(value), x(value), bottom, top))
        svg.text(x(value), bottom + 18, label, anchor="middle")
    svg.add('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#444"/>' % (x.start, top, x.end - x.start, bottom - top))
    svg.text((x.start + x.end) / 2, HEIGHT - 15, xlabel, size=13, anchor="middle")
    svg.text(18, (top + bottom) / 2, ylabel, size=13, anchor="middle", transform="rotate(-90 18 %.1f)" % ((top + bottom) / 2))
    svg.text(WIDTH / 2 - RIGHT / 2, 28, svg.title, size=15, anchor="middle", font_weight="bold")


def legend(svg: Svg, entries: list) -> None:
    """Entries (label, colour, how): how is "line", "dashed", "dot" or None (text only)."""
    for index, (label, colour, how) in enumerate(entries):
        y = TOP + 12 + index * 22
        if how == "dot":
            svg.dot(WIDTH - RIGHT + 30, y, colour)
        elif how:
            svg.line([(WIDTH - RIGHT + 15, y), (WIDTH - RIGHT + 45, y)], colour, how == "dashed")
        svg.text(WIDTH - RIGHT + 52, y + 4, label, size=11)


# (case, tool) -> legend label; each drawn against the number of real servers
TABLE_SERIES = (
    ("full_apply", "ipvs_table", "ipvs_table full apply"),
    ("noop", "ipvs_table", "ipvs_table no-op"),
    ("change_1pct", "ipvs_table", "ipvs_table 1% change"),
    ("full_apply", "ipvsadm_restore", "ipvsadm -R"),
    ("noop", "ipvsadm_save", "ipvsadm -Sn"),
    ("full_apply", "ipvsadm_per_rule", "ipvsadm per rule"),
)


def table_plot(records: list) -> str:
    series = []
    for case, tool, label in TABLE_SERIES:
        points = sorted((r["servers"], r["seconds"]) for r in records if (r["case"], r["tool"]) == (case, tool) and r["servers"])
        series.append((label, points))
    values = [seconds for _label, points in series for _servers, seconds in points]
    sizes = [servers for _label, points in series for servers, _seconds in points]
    x = Scale(min(sizes), max(sizes), True, LEFT, WIDTH - RIGHT)
    y = Scale(10 ** math.floor(math.log10(min(values))), 10 ** math.ceil(math.log10(max(values))), True, HEIGHT - BOTTOM, TOP)
    svg = Svg("ipvs_table and ipvsadm against table size (QEMU guest)")
    axes(svg, x, y, "real servers (services x 10)", "seconds (log)")
    entries = []
    for index, (label, points) in enumerate(series):
        colour = COLOURS[index]
        if label == "ipvsadm per rule":
            # one process per rule is timed up to PER_RULE_LIMIT rules, extrapolated beyond
            measured = [point for point in points if point[0] * 1.1 <= PER_RULE_LIMIT]
            svg.line([(x(s), y(t)) for s, t in measured + points[len(measured) - 1 : len(measured)]], colour)
            svg.line([(x(s), y(t)) for s, t in points[len(measured) - 1 :]], colour, dashed=True)
            entries += [(label, colour, "line"), ("extrapolated", colour, "dashed")]
        else:
            svg.line([(x(s), y(t)) for s, t in points], colour)
            entries.append((label, colour, "line"))
        for servers, seconds in points:
            svg.dot(x(servers), y(seconds), colour)
    legend(svg, entries)
    return svg.render()


def failover_plot(records: list) -> str:
    groups = sorted({(r["advert_int"], r["fault"], family(r)) for r in records}, key=lambda group: (-group[0], group[1], group[2]))
    x = Scale(-0.5, len(groups) - 0.5, False, LEFT, WIDTH - RIGHT)
    highest = max(max(r["takeover_s"] for r in records), max(master_down_interval(advert) for advert, _fault, _family in groups))
    y = Scale(0, math.ceil(highest + 0.5), False, HEIGHT - BOTTOM, TOP)
    svg = Svg("VRRP takeover per fault and advert interval (lab, 5 runs each)")
    labels = [(index, "%s %s, %gs" % (fault, vip_family, advert)) for index, (advert, fault, vip_family) in enumerate(groups)]
    axes(svg, x, y, "fault, VIP, advert_int", "takeover (s)", labels)
    for index, (advert, fault, vip_family) in enumerate(groups):
        runs = [r["takeover_s"] for r in records if (r["advert_int"], r["fault"], family(r)) == (advert, fault, vip_family)]
        limit = master_down_interval(advert) if fault != "stop" else (256 - BACKUP_PRIORITY) / 256 * advert
        svg.line([(x(index - 0.4), y(limit)), (x(index + 0.4), y(limit))], "#d62728", dashed=True)
        for offset, seconds in enumerate(runs):
            svg.dot(x(index - 0.2 + 0.4 * offset / max(len(runs) - 1, 1)), y(seconds), COLOURS[0])
        median = statistics.median(runs)
        svg.line([(x(index - 0.3), y(median)), (x(index + 0.3), y(median))], "#222", width=2.5)
    legend(
        svg,
        [
            ("one run", COLOURS[0], "dot"),
            ("median", "#222", "line"),
            ("VRRP master-down interval", "#d62728", "dashed"),
            ("(after a stop: the skew time,", None, None),
            ("the backup's wait after", None, None),
            ("a priority-0 advert)", None, None),
        ],
    )
    return svg.render()


def main(kind: str, results: str) -> None:
    folder = Path(results)
    records = json.loads((folder / ("%s.json" % kind)).read_text(encoding="utf-8"))
    drawn = table_plot(records) if kind == "table" else failover_plot(records)
    (folder / ("%s.svg" % kind)).write_text(drawn, encoding="utf-8")


if __name__ == "__main__":
    main(*sys.argv[1:3])
