"""A workbook (.xlsx) written as a stream of rows. Pure: rows in, bytes out.

A national programme's scorecard has a row per unit, twice at a half-year's
end: 110,000 rows, 1.2M cells. openpyxl (write-only mode) built and serialised
an object per cell: 7.9 s of the first pass after a mass import, for a file of
4.7 MB. This writer formats each row as one string of SpreadsheetML (the
format's own minimal parts: content types, workbook, one fixed style sheet,
one XML part per sheet) and zips it: the same workbook, read back by openpyxl
cell by cell in the tests, in a tenth of the time. openpyxl still reads the
offices' .xlsx files (services/officefiles.py) and writes the small status table.

Cells: ``str`` is inline text (never a formula, whatever it begins with),
``int`` and ``float`` are numbers, ``date`` and ``datetime`` are Excel serial
dates with a date format; ``None`` is an empty cell. ``Styled`` puts a value
in bold (headers) or in a number format (``PERCENT``, ``DATE``, ``DATETIME``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Iterable
from xml.sax.saxutils import escape, quoteattr

# Style indexes into the fixed style sheet below (cellXfs).
PLAIN, BOLD, PERCENT, DATE, DATETIME = range(5)
_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year quirk folded in)
_ILLEGAL = dict.fromkeys([*range(0, 9), 11, 12, *range(14, 32)])  # control characters XML 1.0 forbids


@dataclass(frozen=True)
class Styled:
    value: Any
    style: int


@dataclass
class Sheet:
    title: str
    widths: tuple[float, ...] = ()  # columns A, B, ... in Excel's character units
    freeze_header: bool = False  # the first row stays on screen while scrolling
    rows: Iterable[Iterable[Any]] = field(default_factory=list)


def workbook(sheets: Iterable[Sheet]) -> bytes:
    """The .xlsx bytes of these sheets, in this order."""
    buf = io.BytesIO()
    titles: list[str] = []
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for n, sheet in enumerate(sheets, start=1):
            titles.append(sheet.title)
            with z.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as part:
                _write_sheet(part, sheet)
        z.writestr("[Content_Types].xml", _content_types(len(titles)))
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _workbook_xml(titles))
        z.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(titles)))
        z.writestr("xl/styles.xml", _STYLES)
    return buf.getvalue()


def _write_sheet(out, sheet: Sheet) -> None:
    head = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="', _MAIN, '">']
    if sheet.freeze_header:
        head.append('<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>')
    if sheet.widths:
        head.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
                                       for i, w in enumerate(sheet.widths, start=1)) + "</cols>")
    head.append("<sheetData>")
    out.write("".join(head).encode("utf-8"))
    chunk: list[str] = []
    for r, row in enumerate(sheet.rows, start=1):
        chunk.append(f'<row r="{r}">{"".join(_cell(v) for v in row)}</row>')
        if len(chunk) == 1000:
            out.write("".join(chunk).encode("utf-8"))
            chunk.clear()
    chunk.append("</sheetData></worksheet>")
    out.write("".join(chunk).encode("utf-8"))


def _cell(value: Any, style: int = PLAIN) -> str:
    if isinstance(value, Styled):
        return _cell(value.value, value.style)
    if isinstance(value, datetime):
        value, style = _serial(value), style or DATETIME
    elif isinstance(value, date):
        value, style = (value - _EPOCH.date()).days, style or DATE
    s = f' s="{style}"' if style else ""
    if value is None:
        return f"<c{s}/>"
    if isinstance(value, bool):
        return f'<c t="b"{s}><v>{int(value)}</v></c>'
    if isinstance(value, (int, float)):
        return f"<c{s}><v>{value!r}</v></c>"
    text = escape(str(value).translate(_ILLEGAL))
    space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
    return f'<c t="inlineStr"{s}><is><t{space}>{text}</t></is></c>'


def _serial(moment: datetime) -> float:
    """Excel's day number of a naive (local) datetime, to the second."""
    delta = moment - _EPOCH
    return delta.days + round(delta.seconds / 86400, 10)


_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"

_ROOT_RELS = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{_PKG}/relationships">'
              f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')

# Fonts: regular, bold. Number formats: 164 = 0.0%, 165 = dd/mm/yyyy, 166 = dd/mm/yyyy hh:mm.
# cellXfs in the order of PLAIN, BOLD, PERCENT, DATE, DATETIME.
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="3"><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="165" formatCode="dd/mm/yyyy"/>'
    '<numFmt numFmtId="166" formatCode="dd/mm/yyyy hh:mm"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'
)


def _content_types(count: int) -> str:
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/'
                     f'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for n in range(1, count + 1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{sheets}</Types>")


def _workbook_xml(titles: list[str]) -> str:
    sheets = "".join(f"<sheet name={quoteattr(t[:31])} sheetId=\"{n}\" r:id=\"rId{n}\"/>"
                     for n, t in enumerate(titles, start=1))
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f"<sheets>{sheets}</sheets></workbook>")


def _workbook_rels(count: int) -> str:
    rels = "".join(f'<Relationship Id="rId{n}" Type="{_REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
                   for n in range(1, count + 1))
    styles = f'<Relationship Id="rId{count + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<Relationships xmlns="{_PKG}/relationships">{rels}{styles}</Relationships>')
