"""Dates in a table of duties: the column says what a date is.

A bare "20/12/2026" under "Thời hạn" is a deadline, "Quý II/2026" under "Thời
gian thực hiện" is when the row's activity happens; the row's "Nội dung" cell
is the title and its "Đơn vị chủ trì" cell the lead unit (`tables.py` gives the
cells their roles).
"""

from __future__ import annotations

import re

from . import dates as D
from .clauses import deadline_title, extend_markup, make_title, skip_bullet
from .mention import CHAINED, DEADLINE_KW, YEARLY, Findings, Mention, year_note
from .tables import Cell, Row
from .text import Doc, collapse

# A row done on a day it celebrates ("… nhân Ngày Gia đình Việt Nam") is an event,
# even under "Thời gian hoàn thành".
_OCCASION = re.compile(r"(?:nhân dịp|nhân|kỷ niệm|chào mừng|hưởng ứng)\s+(?:[Nn]gày|NGÀY)\s+[A-ZĐÀ-Ỹ]|"
                       r"\b(?:[Nn]gày|NGÀY)\s+(?:Quốc tế|Gia đình|Phụ nữ|Dân số|Thế giới)")


def cell_start(doc: Doc, pos: int) -> int | None:
    hit = doc.tables.cell_at(pos)
    return hit[1].start if hit else None


def timed_cell(doc: Doc, pos: int) -> tuple[Row, Cell] | None:
    """The (row, cell) when `pos` is in a table's time or deadline column."""
    hit = doc.tables.cell_at(pos)
    return hit if hit and hit[1].role in ("deadline", "time", "completion") else None


def row_subject(doc: Doc, row: Row, cell: Cell) -> tuple[int, str, str | None]:
    """Where a row's phrase starts, its title (the content cell) and its lead unit."""
    content = row.cell("content") or max(
        (c for c in row.cells if c is not cell and c.role not in ("index", "note")),
        key=lambda c: len(doc.clean[c.start:c.end].strip()), default=None)
    lead_cell = row.cell("lead")
    lead = collapse(doc.clean[lead_cell.start:lead_cell.end]).strip(" .,;") if lead_cell else ""
    if content is None:
        return skip_bullet(doc, cell.start, cell.end), "", lead or None
    text = collapse(doc.clean[content.start:content.end])
    start = skip_bullet(doc, min(content.start, cell.start), cell.end)
    return start, text, lead or None


def table_window(doc: Doc, f: D.Found, hit: tuple[Row, Cell], category: str, recurrence: str,
                  year: int, out: Findings) -> None:
    assert f.first and f.last
    row, cell = hit
    start, title, lead = row_subject(doc, row, cell)
    year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="window", category=category, first=f.first, last=f.last,
        title=make_title(title) or "Khoảng thời gian", source=doc.phrase(start, extend_markup(doc, f.end)),
        line=doc.line_of(f.start), pos=f.start, recurrence=recurrence, lead=lead, activity=True))


def table_date(doc: Doc, f: D.Found, hit: tuple[Row, Cell], year: int, out: Findings) -> None:
    """A date in a time/deadline column: the column and the cell's words say what it is."""
    assert f.first
    row, cell = hit
    before = doc.clean[cell.start:f.start]
    if doc.clean[f.start:f.end].lower().startswith("ngày"):
        before += "ngày "
    start, title, lead = row_subject(doc, row, cell)
    kw = DEADLINE_KW.search(before) or CHAINED.search(before)
    end = extend_markup(doc, f.end)
    line = doc.line_of(f.start)
    year_note(doc, f, year, out)
    completion = cell.role == "completion" and not _OCCASION.search(title)
    if kw or cell.role == "deadline" or completion:
        low = title.lower()
        category = "report" if "báo cáo" in low else "plan_submission" if "kế hoạch" in low else "other"
        out.mentions.append(Mention(
            kind="deadline", category=category, first=f.first, last=f.first,
            title=deadline_title(title) or make_title(title) or "Hạn", source=doc.phrase(start, end),
            line=line, pos=f.start, strict=bool(kw) and kw.group("kw").lower() == "trước",
            recurrence="yearly" if YEARLY.search(title) else "none", lead=lead))
        return
    written = collapse(doc.clean[f.start:f.end])
    out.mentions.append(Mention(
        kind="event", category="event", first=f.first, last=f.first,
        title=make_title(title) or written, source=doc.phrase(start, end), line=line, pos=f.start,
        recurrence="none", lead=lead, activity=True))
    out.review.append((line, f"\"{written}\" in the table's time column taken as a one-off event; check it"))


