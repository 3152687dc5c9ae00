"""The streamed workbook writer (render/xlsx_stream.py), read back with openpyxl as an office would."""

from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import load_workbook

from tracker.render.xlsx_stream import BOLD, PERCENT, Sheet, Styled, workbook


def _read(data: bytes):
    return load_workbook(io.BytesIO(data))


def test_cells_read_back_with_their_types_and_formats():
    rows = [[Styled("Mã", BOLD), Styled("Tỷ lệ", BOLD)],
            ["=SUM(A1)", Styled(2 / 3, PERCENT)],
            ["  lề <b>&", 7],
            [date(2025, 12, 31), datetime(2026, 1, 10, 9, 30)],
            [None, "a\x01b"]]
    wb = _read(workbook([Sheet("Đơn vị", (9, 22), freeze_header=True, rows=rows), Sheet("Thông tin")]))
    assert wb.sheetnames == ["Đơn vị", "Thông tin"]
    ws = wb["Đơn vị"]
    assert [[c.value for c in row] for row in ws.iter_rows()] == [
        ["Mã", "Tỷ lệ"], ["=SUM(A1)", 2 / 3], ["  lề <b>&", 7],
        [datetime(2025, 12, 31), datetime(2026, 1, 10, 9, 30)], [None, "ab"]]
    assert ws["A2"].data_type == "s"  # text, never a formula
    assert ws["A1"].font.b and not ws["A2"].font.b
    assert ws["B2"].number_format == "0.0%"
    assert ws["A4"].is_date and ws["A4"].number_format == "dd/mm/yyyy"
    assert ws["B4"].number_format == "dd/mm/yyyy hh:mm"
    assert ws.freeze_panes == "A2" and wb["Thông tin"].freeze_panes is None
    assert ws.column_dimensions["B"].width == 22
    assert wb["Thông tin"].max_row == 1 and wb["Thông tin"]["A1"].value is None  # an empty sheet


def test_a_hundred_thousand_rows_stream_into_one_file():
    rows = ([n, f"u{n:05d}", f"Ủy ban nhân dân xã số {n}", n % 7, 0.5] for n in range(100_000))
    ws = _read(workbook([Sheet("Đơn vị", rows=rows)]))["Đơn vị"]
    assert ws.max_row == 100_000
    assert [c.value for c in ws[100_000]] == [99_999, "u99999", "Ủy ban nhân dân xã số 99999", 99_999 % 7, 0.5]
