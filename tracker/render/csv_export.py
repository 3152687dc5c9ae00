"""The status table as CSV: the rows of ``tracker status --json``, one per line. Pure."""

from __future__ import annotations

import csv
import io
from typing import Iterable

from tracker.core.status import StatusRow
from tracker.render.cells import safe_cell

COLUMNS = ("plan", "obligation", "title", "unit", "unit_name", "period", "due", "state", "submitted_at",
           "days_late", "data_from", "data_to")


def render_csv(rows: Iterable[StatusRow]) -> bytes:
    """UTF-8 with a byte-order mark: without it Excel reads the file as the
    local ANSI code page and Vietnamese turns into mojibake. CRLF line ends (the
    csv module's default, RFC 4180) for the same readers."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(COLUMNS)
    for row in rows:
        data = row.to_json()  # same values as the JSON contract: ISO 8601 local times
        # A title or a unit name starting with "=" must not become a formula in Excel.
        writer.writerow(["" if data[c] is None else safe_cell(data[c]) for c in COLUMNS])
    return buf.getvalue().encode("utf-8-sig")
