"""The coordinator's report: one self-contained HTML page. Pure: data in, bytes out.

The geometry of the charts (inline SVG) is computed here and the template only
places it, so the template stays declarative and the numbers are testable.
Nothing is fetched from the network: styles are inline, charts are SVG, and
system fonts are used, so the page works offline and as a mail attachment.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from tracker.render import vi
from tracker.core.report import ObligationInfo, ReportData
from tracker.core.status import StatusRow
from tracker.core.states import Kind, Status

TEMPLATE_DIR = Path(__file__).parent / "templates"
TEMPLATE = "report.html.j2"
# Drawing units of the SVG viewBoxes; the browser scales them to the page.
CHART_WIDTH = 1000
LABEL_WIDTH = 300
BAR_WIDTH = 520
LANE = 24
AXIS = 30


@dataclass
class UnitRate:
    code: str
    name: str
    counts: dict[str, int] = field(default_factory=lambda: {s: 0 for s in vi.STATE})

    @property
    def due(self) -> int:
        """Assignments whose deadline has passed or that were handed in: the base of the rate.
        A returned report counts as not done (offices count it so)."""
        return (self.counts[Status.SUBMITTED] + self.counts[Status.LATE] + self.counts[Status.OVERDUE]
                + self.counts[Status.RETURNED])

    @property
    def rate(self) -> float | None:
        return self.counts[Status.SUBMITTED] / self.due if self.due else None

    @property
    def percent(self) -> str:
        return "—" if self.rate is None else f"{round(self.rate * 100)}%"

    def segments(self) -> list[tuple[str, float, float]]:
        """(state, x, width) of the stacked bar, in drawing units."""
        out, x = [], 0.0
        for state in (Status.SUBMITTED, Status.LATE, Status.OVERDUE, Status.RETURNED):
            if self.counts[state]:
                w = BAR_WIDTH * self.counts[state] / self.due
                out.append((state, x, w))
                x += w
        return out


@dataclass(frozen=True)
class Marker:
    x: float
    state: str
    label: str  # the tooltip and accessible text


@dataclass(frozen=True)
class Lane:
    label: str
    title: str  # full text of a label that may be shortened
    kind: str  # unit | window | event
    markers: tuple[Marker, ...] = ()
    span: tuple[float, float] | None = None  # windows: x, width
    # The dates written next to a window or event, so the chart reads without hovering (and on paper).
    note: str = ""
    note_x: float = 0.0
    note_anchor: str = "start"


@dataclass(frozen=True)
class Column:
    """One deadline (obligation and period) of the year: a column of the matrix."""

    plan: str
    obligation: str
    period: str
    title: str
    short: str
    due: datetime


def render_html(data: ReportData) -> bytes:
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        # Unit names, titles and source phrases are user data: escape everything.
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["d"] = vi.fmt_date
    env.filters["day"] = vi.fmt_day
    env.filters["num"] = lambda v: f"{v:.1f}".rstrip("0").rstrip(".")
    return env.get_template(TEMPLATE).render(**context(data)).encode("utf-8")


def context(data: ReportData) -> dict:
    year = report_year(data)
    deadlines = data.deadlines
    rates = unit_rates(deadlines)
    totals = {s: sum(r.counts[s] for r in rates) for s in vi.STATE}
    due = totals[Status.SUBMITTED] + totals[Status.LATE] + totals[Status.OVERDUE]
    overdue = sorted((r for r in deadlines if r.state == Status.OVERDUE),
                     key=lambda r: (-r.days_late, r.due, r.unit_name, r.obligation))
    columns = year_columns(deadlines, year)
    cells = {(r.plan, r.obligation, r.period, r.unit): r for r in deadlines}
    lanes = timeline_lanes(data, year)
    return {
        "data": data, "year": year, "plans": data.plans, "now": data.now,
        "states": vi.STATE, "kinds": vi.KIND, "totals": totals, "total": sum(totals.values()),
        "overall": f"{round(100 * totals['submitted'] / due)}%" if due else "—", "due_count": due,
        "rates": rates, "overdue": overdue, "columns": columns, "cells": cells, "units": data.units,
        "lanes": lanes, "months": month_ticks(year), "today_x": _today_x(data.now, year),
        "ticks": deadline_ticks(columns, year),
        "bands": [lane.span for lane in lanes if lane.span],
        "chart": {"width": CHART_WIDTH, "label": LABEL_WIDTH, "bar": BAR_WIDTH, "lane": LANE, "axis": AXIS,
                  "rates_height": AXIS + LANE * max(len(rates), 1) + 8,
                  "lanes_bottom": AXIS + LANE * max(len(lanes), 1),
                  "timeline_height": AXIS + LANE * max(len(lanes), 1) + 26},
        "sources": source_rows(data),
        "state_phrase": vi.state_phrase,
    }


def report_year(data: ReportData) -> int:
    """The plan's year for one plan, else the year of ``now``."""
    if len(data.plans) == 1:
        return data.plans[0].year
    return data.now.year


def unit_rates(rows: list[StatusRow]) -> list[UnitRate]:
    by_unit: dict[str, UnitRate] = {}
    for r in rows:
        by_unit.setdefault(r.unit, UnitRate(r.unit, r.unit_name)).counts[r.state] += 1
    # Best first, as a ranking; units with nothing due yet go last.
    return sorted(by_unit.values(), key=lambda u: (u.rate is None, -(u.rate or 0), -u.due, u.name))


def year_columns(rows: list[StatusRow], year: int) -> list[Column]:
    seen: dict[tuple[str, str, str], Column] = {}
    for r in rows:
        if r.due.year == year and (r.plan, r.obligation, r.period) not in seen:
            seen[(r.plan, r.obligation, r.period)] = Column(r.plan, r.obligation, r.period, r.title,
                                                             short_title(r.title), r.due)
    return sorted(seen.values(), key=lambda c: (c.due, c.plan, c.obligation))


def short_title(title: str, limit: int = 34) -> str:
    """Cut at a word boundary: column heads and chart labels have little room."""
    if len(title) <= limit:
        return title
    cut = title[:limit].rsplit(" ", 1)[0]
    return cut.rstrip(",;:–- ") + "…"


def _x(day: date, year: int) -> float:
    start = date(year, 1, 1)
    length = (date(year + 1, 1, 1) - start).days
    return LABEL_WIDTH + (CHART_WIDTH - LABEL_WIDTH - 10) * (day - start).days / length


def _today_x(now: datetime, year: int) -> float | None:
    return _x(now.date(), year) if now.year == year else None


def month_ticks(year: int) -> list[tuple[float, str]]:
    return [(_x(date(year, m, 1), year), vi.MONTH_SHORT[m - 1]) for m in range(1, 13)]


def timeline_lanes(data: ReportData, year: int) -> list[Lane]:
    """Windows and events first (one lane each), then one lane per unit with
    its deadlines of the year as markers coloured and shaped by state."""
    lanes: list[Lane] = []
    seen: set[tuple[str, str]] = set()
    for r in data.rows:
        if r.kind == Kind.DEADLINE or r.due.year != year or (r.plan, r.obligation) in seen:
            continue
        seen.add((r.plan, r.obligation))
        start = r.due.date()
        if r.kind == Kind.WINDOW:
            end = min(r.ends.date() if r.ends else start, date(year, 12, 31))
            x0 = _x(start, year)
            width = max(_x(end + timedelta(days=1), year) - x0, 2.0)
            text = f"{r.title}: {vi.fmt_date(start)} – {vi.fmt_date(end)}"
            note = f"{start:%d/%m} – {end:%d/%m}"
            lanes.append(Lane(short_title(r.title, 40), text, "window", span=(x0, width), note=note,
                              **_note_place(x0, x0 + width)))
        else:
            text = f"{r.title}: {vi.fmt_day(start)}"
            x = _x(start, year)
            lanes.append(Lane(short_title(r.title, 40), text, "event", markers=(Marker(x, "event", text),),
                              note=f"{start:%d/%m}", **_note_place(x - 8, x + 8)))
    markers: dict[str, list[Marker]] = defaultdict(list)
    for r in data.deadlines:
        if r.due.year == year:
            text = (f"{r.unit_name} – {r.title} ({r.period}): hạn {vi.fmt_date(r.due)}, "
                    f"{vi.state_phrase(r.state, r.days_late)}")
            markers[r.unit].append(Marker(_x(r.due.date(), year), r.state, text))
    for code, name in sorted(data.units.items(), key=lambda kv: kv[1]):
        if code in markers:
            lanes.append(Lane(short_title(name, 40), name, "unit", markers=tuple(markers[code])))
    return lanes


def _note_place(left: float, right: float) -> dict:
    """Right of the mark, or left of it near the end of the year where there is no room."""
    if right + 90 < CHART_WIDTH:
        return {"note_x": right + 6, "note_anchor": "start"}
    return {"note_x": left - 6, "note_anchor": "end"}


def deadline_ticks(columns: list[Column], year: int) -> list[tuple[float, str]]:
    """Date labels under the timeline, one per deadline day; a label too close to
    the previous one is left out (the table below has every date)."""
    ticks: list[tuple[float, str]] = []
    for day in sorted({c.due.date() for c in columns}):
        x = _x(day, year)
        if not ticks or x - ticks[-1][0] >= 44:
            ticks.append((x, f"{day:%d/%m}"))
    return ticks


@dataclass(frozen=True)
class SourceRow:
    ob: ObligationInfo
    rule: str  # "trước ngày 30/5/2021"
    when: str  # the computed date(s) of the report year
    parts: list[tuple[str, bool]]


def source_rows(data: ReportData) -> list[SourceRow]:
    """Every obligation with the phrase of the plan it comes from, and the date
    the rules made of it (so a reader can check a shifted deadline)."""
    year = report_year(data)
    first: dict[tuple[str, str], StatusRow] = {}
    for r in data.rows:
        key = (r.plan, r.obligation)
        if key not in first or (first[key].due.year != year and r.due.year == year):
            first[key] = r
    out = []
    for key, ob in sorted(data.obligations.items(), key=lambda kv: (kv[0][0], kv[1].position)):
        r = first.get(key)
        out.append(SourceRow(ob, vi.rule_phrase(ob.kind, ob.strict_before, ob.due_text), _when(r) if r else "chưa có đơn vị được giao",
                             vi.source_parts(ob.source)))
    return out


def _when(r: StatusRow) -> str:
    if r.kind == Kind.DEADLINE:
        return f"hạn cuối 23:59 {vi.fmt_day(r.due)}" if r.due.second else f"hạn cuối {vi.fmt_instant(r.due)}"
    if r.kind == Kind.WINDOW and r.ends:
        return f"{vi.fmt_day(r.due)} – {vi.fmt_day(r.ends)}"
    return vi.fmt_day(r.due)
