"""Write a plan's text as the .docx and .pdf files offices send.

A plan text in the extractor's own form (paragraphs, "| a | b |" task tables)
becomes a Word document with real tables (python-docx) or a PDF with a text
layer and ruled tables (fpdf2, with the DejaVu font, which has every Vietnamese
letter).  Used by the tests (the same plan as text, .docx and .pdf must draft
alike), by `extract_eval.py --speed` (a 60-page PDF, a 200-row task table) and
to make the README's examples:

    python bench/make_documents.py PLAN.txt OUT.docx|OUT.pdf
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")  # Debian's fonts-dejavu-core
_SEPARATOR = re.compile(r"^\|?[\s:|-]+\|?$")


def blocks(text: str) -> list[tuple[str, object]]:
    """("p", paragraph) and ("table", rows) in order.

    Paragraphs are the extractor's own (`tracker.extract.text.Doc`): a text that
    came hard-wrapped out of a PDF becomes whole paragraphs, as Word keeps them.
    """
    from tracker.extract.text import Doc

    out: list[tuple[str, object]] = []
    rows: list[list[str]] = []
    prose: list[str] = []

    def flush_prose() -> None:
        if prose:
            doc = Doc.from_text("\n".join(prose))
            out.extend(("p", doc.phrase(p.start, p.end)) for p in doc.paras)
            prose.clear()

    for line in text.splitlines():
        if line.count("|") >= 2:
            flush_prose()
            if not _SEPARATOR.match(line.strip()):
                rows.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        if rows:
            out.append(("table", rows))
            rows = []
        prose.append(line)
    flush_prose()
    if rows:
        out.append(("table", rows))
    return out


def write_docx(text: str, path: Path | str) -> None:
    import docx

    document = docx.Document()
    for kind, value in blocks(text):
        if kind == "p":
            document.add_paragraph(str(value))
            continue
        rows = value  # type: ignore[assignment]
        width = max(len(r) for r in rows)
        table = document.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        for r, row in enumerate(rows):
            cells = table.rows[r].cells
            for c, cell in enumerate(row):
                cells[c].text = cell
    document.save(str(path))


def write_pdf(text: str, path: Path | str, *, password: str | None = None, max_pages: int | None = None) -> int:
    """Write the PDF; with `max_pages`, stop before the block that would run past it. Returns its pages."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    if password:
        pdf.set_encryption(owner_password=password + "-owner", user_password=password)
    pdf.add_font("dejavu", fname=str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font("dejavu", style="B", fname=str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.set_font("dejavu", size=11)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    for kind, value in blocks(text):
        if max_pages and pdf.page >= max_pages and pdf.get_y() > pdf.h / 2:
            break
        if kind == "p":
            pdf.multi_cell(0, 6, str(value), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            continue
        rows = value  # type: ignore[assignment]
        width = max(len(r) for r in rows)
        with pdf.table(headings_style=FontFace(emphasis="B"), line_height=6) as table:
            for row in rows:
                cells = table.row()
                for c in range(width):
                    cells.cell(row[c] if c < len(row) else "")
        pdf.ln(2)
    pdf.output(str(path))
    return pdf.page


def main(argv: list[str]) -> int:
    if len(argv) != 2 or not argv[1].endswith((".docx", ".pdf")):
        print(__doc__.strip().splitlines()[-1].strip(), file=sys.stderr)
        return 2
    text = Path(argv[0]).read_text(encoding="utf-8")
    (write_docx if argv[1].endswith(".docx") else write_pdf)(text, argv[1])
    print(argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
