"""A .docx file's bytes -> paragraphs and tables in document order.

python-docx opens the package (zip, relationships, the main part, numbering
and styles); the body is then walked as XML, because the order of paragraphs
and tables, merged cells and automatic numbers all live there:

- a paragraph's text is its runs' text (insertions kept, deletions and field
  codes left out, the fallback copy of a drawing skipped so nothing is read
  twice), with its automatic number written in front (`numbering.py`);
- a table becomes a rectangular grid.  A cell merged across columns
  (gridSpan) is written once in a body row, so the row's other columns stay
  empty rather than all claiming its text, and repeated in the header row, so
  every column under "Thời gian" gets that role.  A cell merged down rows
  (vMerge) repeats in every row it covers: the "Đơn vị chủ trì" or "Thời hạn"
  written once for five tasks belongs to each of them.  A two-row header
  ("Thời gian" over "Bắt đầu | Kết thúc") is joined into one header row.
"""

from __future__ import annotations

import io
from typing import Any, Iterator

from .blocks import Block, Paragraph, Table
from .numbering import Numbering

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_SKIP = {_MC_FALLBACK, f"{W}del", f"{W}instrText", f"{W}delText", f"{W}txbxContent", f"{W}pPr", f"{W}rPr"}
# Cell states in the grid before merges are resolved.
_OWN, _HSPAN, _VCONT = "own", "hspan", "vcont"


class WordError(ValueError):
    """The package opens as a zip but is not a readable Word document."""


def read_docx(data: bytes) -> list[Block]:
    import docx  # lazy: `tracker --help` must not import python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError) as exc:
        raise WordError(f"not a readable Word document ({exc})") from None
    part = document.part
    try:
        numbering_root = part.numbering_part.element
    except (NotImplementedError, KeyError):
        numbering_root = None
    reader = _Reader(Numbering.from_xml(numbering_root), _style_numbers(document))
    return list(reader.blocks(document.element.body))


def _style_numbers(document: Any) -> dict[str, tuple[str, int]]:
    """styleId -> (numId, ilvl) for styles that number their paragraphs (numbered headings)."""
    styles: dict[str, Any] = {}
    for st in document.styles.element.iter(f"{W}style"):
        styles[st.get(f"{W}styleId", "")] = st
    out: dict[str, tuple[str, int]] = {}
    for sid in styles:
        st, hops = styles.get(sid), 0
        while st is not None and hops < 6:
            num = st.find(f"{W}pPr/{W}numPr")
            if num is not None:
                nid = num.find(f"{W}numId")
                lvl = num.find(f"{W}ilvl")
                if nid is not None:
                    out[sid] = (nid.get(f"{W}val", ""), int(lvl.get(f"{W}val", "0")) if lvl is not None else 0)
                break
            based = st.find(f"{W}basedOn")
            st = styles.get(based.get(f"{W}val", "")) if based is not None else None
            hops += 1
    return out


class _Reader:
    def __init__(self, numbering: Numbering, style_numbers: dict[str, tuple[str, int]]) -> None:
        self.numbering = numbering
        self.style_numbers = style_numbers

    def blocks(self, container: Any) -> Iterator[Block]:
        for child in container:
            if child.tag == f"{W}p":
                yield from (Paragraph(t) for t in self._textboxes(child))
                yield Paragraph(self.paragraph(child))
            elif child.tag == f"{W}tbl":
                yield self.table(child)
            elif child.tag in (f"{W}sdt", f"{W}sdtContent", f"{W}customXml"):
                yield from self.blocks(child.find(f"{W}sdtContent") if child.tag == f"{W}sdt" else child)

    # -- paragraphs ---------------------------------------------------------
    def paragraph(self, p: Any) -> str:
        parts: list[str] = []
        _runs_text(p, parts)
        text = "".join(parts)
        label = self._label(p)
        return f"{label} {text.lstrip()}" if label and text.strip() else text

    def _label(self, p: Any) -> str:
        ppr = p.find(f"{W}pPr")
        if ppr is None:
            return ""
        num = ppr.find(f"{W}numPr")
        if num is not None:
            nid = num.find(f"{W}numId")
            lvl = num.find(f"{W}ilvl")
            if nid is None:
                return ""
            return self.numbering.label(nid.get(f"{W}val", ""), int(lvl.get(f"{W}val", "0")) if lvl is not None else 0)
        style = ppr.find(f"{W}pStyle")
        if style is not None and style.get(f"{W}val", "") in self.style_numbers:
            nid, ilvl = self.style_numbers[style.get(f"{W}val", "")]
            return self.numbering.label(nid, ilvl)
        return ""

    def _textboxes(self, p: Any) -> list[str]:
        out = []
        for box in p.iter(f"{W}txbxContent"):
            if any(a.tag == _MC_FALLBACK for a in box.iterancestors()):
                continue
            out.extend(self.paragraph(q) for q in box.iter(f"{W}p"))
        return [t for t in out if t.strip()]

    # -- tables -------------------------------------------------------------
    def table(self, tbl: Any) -> Table:
        grid: list[list[tuple[str, str]]] = []
        for tr in tbl.iter(f"{W}tr"):
            if _nearest_table(tr) is not tbl:
                continue  # a row of a table nested in a cell: part of that cell's text
            row: list[tuple[str, str]] = []
            before = tr.find(f"{W}trPr/{W}gridBefore")
            if before is not None:
                row.extend(("", _OWN) for _ in range(int(before.get(f"{W}val", "0"))))
            for tc in tr.iter(f"{W}tc"):
                if _nearest_table(tc) is not tbl:
                    continue
                tcpr = tc.find(f"{W}tcPr")
                span = vmerge = None
                if tcpr is not None:
                    span = tcpr.find(f"{W}gridSpan")
                    vmerge = tcpr.find(f"{W}vMerge")
                cont = vmerge is not None and vmerge.get(f"{W}val", "continue") == "continue"
                text = "" if cont else self._cell_text(tc)
                row.append((text, _VCONT if cont else _OWN))
                n = int(span.get(f"{W}val", "1")) if span is not None else 1
                row.extend((text, _HSPAN) for _ in range(n - 1))
            grid.append(row)
        return Table(_resolve(grid))

    def _cell_text(self, tc: Any) -> str:
        lines = [self.paragraph(p) for p in tc.iter(f"{W}p") if not _in_fallback(p, tc)]
        return "\n".join(t.strip() for t in lines if t.strip())


def _resolve(grid: list[list[tuple[str, str]]]) -> tuple[tuple[str, ...], ...]:
    width = max((len(r) for r in grid), default=0)
    grid = [r + [("", _OWN)] * (width - len(r)) for r in grid]
    rows: list[list[str]] = []
    for r, row in enumerate(grid):
        out = []
        for c, (text, state) in enumerate(row):
            if state == _VCONT:
                text = rows[r - 1][c] if r else ""
            elif state == _HSPAN and r > 0:
                text = ""
            out.append(text)
        rows.append(out)
    # "Thời gian" spanning two columns over "Bắt đầu | Kết thúc": one header row.
    if len(grid) > 2 and any(s == _HSPAN for _, s in grid[0]) and any(s == _VCONT for _, s in grid[1]):
        header = [a if s == _VCONT or not b else f"{a} {b}".strip()
                  for a, (b, s) in zip(rows[0], grid[1])]
        rows = [header] + rows[2:]
    return tuple(tuple(r) for r in rows)


def _runs_text(el: Any, parts: list[str]) -> None:
    for child in el:
        tag = child.tag
        if tag in _SKIP or not isinstance(tag, str):
            continue
        if tag == f"{W}t":
            parts.append(child.text or "")
        elif tag == f"{W}tab":
            parts.append(" ")
        elif tag in (f"{W}br", f"{W}cr"):
            parts.append("\n")
        elif tag == f"{W}noBreakHyphen":
            parts.append("-")
        else:
            _runs_text(child, parts)


def _nearest_table(el: Any) -> Any:
    return next(el.iterancestors(f"{W}tbl"), None)


def _in_fallback(el: Any, stop: Any) -> bool:
    for a in el.iterancestors():
        if a is stop:
            return False
        if a.tag in (_MC_FALLBACK, f"{W}txbxContent"):
            return True
    return False
