"""The full list of a long digest, as the CSV attached to its message. Pure.

UTF-8 with a byte-order mark and CRLF line ends, like ``tracker export csv``
(render/csv_export.py): Excel, which most offices open it with, reads
Vietnamese right only with the mark. Written row by row into one bytes buffer:
a coordinator's list after a mass import has hundreds of thousands of rows,
and no row object outlives its line.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime

from tracker.render.cells import safe_cell
from tracker.core.digest import DigestItem

COLUMNS = ("plan", "obligation", "title", "unit", "unit_name", "period", "stage", "due", "days_late")


def attachment_name(at: datetime, tz, language: str) -> str:
    """ASCII, so no mail client has to decode the name: ``cong-viec-2026-07-01.csv``."""
    stem = "cong-viec" if language == "vi" else "items"
    return f"{stem}-{at.astimezone(tz):%Y-%m-%d}.csv"


class DigestCsv:
    """``add`` every item in the order they should be listed, then ``finish``."""

    def __init__(self, at: datetime, tz) -> None:
        self.tz = tz
        self.today: date = at.astimezone(tz).date()
        self._buffer = io.BytesIO()
        self._text = io.TextIOWrapper(self._buffer, encoding="utf-8-sig", newline="", write_through=False)
        self._writer = csv.writer(self._text)
        self._writer.writerow(COLUMNS)
        self.rows = 0

    def add(self, item: DigestItem) -> None:
        due = item.due_at.astimezone(self.tz).date()
        late = (self.today - due).days
        self._writer.writerow(tuple(safe_cell(v) for v in (  # no cell may start a formula (render/cells.py)
            item.plan, item.obligation, item.title, item.unit, item.unit_name, item.period, item.stage,
            due.isoformat(), late if late > 0 and item.stage != "resolved" else "",
        )))
        self.rows += 1

    def finish(self) -> bytes:
        self._text.flush()
        data = self._buffer.getvalue()
        self._text.detach()
        return data
