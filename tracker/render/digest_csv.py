"""The full list of a long digest, as the CSV attached to its message. Pure.

UTF-8 with a byte-order mark and CRLF line ends, like ``tracker export csv``
(render/csv_export.py): Excel, which most offices open it with, reads
Vietnamese right only with the mark. Written row by row into one bytes buffer:
a coordinator's list after a mass import has hundreds of thousands of rows,
and no row object outlives its line.

No mail server takes a 69 MB attachment (600,000 rows; typical limits are
10-25 MB), so the file stops at ``[mail] max_attachment_bytes``: it is cut at a
whole row, the rows after the cut are only counted, and its last line says how
many were left out and how to get them all (``tracker export csv``, and the
recipient's web page when there is one). The buffer never outgrows the limit.
"""

from __future__ import annotations

import codecs
import csv
import io
import shlex
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime

from tracker.render.cells import safe_cell
from tracker.core.digest import DigestItem

COLUMNS = ("plan", "obligation", "title", "unit", "unit_name", "period", "stage", "due", "days_late")
# Rows that may be taken back to make room for the last line: a row is at least
# ~30 bytes, the line a few hundred; the smallest limit (config/settings.py) leaves room.
_UNDO = 256


def attachment_name(at: datetime, tz, language: str) -> str:
    """ASCII, so no mail client has to decode the name: ``cong-viec-2026-07-01.csv``."""
    stem = "cong-viec" if language == "vi" else "items"
    return f"{stem}-{at.astimezone(tz):%Y-%m-%d}.csv"


@dataclass(frozen=True)
class CsvCut:
    """What a cut attachment left out, for its last line and the message's body."""

    rows: int  # rows in the file (the header and the last line aside)
    omitted: int  # rows left out
    command: str  # the command that writes the full list
    link: str | None  # the recipient's web page, when [web] base_url is set


def export_command(plans: set[str], file_name: str) -> str:
    """``tracker export csv`` with the options that cover every row: the one plan
    the rows are about, or every plan. (Its table holds every assignment of the
    plan, the digest's rows among them, with their state and days late.)"""
    plan = f" --plan {shlex.quote(next(iter(plans)))}" if len(plans) == 1 else ""
    return f"tracker export csv{plan} -o {shlex.quote(file_name)}"


def cut_line(cut: CsvCut, language: str) -> str:
    """The attachment's last line when it was cut."""
    if language == "vi":
        text = (f"Tệp dừng ở giới hạn dung lượng của thư: còn {cut.omitted} dòng không có trong tệp. "
                f"Danh sách đầy đủ: {cut.command}")
        return text + (f" hoặc trang {cut.link}" if cut.link else "")
    text = (f"Cut at the mail size limit: {cut.omitted} more row{'s' if cut.omitted != 1 else ''} "
            f"are not in this file. The full list: {cut.command}")
    return text + (f" or {cut.link}" if cut.link else "")


class DigestCsv:
    """``add`` every item in the order they should be listed, then ``finish``.
    ``max_bytes``: the file's size limit, None for none."""

    def __init__(self, at: datetime, tz, max_bytes: int | None = None, language: str = "vi") -> None:
        self.tz, self.max_bytes, self.language = tz, max_bytes, language
        self.today: date = at.astimezone(tz).date()
        self._buffer = io.BytesIO()
        self._buffer.write(codecs.BOM_UTF8)
        self._line = io.StringIO()
        self._writer = csv.writer(self._line)
        self._starts: deque[int] = deque(maxlen=_UNDO)
        self._buffer.write(self._encode(COLUMNS))
        self.rows = 0  # rows written
        self.omitted = 0  # rows left out: every row after the first that did not fit
        self.plans: set[str] = set()  # of every row, written or not (a few codes)
        self.cut: CsvCut | None = None  # set by ``finish`` when rows were left out

    def _encode(self, cells) -> bytes:
        self._line.seek(0)
        self._line.truncate()
        self._writer.writerow(cells)
        return self._line.getvalue().encode("utf-8")

    def add(self, item: DigestItem) -> None:
        self.plans.add(item.plan)
        if self.omitted:  # cut at a whole row: what follows is only counted
            self.omitted += 1
            return
        due = item.due_at.astimezone(self.tz).date()
        late = (self.today - due).days
        row = self._encode(tuple(safe_cell(v) for v in (  # no cell may start a formula (render/cells.py)
            item.plan, item.obligation, item.title, item.unit, item.unit_name, item.period, item.stage,
            due.isoformat(), late if late > 0 and item.stage != "resolved" else "",
        )))
        if self.max_bytes is not None and self._buffer.tell() + len(row) > self.max_bytes:
            self.omitted = 1
            return
        self._starts.append(self._buffer.tell())
        self._buffer.write(row)
        self.rows += 1

    def finish(self, name: str = "", link: str | None = None) -> bytes:
        """The file. When rows were left out, its last line says how many and how to
        get them all (``name``: the file name the command writes; ``link``: the
        recipient's page); rows are taken back until that line fits too."""
        if self.omitted:
            command = export_command(self.plans, name or ("cong-viec.csv" if self.language == "vi" else "items.csv"))
            while True:
                self.cut = CsvCut(self.rows, self.omitted, command, link)
                line = self._encode((safe_cell(cut_line(self.cut, self.language)),) + ("",) * (len(COLUMNS) - 1))
                if self._buffer.tell() + len(line) <= self.max_bytes or not self._starts:
                    break
                self._buffer.seek(self._starts.pop())
                self._buffer.truncate()
                self.rows -= 1
                self.omitted += 1
            self._buffer.write(line)
        return self._buffer.getvalue()
