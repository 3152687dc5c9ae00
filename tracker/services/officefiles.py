"""Read a table file as an office saved it: .csv/.txt in any of Excel's
encodings and separators, or .xlsx (openpyxl), as CSV text the parsers read
with the same line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tracker.core.errors import InputError
from tracker.core.tabletext import decode_table


def read_table(path: str | Path, encoding: str | None = None) -> str:
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from None
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return xlsx_as_csv(data, str(path))
    return decode_table(data, str(path), encoding)


def xlsx_as_csv(data: bytes, filename: str) -> str:
    """The first sheet as CSV text (row n of the sheet is line n)."""
    import zipfile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise InputError(f"not a readable .xlsx workbook ({type(exc).__name__}): save it again from Excel",
                         filename) from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for row in book.worksheets[0].iter_rows(values_only=True):
        writer.writerow(["" if v is None else _cell(v) for v in row])
    book.close()
    return out.getvalue()


def _cell(value) -> str:
    from datetime import datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M") if (value.hour, value.minute) != (0, 0) else f"{value:%Y-%m-%d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
