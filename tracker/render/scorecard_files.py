"""A scorecard as a spreadsheet (.xlsx, openpyxl) or CSV. Pure: data in, bytes out.

The workbook is what an office files for the emulation review: Vietnamese
headers, numbers as numbers, the rate as a percentage, dates as real Excel
dates, and the header row frozen so it stays on screen while scrolling.
Text cells are written as text, never as formulas: a unit name beginning with
"=" stays a name (openpyxl would otherwise store it as a formula).
"""

from __future__ import annotations

import csv
import io
from datetime import datetime

from tracker.render.cells import safe_cell
from tracker.core.scorecard import Line, Scorecard

UNIT_HEADERS = ("Xếp hạng", "Mã đơn vị", "Tên đơn vị", "Phải nộp", "Đã nộp", "Đúng hạn", "Trễ hạn", "Chưa nộp",
                "Chưa đến hạn", "Được miễn", "Tỷ lệ đúng hạn")
OBLIGATION_HEADERS = ("Xếp hạng", "Mã nhiệm vụ", "Tên báo cáo", "Phải nộp", "Đã nộp", "Đúng hạn", "Trễ hạn",
                      "Chưa nộp", "Chưa đến hạn", "Được miễn", "Tỷ lệ đúng hạn")
SHEETS = ("Đơn vị", "Báo cáo", "Thông tin")
_WIDTHS = (9, 22, 48, 10, 10, 10, 10, 10, 13, 11, 15)
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _values(line: Line) -> list:
    c = line.counts
    return [line.rank, line.key, line.name, c.expected, c.submitted, c.on_time, c.late, c.missing, c.pending,
            c.waived, c.on_time_rate]


def _info(card: Scorecard) -> list[tuple[str, object]]:
    return [
        ("Kỳ", card.words),
        ("Mã kỳ", card.period),
        ("Từ ngày", card.start),
        ("Đến ngày", card.end),
        ("Số liệu tính đến", card.as_of.replace(tzinfo=None)),  # Excel has no time zones: local time
        ("Tình trạng", "Tạm tính (kỳ chưa kết thúc)" if card.provisional else "Chính thức"),
        ("Kế hoạch", card.plan or "Tất cả"),
        ("Phải nộp", card.total.expected),
        ("Đúng hạn", card.total.on_time),
        ("Tỷ lệ đúng hạn", card.total.on_time_rate),
    ]


def render_xlsx(*cards: Scorecard) -> bytes:
    """One workbook: for each scorecard its units', reports' and information sheets (sheet
    names end with the period when there are several: a year's end mails Q4, H2 and the year).

    Written in openpyxl's write-only mode, row by row: a national programme's card has
    a row per unit (55,000), and the default mode kept a cell object for each (1.2M)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for card in cards:
        suffix = f" {card.period}" if len(cards) > 1 else ""
        _add_sheets(wb, card, suffix)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _add_sheets(wb, card: Scorecard, suffix: str) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    bold = Font(bold=True)

    def cell(ws, value, *, text: bool = False, font=None, number_format: str | None = None):
        c = WriteOnlyCell(ws, value)
        if text and isinstance(value, str):
            c.data_type = "s"  # text, never a formula
        if font is not None:
            c.font = font
        if number_format is not None:
            c.number_format = number_format
        return c

    for title, headers, lines in ((SHEETS[0], UNIT_HEADERS, card.units), (SHEETS[1], OBLIGATION_HEADERS, card.obligations)):
        ws = wb.create_sheet(title + suffix)
        ws.freeze_panes = "A2"
        for col, width in enumerate(_WIDTHS, start=1):
            ws.column_dimensions[chr(64 + col)].width = width
        ws.append([cell(ws, h, font=bold) for h in headers])
        for line in lines:
            values = _values(line)
            values[1] = cell(ws, values[1], text=True)
            values[2] = cell(ws, values[2], text=True)
            values[10] = cell(ws, values[10], number_format="0.0%")
            ws.append(values)
    info = wb.create_sheet(SHEETS[2] + suffix)
    info.column_dimensions["A"].width = 20
    info.column_dimensions["B"].width = 32
    for label, value in _info(card):
        if isinstance(value, datetime):
            shown = cell(info, value, number_format="dd/mm/yyyy hh:mm")
        elif hasattr(value, "isoformat"):
            shown = cell(info, value, number_format="dd/mm/yyyy")
        elif isinstance(value, float):
            shown = cell(info, value, number_format="0.0%")
        else:
            shown = cell(info, value, text=True)
        info.append((cell(info, label, font=bold), shown))


def render_csv(card: Scorecard) -> bytes:
    """The units' table (the first sheet), UTF-8 with a byte-order mark for Excel; the rate as a
    fraction with a dot (0.75), blank when nothing was expected."""
    buf = io.StringIO(newline="")
    writer = csv.writer(buf)
    writer.writerow(("Kỳ",) + UNIT_HEADERS)
    for line in card.units:
        writer.writerow([card.period] + ["" if v is None else (round(v, 4) if isinstance(v, float) else safe_cell(v))
                                         for v in _values(line)])  # no cell may start a formula (render/cells.py)
    return buf.getvalue().encode("utf-8-sig")
