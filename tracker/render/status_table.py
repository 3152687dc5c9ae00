"""The status table for people: Vietnamese headers, periods in words and dates a
spreadsheet reads as dates, as CSV or .xlsx. Pure (plain rows in, bytes out).
``tracker export csv --columns raw`` keeps the contract shape (csv_export)."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Any, Iterable

from tracker.core.periods import period_words
from tracker.core.status import StatusRow
from tracker.render.cells import safe_cell
from tracker.render.vi import STATE

HEADERS = ("Kế hoạch", "Mã công việc", "Công việc", "Mã đơn vị", "Đơn vị", "Kỳ", "Hạn nộp", "Trạng thái",
           "Ngày nộp", "Số ngày chậm", "Số liệu từ ngày", "Số liệu đến ngày")


def cells(row: StatusRow) -> list[Any]:
    """One row as values: dates as dates, the period in words, the state in Vietnamese."""
    try:
        period = period_words(row.period)
    except ValueError:
        period = row.period
    submitted = row.submitted_at.replace(tzinfo=None, second=0, microsecond=0) if row.submitted_at else None
    return [row.plan, row.obligation, row.title, row.unit, row.unit_name, period, row.due.date(),
            STATE.get(row.state, row.state), submitted, row.days_late or None,
            row.data_period.start if row.data_period else None, row.data_period.end if row.data_period else None]


def text_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M}"  # ISO: read as a date and time in every locale
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return safe_cell(str(value))


def render_csv_vi(rows: Iterable[StatusRow]) -> bytes:
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(HEADERS)
    for row in rows:
        writer.writerow([text_cell(v) for v in cells(row)])
    return buf.getvalue().encode("utf-8-sig")


def render_xlsx(rows: Iterable[StatusRow]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Tình hình thực hiện"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, row in enumerate(rows, start=2):
        for col, value in enumerate(cells(row), start=1):
            cell = sheet.cell(row=n, column=col)
            cell.value = value
            if isinstance(value, str):
                cell.data_type = "s"  # never a formula, whatever the text starts with
            elif isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
    sheet.freeze_panes = "A2"
    for col, width in zip("ABCDEFGHIJKL", (14, 18, 50, 14, 36, 22, 12, 14, 16, 10, 14, 14)):
        sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
