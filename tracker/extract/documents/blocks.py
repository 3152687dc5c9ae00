"""What a document reader hands the extractor: paragraphs and tables, in order.

Word and PDF files are read into the same two kinds of block, and one renderer
turns them into the plain text the extractor reads, in the forms its rules
already know: one paragraph a line (a .docx knows its paragraphs exactly, and
a PDF's are rejoined before this, so nothing has to guess them; list items
under "Kính gửi:" stay one under another, as in a typed text), and a task
table as pipe rows ("| STT | Nội dung | Đơn vị chủ trì | Thời hạn |"), one row
a line, which `tracker.extract.tables` gives column roles.  A table whose
first row names no such column (the two-column letterhead "UBND TỈNH X |
CỘNG HÒA XÃ HỘI ...", a signature block) is layout, not data: its cells
become plain paragraphs, so the header parser reads "Số: 12/KH-UBND" as it
does in text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..tables import role_of

# Column roles that make a table a table of duties (see tables._ROLES).
SEPARATOR = "\n"  # between blocks: see the module docstring
_TASK_ROLES = {"deadline", "time", "completion", "lead", "content"}


@dataclass(frozen=True)
class Paragraph:
    text: str  # may hold "\n" for a line break inside the paragraph (a PDF's wrapped lines)


@dataclass(frozen=True)
class Table:
    rows: tuple[tuple[str, ...], ...]  # a rectangular grid; merged cells already resolved


Block = Paragraph | Table


def cell_text(text: str) -> str:
    """One line for a pipe row: whitespace collapsed, a literal "|" made "/"."""
    return re.sub(r"\s+", " ", text.replace("|", "/")).strip()


def is_task_table(table: Table) -> bool:
    if not table.rows:
        return False
    roles = {role_of(c) for c in table.rows[0] if c}
    return bool(roles & _TASK_ROLES)


def render(blocks: list[Block]) -> str:
    """The extractor's input text for a list of blocks."""
    out: list[str] = []
    for block in blocks:
        if isinstance(block, Paragraph):
            text = block.text.strip("\n")
            if text.strip():
                out.append(text)
        elif is_task_table(block):
            rows = ["| " + " | ".join(cell_text(c) for c in row) + " |" for row in block.rows
                    if any(c.strip() for c in row)]
            if rows:
                out.append("\n".join(rows))
        else:
            out.extend(_layout_cells(block))
    return SEPARATOR.join(out) + "\n" if out else ""


def _layout_cells(table: Table) -> list[str]:
    """A layout table's cells as paragraphs, row by row; a merged cell once."""
    out: list[str] = []
    seen: set[tuple[int, str]] = set()
    for row in table.rows:
        for col, cell in enumerate(row):
            text = cell.strip()
            if not text:
                continue
            # A cell merged across columns or rows repeats in the grid: print it once.
            if (col, text) in seen or (col > 0 and row[col - 1].strip() == text):
                continue
            seen.add((col, text))
            out.append(text)
    return out
