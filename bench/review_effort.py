#!/usr/bin/env python3
"""What a clerk has to do to a draft before importing it: counted, per document.

Each evaluation plan (tests/fixtures/extract/eval: text + hand-made truth) is
written as a .docx and as a .pdf (bench/make_documents.py) and drafted the way
`tracker plan extract` does.  The draft is compared with the truth by
extract_eval's scorer, and the edits are counted:

- review notes: the lines under `review:` to read;
- edits: obligations to delete (no such date in the truth), to add (a date the
  draft missed), titles to rewrite (not naming what is owed), responsible units
  to correct, units to add or remove;
- addresses: units whose e-mail must still be typed (all of them without a unit
  file; `--units FILE` fills those it matches).

Run: python bench/review_effort.py
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.extract_eval import Score, score_doc  # noqa: E402
from bench.make_documents import write_docx, write_pdf  # noqa: E402
from tracker.extract import extract_plan  # noqa: E402
from tracker.extract.documents import read_document  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "extract" / "eval"


def effort(draft: dict, truth: dict) -> tuple[int, int, int, int]:
    """(obligations, review notes, edits, addresses to type) for one draft."""
    notes = score_doc(truth, draft, Score(), verbose=True)[1:]
    edits = sum(1 for n in notes if n.strip().startswith(("missed", "extra", "title:", "responsible:")))
    addresses = sum(1 for u in draft["units"] if not u.get("email"))
    return len(draft["obligations"]), len(draft["review"]), edits, addresses


def main() -> int:
    print("review effort per draft (edits counted against the hand-made truth)")
    print(f"{'document':<28} {'format':<6} {'obligations':>11} {'review notes':>12} {'edits':>6} {'addresses':>9}")
    totals = [0, 0, 0, 0]
    with tempfile.TemporaryDirectory() as tmp:
        for truth_path in sorted(FIXTURES.glob("*.json")):
            text = truth_path.with_suffix(".txt").read_text(encoding="utf-8")
            truth = json.loads(truth_path.read_text(encoding="utf-8"))
            for fmt, write in (("docx", write_docx), ("pdf", write_pdf)):
                path = Path(tmp, f"{truth_path.stem}.{fmt}")
                write(text, path)
                draft = extract_plan(read_document(path.read_bytes()).text)
                row = effort(draft, truth)
                totals = [a + b for a, b in zip(totals, row)]
                print(f"{truth_path.stem:<28} {fmt:<6} {row[0]:>11} {row[1]:>12} {row[2]:>6} {row[3]:>9}")
    print(f"{'total':<28} {'':<6} {totals[0]:>11} {totals[1]:>12} {totals[2]:>6} {totals[3]:>9}")
    if totals[0]:
        print(f"edits per drafted obligation: {totals[2] / totals[0]:.2f}; "
              f"review notes per obligation: {totals[1] / totals[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
