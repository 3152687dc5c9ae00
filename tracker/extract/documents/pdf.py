"""A .pdf file's bytes (with a text layer) -> paragraphs and tables in reading order.

pdfplumber gives the characters of each page with their positions.  Ruled
tables are found from the page's lines (only on pages that have ruling lines:
looking for tables costs more than reading the text), read as grids, and
their area is left out of the running text.  The words outside are grouped
into lines, and a line is cut where a wide gap separates two columns (the
letterhead's "UBND TỈNH X" and "CỘNG HÒA XÃ HỘI ..." side by side).  A line
that reaches the right margin runs on into the next one, across a page break
too, unless the next opens an item ("1.", "a)", "-"), so each paragraph comes
out whole, on one line, and a date wrapped to the start of a line stays in its
sentence.  A page number alone on the first or last line of a page is dropped.

Merged cells come back from pdfplumber as missing cells: one to the right of a
wider cell is that cell's span (empty in a body row, its text in the header
row); one under a taller cell repeats that cell's text, as in a .docx.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from typing import Any

from .blocks import Block, Paragraph, Table

_PAGE_NUMBER = re.compile(r"^(?:[-–—\s]*\d{1,3}[-–—\s]*|(?:Trang|trang)\s+\d{1,3}(?:\s*/\s*\d{1,3})?)$")


class PdfError(ValueError):
    """The bytes are not a PDF that can be read."""


class PdfLocked(PdfError):
    """The PDF needs a password to be opened."""


@dataclass
class PdfText:
    blocks: list[Block] = field(default_factory=list)
    pages: int = 0
    chars: int = 0
    textless_pages: list[int] = field(default_factory=list)  # 1-based: scanned pages among text ones
    unmapped: int = 0  # "(cid:N)" glyphs: a font without a Unicode map
    open: list[str] | None = None  # the lines of the paragraph being read (it may run on to the next page)
    open_full: bool = False  # its last line reaches the right margin: the next line may continue it


def read_pdf(data: bytes) -> PdfText:
    import pdfplumber  # lazy: `tracker --help` must not import pdfminer
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfplumber.utils.exceptions import PdfminerException

    out = PdfText()
    try:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            for number, page in enumerate(pdf.pages, start=1):
                out.pages += 1
                _read_page(page, number, out)
                page.close()  # pdfplumber caches each page's objects; a 60-page plan need not keep them
            _close(out)
    except PdfminerException as exc:
        cause = exc.args[0] if exc.args else exc
        if isinstance(cause, PDFPasswordIncorrect) or "password" in repr(cause).lower():
            raise PdfLocked("password-protected") from None
        raise PdfError(f"damaged PDF ({type(cause).__name__})") from None
    except PDFPasswordIncorrect:
        raise PdfLocked("password-protected") from None
    except Exception as exc:  # pdfminer raises many kinds on a damaged file
        raise PdfError(f"damaged PDF ({type(exc).__name__})") from None
    return out


def _read_page(page: Any, number: int, out: PdfText) -> None:
    chars = page.chars
    if not chars:
        out.textless_pages.append(number)
        out.open = None
        return
    out.chars += len(chars)
    out.unmapped += sum(1 for c in chars if c.get("text", "").startswith("(cid:"))
    tables = page.find_tables() if (page.lines or page.rects) else []
    tables = [t for t in tables if len(t.rows) >= 2 and len(t.rows[0].cells) >= 2]
    body = page
    if tables:
        boxes = [t.bbox for t in tables]
        body = page.filter(lambda obj: not any(_inside(obj, b) for b in boxes))
    segments = _segments(body.extract_words(keep_blank_chars=False))
    if segments and _PAGE_NUMBER.match(segments[-1].text):
        segments.pop()
    if segments and _PAGE_NUMBER.match(segments[0].text):
        segments.pop(0)
    left = min((s.x0 for s in segments), default=0.0)
    right = max((s.x1 for s in segments), default=0.0)
    full_at = right - 0.12 * (right - left)
    items: list[tuple[float, int, Any]] = [(seg.top, 0, seg) for seg in segments]
    items += [(t.bbox[1], 1, t) for t in tables]
    items.sort(key=lambda x: (x[0], x[1]))
    prev: _Segment | None = None
    for _, kind, item in items:
        if kind == 1:
            _close(out)
            out.blocks.append(Table(_grid(item)))
            prev = None
            continue
        seg: _Segment = item
        joins = out.open is not None and not _STARTS_ITEM.match(seg.text) and (
            (prev is None and out.open_full)  # the paragraph runs on from the previous page
            or (prev is not None and prev.full and seg.top > prev.top + 0.5 * prev.height
                and seg.top - prev.bottom <= 0.7 * prev.height))
        if joins:
            out.open.append(seg.text)
        else:
            _close(out)
            out.open = [seg.text]
        seg.full = seg.x1 >= full_at
        out.open_full = seg.full
        prev = seg


@dataclass
class _Segment:
    """A run of words on one line, without a wide gap (a column of a letterhead is its own run)."""

    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    full: bool = False

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


# A line that opens an item never continues the previous line's paragraph.
_STARTS_ITEM = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ]\)|[IVXLC]{1,6}[.)]|[-+•–*])(?:\s|$)")


def _segments(words: list[dict]) -> list[_Segment]:
    words = sorted(words, key=lambda w: (w["top"], w["x0"]))
    lines: list[list[dict]] = []
    for w in words:
        if lines and w["top"] <= lines[-1][0]["top"] + 0.5 * (lines[-1][0]["bottom"] - lines[-1][0]["top"]):
            lines[-1].append(w)
        else:
            lines.append([w])
    out: list[_Segment] = []
    for line in lines:
        line.sort(key=lambda w: w["x0"])
        run = [line[0]]
        for w in line[1:]:
            size = max(run[-1]["bottom"] - run[-1]["top"], 1.0)
            if w["x0"] - run[-1]["x1"] > 2.5 * size:
                out.append(_segment(run))
                run = []
            run.append(w)
        out.append(_segment(run))
    return out


def _segment(run: list[dict]) -> _Segment:
    return _Segment(" ".join(w["text"] for w in run), min(w["top"] for w in run), max(w["bottom"] for w in run),
                    run[0]["x0"], run[-1]["x1"])


def _close(out: PdfText) -> None:
    if out.open:
        out.blocks.append(Paragraph(" ".join(out.open)))
    out.open = None
    out.open_full = False


def _inside(obj: dict, box: tuple[float, float, float, float]) -> bool:
    x = (obj["x0"] + obj["x1"]) / 2
    y = (obj["top"] + obj["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _grid(table: Any) -> tuple[tuple[str, ...], ...]:
    texts = table.extract()
    cells = [row.cells for row in table.rows]
    width = max(len(r) for r in texts)
    centers: list[float | None] = []
    for c in range(width):
        xs = [(r[c][0] + r[c][2]) / 2 for r in cells if c < len(r) and r[c] is not None]
        centers.append(min(xs) if xs else None)
    rows: list[list[str]] = []
    for r, row in enumerate(texts):
        out = []
        for c in range(width):
            text = row[c] if c < len(row) else None
            if text is None:
                if _spanned_from_left(cells[r], c, centers[c]):
                    text = out[-1] if r == 0 and out else ""
                else:
                    text = rows[r - 1][c] if r else ""
            out.append(text)
        rows.append(out)
    return tuple(tuple(r) for r in rows)


def _spanned_from_left(row: list, c: int, center: float | None) -> bool:
    if center is None:
        return True
    for k in range(c - 1, -1, -1):
        if k < len(row) and row[k] is not None:
            return row[k][2] > center
    return False
