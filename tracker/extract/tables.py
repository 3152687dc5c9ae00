"""Tables of duties: "| STT | Nội dung | Đơn vị chủ trì | Thời hạn |".

Plans often list reports or activities as a table (markdown pipes after
conversion).  In running text the words around a date say what it is; in a
table the *column* says it: a bare "20/12/2026" under "Thời hạn" is a deadline,
"Quý II/2026" under "Thời gian thực hiện" is when the row's activity happens,
and the row's "Nội dung" cell is the title, its "Đơn vị chủ trì" cell the lead
unit.  This module finds such tables and gives each cell its column's role.

Only tables whose header row names at least one known column are used; other
pipe layouts (a two-column letterhead, a "Nơi nhận" block) have no roles.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from .names import ascii_fold

# Column roles from header words (ascii-folded), first match wins.
_ROLES = [
    ("note", r"ghi chu"),
    ("index", r"^(?:stt|tt|so tt)$"),
    ("partner", r"phoi hop"),
    ("deadline", r"thoi han|\bhan\b|han (?:nop|gui|hoan thanh)"),
    # "Thời gian hoàn thành": a bare date is when the row's work is due, a month or
    # a quarter when it is done.
    ("completion", r"hoan thanh"),
    ("time", r"thoi gian|thoi diem|\bngay\b|tien do|\bky\b"),
    ("lead", r"chu tri|don vi|co quan"),
    ("content", r"noi dung|hoat dong|cong viec|nhiem vu|bao cao|\bten\b|chuong trinh"),
    ("lead", r"trach nhiem|thuc hien"),
]
_SEPARATOR = re.compile(r"^[\s|:\-=+]*$")


@dataclass(frozen=True)
class Cell:
    start: int
    end: int
    role: str | None


@dataclass
class Row:
    start: int
    end: int
    cells: list[Cell]

    def cell(self, role: str) -> Cell | None:
        return next((c for c in self.cells if c.role == role), None)


@dataclass
class Tables:
    rows: list[Row] = field(default_factory=list)
    _starts: list[int] = field(default_factory=list)

    def row_at(self, offset: int) -> Row | None:
        i = bisect_right(self._starts, offset) - 1
        if i >= 0 and self.rows[i].start <= offset < self.rows[i].end:
            return self.rows[i]
        return None

    def cell_at(self, offset: int) -> tuple[Row, Cell] | None:
        row = self.row_at(offset)
        if row is None:
            return None
        for c in row.cells:
            if c.start <= offset < c.end:
                return row, c
        return None


def role_of(header: str) -> str | None:
    h = re.sub(r"[^a-z0-9 ]+", " ", ascii_fold(header).lower())
    h = re.sub(r"\s+", " ", h).strip()
    if not h:
        return None
    for role, pat in _ROLES:
        if re.search(pat, h):
            return role
    return None


def _cells(raw: str, s: int, e: int) -> list[tuple[int, int]]:
    """Cell spans of a pipe row (between pipes, markup kept)."""
    line = raw[s:e]
    bars = [i for i, ch in enumerate(line) if ch == "|"]
    if not line.strip().startswith("|"):
        bars = [-1] + bars  # no left border: the first cell opens the line
    if not line.rstrip().endswith("|"):
        bars.append(len(line))
    return [(s + a + 1, s + b) for a, b in zip(bars, bars[1:])]


def find_tables(raw: str, lines: list[tuple[int, int, str]]) -> Tables:
    out = Tables()
    i = 0
    while i < len(lines):
        s, e, _ = lines[i]
        if raw[s:e].count("|") < 2:
            i += 1
            continue
        block = []
        while i < len(lines) and raw[lines[i][0]:lines[i][1]].count("|") >= 2:
            block.append(lines[i])
            i += 1
        header, *body = block
        roles = [role_of(raw[a:b]) for a, b in _cells(raw, header[0], header[1])]
        if not any(r in ("deadline", "time", "completion", "lead", "content") for r in roles):
            continue
        for s, e, _ in body:
            if _SEPARATOR.match(raw[s:e]):
                continue
            spans = _cells(raw, s, e)
            cells = [Cell(a, b, roles[k] if k < len(roles) else None) for k, (a, b) in enumerate(spans)]
            out.rows.append(Row(s, e, cells))
    out._starts = [r.start for r in out.rows]
    return out
