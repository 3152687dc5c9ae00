"""A scorecard as a spreadsheet (.xlsx) or CSV. Pure: data in, bytes out.

The workbook is what an office files for the emulation review: Vietnamese
headers, numbers as numbers, the rate as a percentage, dates as real Excel
dates, and the header row frozen so it stays on screen while scrolling.
Text cells are written as text, never as formulas: a unit name beginning with
"=" stays a name.
"""

from __future__ import annotations

import csv
import io

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

    Streamed row by row (render/xlsx_stream.py): a national programme's card has a row
    per unit (55,000), 1.2M cells at a half-year's end."""
    from tracker.render.xlsx_stream import workbook

    sheets = []
    for card in cards:
        suffix = f" {card.period}" if len(cards) > 1 else ""
        sheets += _sheets(card, suffix)
    return workbook(sheets)


def _sheets(card: Scorecard, suffix: str) -> list:
    from tracker.render.xlsx_stream import BOLD, PERCENT, Sheet, Styled

    def table(headers: tuple[str, ...], lines: list[Line]):
        yield [Styled(h, BOLD) for h in headers]
        for line in lines:
            values = _values(line)
            values[10] = Styled(values[10], PERCENT)
            yield values

    info = [(Styled(label, BOLD), Styled(value, PERCENT) if isinstance(value, float) else value)
            for label, value in _info(card)]
    return [
        Sheet(SHEETS[0] + suffix, _WIDTHS, freeze_header=True, rows=table(UNIT_HEADERS, card.units)),
        Sheet(SHEETS[1] + suffix, _WIDTHS, freeze_header=True, rows=table(OBLIGATION_HEADERS, card.obligations)),
        Sheet(SHEETS[2] + suffix, (20, 32), rows=info),
    ]


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
