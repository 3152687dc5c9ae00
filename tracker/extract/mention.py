"""What the date finders produce: a dated mention, and the shared helpers.

A `Mention` is one date (or range) that the text attaches to a duty: its kind,
category, title, source phrase and position.  The finders (`obligations.py`
for running text, `table_dates.py` for table cells, `periods.py` for months and
quarters) all append to one `Findings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from . import dates as D
from .text import Doc, Para, collapse


@dataclass
class Mention:
    kind: str  # deadline | window | event
    category: str  # report | plan_submission | window | event | quarterly_item | other
    first: date
    last: date
    title: str
    source: str
    line: int
    pos: int  # offset of the date in the text (for unit attribution)
    strict: bool = False
    recurrence: str = "none"
    lead: str | None = None  # the lead unit as written in a table's "chủ trì" column
    # An activity dated by the period it takes (a table row, "trong tháng 11"): two
    # activities in one month are two obligations, unlike two mentions of one window.
    activity: bool = False


@dataclass
class Findings:
    mentions: list[Mention]
    review: list[tuple[int, str]]  # (line, message)


DEADLINE_KW = re.compile(
    r"(?<![\wÀ-ỹ])(?P<kw>trước|chậm\s+nhất|muộn\s+nhất|không\s+muộn\s+hơn|không\s+quá|hạn\s+chót|"
    r"hạn\s+cuối|hạn\s+nộp|thời\s+hạn|hạn|đến\s+hết)\s*(?:là|vào)?\s*:?\s*(?:ngày)?\s*$",
    re.I,
)
# "trước ngày 20/6/2023 và 20/12/2023", "trước ngày 15/3, 15/6, 15/9 và 15/12":
# every date of the list shares the keyword.
CHAINED = re.compile(
    r"(?<![\wÀ-ỹ])(?P<kw>trước|chậm\s+nhất|hạn)\s*(?:là|vào)?\s*(?:ngày)?\s*"
    r"(?:\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*(?:và|hoặc|,|;)\s*(?:ngày\s*)?){1,11}$", re.I)
YEARLY = re.compile(r"hàng năm|hằng năm", re.I)
ACTION_MONTH = re.compile(r"[Tt]háng\s+(?:hành động|cao điểm)", re.I)


def inside(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(not (e <= a or s >= b) for a, b in spans)


def para_of(doc: Doc, pos: int) -> Para:
    p = doc.para_at(pos)
    return p if p is not None else Para(0, len(doc.clean), 1)


def bad_date(doc: Doc, f: D.Found, out: Findings, year: int | None = 0) -> bool:
    if f.first is None or f.last is None:
        why = ("has no year and the plan's year is unknown" if year is None and not f.explicit_year
               else "is not a real date")
        out.review.append((doc.line_of(f.start), f"\"{collapse(f.written)}\" {why}; "
                           "no obligation was made from it"))
        return True
    return False


def close_paren(doc: Doc, start: int, end: int) -> int:
    """Include a ")" that closes a "(" opened inside the phrase."""
    seg = doc.clean[start:end]
    if seg.count("(") > seg.count(")"):
        m = re.match(r"\s*\)", doc.clean[end:end + 4])
        if m:
            return end + m.end()
    return end


def year_note(doc: Doc, f: D.Found, year: int, out: Findings) -> None:
    if f.explicit_year and f.first and f.last and year not in (f.first.year, f.last.year):
        out.review.append((doc.line_of(f.start), f"\"{collapse(f.written)}\" is in {f.last.year}, "
                           f"not the plan's year {year}; kept as written"))


