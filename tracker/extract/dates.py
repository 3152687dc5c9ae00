"""Date grammar of Vietnamese administrative plans.

Dates are written d/m, dd/mm/yyyy, dd/mm/yy, or spelled out ("ngày 18 tháng 02
năm 2021"); ranges as "15/11-15/12/2021", "15/11 – 15/12", "từ ngày 15/11/2022
đến ngày 15/12/2022", "từ ngày 15 tháng 11 đến ngày 15 tháng 12"; months as
"tháng 6"; quarters as "Quý I/2022".  This module only *finds and resolves*
dates; whether a date is an obligation is decided in `obligations.py`.

All patterns run on the cleaned text (markup already replaced by spaces), so
"**10/3/2021**" is seen as "  10/3/2021  ".
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

_SP = r"\s*"
# Numeric date: day/month with optional year.  The look-arounds keep document
# numbers ("2232/QĐ-TTg", "21-CT/TW") and longer digit runs out.
_NUM = r"(?<![\d/.])(\d{1,2}) ?/ ?(\d{1,2})(?: ?/ ?(\d{4}|\d{2})(?![\d/]))?(?![\d/]|\.\d)"
# Spelled date: "ngày 18 tháng 02 năm 2021", year optional.
_SPELLED = r"(?:[Nn]gày\s+)?(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s*(?:năm|/)\s*(\d{4}))?(?!\d)"

NUM_DATE = re.compile(_NUM)
SPELLED_DATE = re.compile(r"[Nn]gày\s+" + _SPELLED[len(r"(?:[Nn]gày\s+)?"):])
# Any single date, numeric or spelled (spelled needs the word "ngày" first).
ANY_DATE = re.compile(rf"{_NUM}|[Nn]gày\s+(\d{{1,2}})\s+tháng\s+(\d{{1,2}})(?:\s*(?:năm|/)\s*(\d{{4}}))?(?!\d)")

_DASH = r"\s*[-–—]\s*"
# "15/11-15/12/2021", "15/11/2022 - 15/12/2022", "15/11 – 15/12"
NUM_RANGE = re.compile(
    r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?" + _DASH + r"(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])"
)
# "từ ngày 15/11/2022 đến ngày 15/12/2022", "từ 15/11 đến 15/12/2020",
# "(từ ngày 15 tháng 11 đến ngày 15 tháng 12)"
_PART = r"(?:ngày\s+)?(?:(\d{1,2})/(\d{1,2})(?:/(\d{4}))?|(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?)"
WORD_RANGE = re.compile(r"[Tt]ừ\s+" + _PART + r"\s*(?:đến|tới)\s+(?:hết\s+)?" + _PART + r"(?![\d/])")
# The first day borrows month and year from the second date: "từ 01 - 07/9",
# "từ ngày 25 đến ngày 30/11/2024", "từ ngày 01 đến ngày 07 tháng 9 năm 2024".
DAY_RANGE = re.compile(
    r"[Tt]ừ\s+(?:ngày\s+)?(\d{1,2})\s*(?:[-–]|đến|tới)\s*(?:hết\s+)?(?:ngày\s+)?"
    r"(?:(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?|(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm\s+(\d{4}))?)"
    r"(?![\d/])")
# "trước ngày 20 hằng tháng": a monthly deadline.
MONTHLY_DAY = re.compile(
    r"(?:[Nn]gày\s+)(\d{1,2})\s+(?:của\s+)?(?:(?:hằng|hàng|mỗi|các)\s+tháng|tháng\s+(?P<next>sau|tiếp theo))"
    r"(?![\wÀ-ỹ])")
# "Báo cáo hằng tháng gửi trước ngày 20": a day alone in a sentence that says monthly.
DAY_ONLY = re.compile(r"(?:[Nn]gày\s+)(\d{1,2})(?!\d|[/.\-]\d|\s*(?:tháng|/|của|hằng|hàng|mỗi|các))")
MONTHLY_WORDS = re.compile(r"hằng tháng|hàng tháng|mỗi tháng|định kỳ tháng", re.I)
# "trước ngày 15 của tháng cuối quý", "trước ngày 10 tháng đầu quý sau": quarterly.
QUARTERLY_DAY = re.compile(
    r"(?:[Nn]gày\s+)(\d{1,2})\s+(?:của\s+)?tháng\s+(?:(?P<last>cuối)\s+(?:mỗi\s+|hằng\s+|hàng\s+|các\s+)?quý|"
    r"đầu\s+(?:của\s+)?quý\s+(?:sau|tiếp theo))(?![\wÀ-ỹ])")

# A month on its own: "tháng 6", "tháng 6/2022", "tháng 6 năm 2022" — but not
# the month of a spelled date ("ngày 15 tháng 11") nor "06 tháng" (a duration).
# The number may start the next line of wrapped text ("(tháng\n6)"), never a table's
# next row ("… quý |\n| 2 |", where the pipes are blanks in the cleaned text).
_GAP = r"(?:[^\S\n]+|[^\S\n]*\n(?=[\dIV]))"
MONTH = re.compile(r"\b[Tt]háng" + _GAP + r"(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))?(?![\d/])")

_ROMAN = {"I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
QUARTER = re.compile(r"\b[Qq]uý" + _GAP + r"(IV|III|II|I|[1-4])(?:\s*(?:/|năm)\s*(\d{4}))?(?![\w/])")


@dataclass(frozen=True)
class Found:
    """A date (or range) found in the text, resolved against the plan year."""

    start: int
    end: int
    first: date | None  # None when the written date does not exist
    last: date | None  # == first for a single date
    explicit_year: bool
    written: str  # the date as written, for review messages


def make_date(y: int | None, m: int, d: int) -> date | None:
    """A real date or None: never emit 31/2 or 29/2 of a common year."""
    if y is None:
        return None  # no year written and the plan's year is unknown
    if not (1 <= m <= 12 and 1 <= d <= 31 and 1900 <= y <= 2200):
        return None
    if d > calendar.monthrange(y, m)[1]:
        return None
    return date(y, m, d)


def _year(text: str | None, default: int | None) -> int | None:
    if not text:
        return default
    y = int(text)
    return 2000 + y if y < 100 else y


def single(m: re.Match[str], year: int, offset: int = 0) -> Found:
    """Resolve a NUM_DATE / ANY_DATE match."""
    g = [x for x in m.groups()]
    # ANY_DATE has 6 groups: numeric (1-3) or spelled (4-6).
    if len(g) == 6 and g[0] is None:
        g = g[3:]
    d, mo, y = int(g[0]), int(g[1]), g[2]
    yy = _year(y, year)
    dt = make_date(yy, mo, d)
    return Found(m.start() + offset, m.end() + offset, dt, dt, y is not None, m.group(0).strip())


def resolve_range(d1: int, m1: int, y1: str | None, d2: int, m2: int, y2: str | None,
                  year: int | None) -> tuple[date | None, date | None, bool]:
    """A range's bounds; a start without a year takes the end's year."""
    end_y = _year(y2, _year(y1, year))
    if y1:
        start_y = _year(y1, year)
    elif end_y is None:
        start_y = None
    else:
        start_y = end_y if (m1, d1) <= (m2, d2) else end_y - 1
    return make_date(start_y, m1, d1), make_date(end_y, m2, d2), bool(y1 or y2)


def ranges(text: str, year: int) -> list[Found]:
    """All date ranges in `text`, longest form first, without overlaps."""
    out: list[Found] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for m in WORD_RANGE.finditer(text):
        g = m.groups()
        a = g[0:3] if g[0] else g[3:6]
        b = g[6:9] if g[6] else g[9:12]
        f, l, ex = resolve_range(int(a[0]), int(a[1]), a[2], int(b[0]), int(b[1]), b[2], year)
        out.append(Found(m.start(), m.end(), f, l, ex, m.group(0)))
        taken.append((m.start(), m.end()))
    for m in DAY_RANGE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        g = m.groups()
        d2, m2, y2 = (g[1], g[2], g[3]) if g[1] else (g[4], g[5], g[6])
        f, l, ex = resolve_range(int(g[0]), int(m2), None, int(d2), int(m2), y2, year)
        out.append(Found(m.start(), m.end(), f, l, ex, m.group(0)))
        taken.append((m.start(), m.end()))
    for m in NUM_RANGE.finditer(text):
        if not free(m.start(), m.end()):
            continue
        g = m.groups()
        f, l, ex = resolve_range(int(g[0]), int(g[1]), g[2], int(g[3]), int(g[4]), g[5], year)
        out.append(Found(m.start(), m.end(), f, l, ex, m.group(0)))
        taken.append((m.start(), m.end()))
    return sorted(out, key=lambda x: x.start)


def singles(text: str, year: int, skip: list[tuple[int, int]]) -> list[Found]:
    """Single dates not inside any span of `skip` (ranges already taken)."""
    out = []
    for m in ANY_DATE.finditer(text):
        if any(not (m.end() <= a or m.start() >= b) for a, b in skip):
            continue
        out.append(single(m, year))
    return out


def month_bounds(year: int, month: int) -> tuple[date, date] | None:
    if not 1 <= month <= 12:
        return None
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_bounds(year: int, q: int) -> tuple[date, date]:
    first = date(year, 3 * (q - 1) + 1, 1)
    last_month = 3 * q
    return first, date(year, last_month, calendar.monthrange(year, last_month)[1])


def quarter_number(token: str) -> int:
    return _ROMAN[token.upper()]


def spelled_to_date(day: str, month: str, year: str) -> date | None:
    try:
        return make_date(int(year), int(month), int(day))
    except ValueError:
        return None
