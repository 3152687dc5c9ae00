"""Text tables as offices save them. Pure: bytes in, text out.

Excel's "Unicode Text" is UTF-16 with a byte-order mark and tab-separated;
"CSV UTF-8" has a UTF-8 BOM; a Vietnamese Windows saves "CSV" in Windows-1258
with semicolons where the decimal comma is in use. A Word document, a zip or a
PDF given where a table is expected is named as such, with what to do.
"""

from __future__ import annotations

import codecs

from tracker.core.errors import InputError

_SIGNATURES = (
    (b"%PDF", "a PDF document, not a table: export the table from the original as CSV or .xlsx"),
    (b"\xd0\xcf\x11\xe0", "an old Office file (.doc or .xls): open it and save it as .xlsx or 'CSV UTF-8'"),
    (b"{\\rtf", "an RTF document, not a table: save the table as .xlsx or 'CSV UTF-8'"),
)


def zip_kind(names: list[str]) -> str:
    """What a zip file (an Office Open XML file is one) holds, in words."""
    if any(n.startswith("word/") for n in names):
        return "a Word document (.docx), not a table: copy the table into Excel and save it as .xlsx or 'CSV UTF-8'"
    if any(n.startswith("xl/") for n in names):
        return "an Excel workbook: name it .xlsx so it is read as one"
    return "a zip archive, not a table: unpack it and give the .csv or .xlsx inside"


def decode_table(data: bytes, filename: str, encoding: str | None = None) -> str:
    """The text of a table file. ``encoding`` (e.g. ``cp1258``) when the office
    knows it; else a byte-order mark decides (UTF-8, UTF-16), else UTF-8."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise InputError(what, filename)
    if data.startswith(b"PK\x03\x04"):
        import io
        import zipfile

        try:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
        except zipfile.BadZipFile:
            names = []
        raise InputError(zip_kind(names), filename)
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} (e.g. utf-8, utf-16, cp1258)", "--encoding") from None
        try:
            return data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputError(f"not {encoding} text (byte {exc.start})", filename) from None
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16").lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-16 text after its byte-order mark (byte {exc.start})", filename) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start}): save it in Excel as 'CSV UTF-8', or give its "
                         "encoding, e.g. --encoding cp1258 for a Windows-1258 (Vietnamese) file", filename) from None


def sniff_delimiter(header: str) -> str:
    """The separator of a table from its header line: tab (Excel's Unicode Text),
    semicolon (a Vietnamese or European Excel's CSV) or comma."""
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","
