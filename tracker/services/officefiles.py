"""Read a table file as an office saved it: .csv/.txt in any of Excel's
encodings and separators, or .xlsx (openpyxl), as CSV text the parsers read
with the same line numbers."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from tracker.core.errors import InputError
from tracker.core.tabletext import Decoded, decode_text, file_kind, not_a_plan, not_a_table

_TABLE_HINT = "save it in Excel as 'CSV UTF-8', or give its encoding with --encoding NAME"


def read_bytes(path: str | Path, max_bytes: int | None = None) -> bytes:
    """The file's bytes; larger than ``max_bytes`` (tracker.max_input_bytes) is refused unread."""
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError("is a folder, not a file", str(path))
        size = p.stat().st_size
        if max_bytes is not None and size > max_bytes:
            raise InputError(f"{size} bytes is more than tracker.max_input_bytes ({max_bytes}); "
                             "is this the right file?", str(path))
        return p.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", str(path)) from None


def read_table(path: str | Path, encoding: str | None = None, max_bytes: int | None = None) -> Decoded:
    """A table (units, submissions): an .xlsx workbook, by its content whatever its
    name, as CSV text; else text by the decoding rule of core/tabletext.py."""
    data = read_bytes(path, max_bytes)
    kind = file_kind(data)
    if kind == "xlsx":
        return Decoded(xlsx_as_csv(data, str(path)), "xlsx")
    if kind is not None:
        raise InputError(not_a_table(kind, str(path)))
    return decode_text(data, str(path), encoding, hint=_TABLE_HINT)


def read_plan_text(path: str | Path, max_bytes: int | None = None) -> Decoded:
    """A plan file (YAML text); a Word, PDF, Excel or zip file is named, with what to do."""
    data = read_bytes(path, max_bytes)
    kind = file_kind(data)
    if kind is not None:
        raise InputError(not_a_plan(kind, str(path)))
    return decode_text(data, str(path))


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
