"""A .pdf file's bytes (with a text layer) -> paragraphs and tables in reading order.

PDFium (pypdfium2) reads the text layer: the runs of text on each line with
their positions, and the page's drawn lines, from which `ruling.py` finds
ruled tables.  (pdfplumber, built on pdfminer, read the same 60-page plan in
43 s on this machine, 0.7 s a page; PDFium reads it in under 2 s.)  A run
inside a table is left out of the running text.  The runs outside are grouped
into lines, and a line is cut where a wide gap separates two columns (the
letterhead's "UBND TỈNH X" and "CỘNG HÒA XÃ HỘI ..." side by side).  A line
that reaches the right margin runs on into the next one, across a page break
too, unless the next opens an item ("1.", "a)", "-"), so each paragraph comes
out whole, on one line, and a date wrapped to the start of a line stays in its
sentence.  A table that goes on at the top of the next page is one table, and
a row the page break cut in two is one row.  A page number alone on the first or last line of a page is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .blocks import Block, Paragraph, Table
from .ruling import Grid, find_grids, path_edges

_PAGE_NUMBER = re.compile(r"^(?:[-–—\s]*\d{1,3}[-–—\s]*|(?:Trang|trang)\s+\d{1,3}(?:\s*/\s*\d{1,3})?)$")
# A line that opens an item never continues the previous line's paragraph.
_STARTS_ITEM = re.compile(r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]|[a-zđ]\)|[IVXLC]{1,6}[.)]|[-+•–*])(?:\s|$)")


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
    unmapped: int = 0  # glyphs without a Unicode value (U+FFFD): a font without a Unicode map
    open: list[str] | None = None  # the lines of the paragraph being read (it may run on to the next page)
    open_full: bool = False  # its last line reaches the right margin: the next line may continue it


@dataclass
class _Segment:
    """A run of text on one line, without a wide gap (a column of a letterhead is its own run)."""

    text: str
    top: float
    bottom: float
    x0: float
    x1: float
    full: bool = False

    @property
    def height(self) -> float:
        return max(self.bottom - self.top, 1.0)


def read_pdf(data: bytes) -> PdfText:
    import pypdfium2 as pdfium  # lazy: `tracker --help` must not load PDFium
    import pypdfium2.raw as raw

    try:
        pdf = pdfium.PdfDocument(bytes(data))
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == raw.FPDF_ERR_PASSWORD:
            raise PdfLocked("password-protected") from None
        raise PdfError(f"damaged PDF ({exc})") from None
    out = PdfText()
    try:
        for number in range(len(pdf)):
            page = pdf[number]
            out.pages += 1
            try:
                _read_page(page, number + 1, out)
            finally:
                page.close()
        _close(out)
    except pdfium.PdfiumError as exc:
        raise PdfError(f"damaged PDF ({exc})") from None
    finally:
        pdf.close()
    return out


def _read_page(page: Any, number: int, out: PdfText) -> None:
    width, height = page.get_size()
    textpage = page.get_textpage()
    try:
        nchars = textpage.count_chars()
        if nchars == 0:
            out.textless_pages.append(number)
            _close(out)  # a scanned page between two text pages: what ran on is lost, not joined
            return

        cache: list = []

        def text_in(box: tuple[float, float, float, float]) -> str:
            """The characters whose centre is inside `box` (top-down coordinates), in text order.

            By centre, not by overlap: a capital with stacked marks ("Ổ") reaches up into
            the row above, and PDFium's bounded text would put it there too."""
            if not cache:
                text = textpage.get_text_range()
                boxes = [textpage.get_charbox(i) for i in range(nchars)] if len(text) == nchars else []
                cache.extend([text, boxes])
            text, boxes = cache
            x0, top, x1, bottom = box
            if not boxes:
                return _clean(textpage.get_text_bounded(x0, height - bottom, x1, height - top))
            picked = [text[i] for i, (left, low, right, high) in enumerate(boxes)
                      if x0 <= (left + right) / 2 <= x1 and top <= height - (low + high) / 2 <= bottom]
            return _clean("".join(picked))

        runs = []
        for i in range(textpage.count_rects()):
            left, bottom, right, top = textpage.get_rect(i)
            text = _clean(textpage.get_text_bounded(left, bottom, right, top))
            if text.strip():
                runs.append({"text": text, "x0": left, "x1": right, "top": height - top, "bottom": height - bottom})
        out.chars += sum(len(r["text"]) for r in runs)
        out.unmapped += sum(r["text"].count("\ufffd") for r in runs)
        grids = find_grids(*path_edges(page, height), text_in) if runs else []
        if grids:
            runs = [r for r in runs if not any(_inside(r, g) for g in grids)]
        _lay_out(_segments(runs), grids, out)
    finally:
        textpage.close()


def _lay_out(segments: list[_Segment], grids: list[Grid], out: PdfText) -> None:
    if segments and _PAGE_NUMBER.match(segments[-1].text):
        segments.pop()
    if segments and _PAGE_NUMBER.match(segments[0].text):
        segments.pop(0)
    left = min((s.x0 for s in segments), default=0.0)
    right = max((s.x1 for s in segments), default=0.0)
    full_at = right - 0.12 * (right - left)
    items: list[tuple[float, int, Any]] = [(seg.top, 0, seg) for seg in segments]
    items += [(g.bbox[1], 1, g) for g in grids]
    items.sort(key=lambda x: (x[0], x[1]))
    prev: _Segment | None = None
    for n, (_, kind, item) in enumerate(items):
        if kind == 1:
            if n == 0 and out.open is None and out.blocks and isinstance(out.blocks[-1], Table) \
                    and len(out.blocks[-1].rows[0]) == len(item.rows[0]):
                out.blocks[-1] = _continued(out.blocks[-1], item.rows)
                continue
            _close(out)
            out.blocks.append(Table(item.rows))
            prev = None
            continue
        seg: _Segment = item
        joins = out.open is not None and not _STARTS_ITEM.match(seg.text) and (
            (prev is None and out.open_full)  # the paragraph runs on from the previous page
            or (prev is not None and prev.full and seg.top > prev.top + 0.5 * prev.height
                and seg.top - prev.bottom <= 0.7 * prev.height))
        if joins:
            assert out.open is not None
            out.open.append(seg.text)
        else:
            _close(out)
            out.open = [seg.text]
        seg.full = seg.x1 >= full_at
        out.open_full = seg.full
        prev = seg


def _continued(table: Table, rows: tuple[tuple[str, ...], ...]) -> Table:
    """A table that goes on at the top of the next page: one table.

    A header row repeated on the new page is dropped; a first row whose first cell
    is empty is the rest of the row the page break cut ("Truyền thông về phòng, chống
    bạo" / "lực gia đình …"), so its cells are joined to that row's."""
    if rows and rows[0] == table.rows[0]:
        rows = rows[1:]
    out = list(table.rows)
    if rows and not rows[0][0].strip() and len(out) > 1:
        out[-1] = tuple(f"{a} {b}".strip() for a, b in zip(out[-1], rows[0]))
        rows = rows[1:]
    return Table(tuple(out) + tuple(rows))


def _clean(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x02", "").replace("\ufffe", "")


def _segments(runs: list[dict]) -> list[_Segment]:
    runs = sorted(runs, key=lambda w: (w["top"], w["x0"]))
    lines: list[list[dict]] = []
    for w in runs:
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
    text = ""
    for i, w in enumerate(run):
        gap = i and w["x0"] - run[i - 1]["x1"] > 0.15 * max(w["bottom"] - w["top"], 1.0)
        text += (" " if gap and not text.endswith(" ") else "") + w["text"].replace("\n", " ")
    return _Segment(re.sub(r"\s+", " ", text).strip(), min(w["top"] for w in run),
                    max(w["bottom"] for w in run), run[0]["x0"], run[-1]["x1"])


def _close(out: PdfText) -> None:
    if out.open:
        out.blocks.append(Paragraph(" ".join(out.open)))
    out.open = None
    out.open_full = False


def _inside(run: dict, grid: Grid) -> bool:
    x = (run["x0"] + run["x1"]) / 2
    y = (run["top"] + run["bottom"]) / 2
    x0, top, x1, bottom = grid.bbox
    return x0 <= x <= x1 and top <= y <= bottom
