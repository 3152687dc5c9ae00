"""Merging mentions of the same obligation into one.

The corpus records "one entry per mention": Tháng hành động 15/11–15/12 named in
the general section and again under a unit's heading is two entries.  A plan
file for import must not do that, or the unit gets every reminder twice.  So
mentions are grouped here, before ids are given:

- windows and events merge on (kind, dates): the same days are the same
  reminder, whatever each mention calls them;
- deadlines merge only when category, date and strictness match *and* the
  titles are near-identical: a 6-month report and a unit plan both due 15/6 are
  two submissions, not one;
- quarterly items, and activities dated by the period they take (a table row,
  "trong tháng 11"), never merge on dates alone: every bullet of a quarter has
  the quarter's bounds.  Only the same item repeated word for word is one.

Pure and order-preserving: groups come out in order of their first mention.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from .names import ascii_fold
from .obligations import Mention


@dataclass
class Entry:
    """A mention with what the draft learned about it."""

    mention: Mention
    codes: list[str] | None  # the unit block's codes, None in a general section
    report_to: str | None = None


# Words that do not tell two reports apart.
_FILLER = {"gui", "nop", "ve", "cho", "cua", "cac", "va", "tai", "ket", "qua", "cong", "tac", "thuc", "hien",
           "danh", "gia", "tinh", "hinh", "don", "vi", "co", "quan", "ban"}


def _words(title: str) -> list[str]:
    s = ascii_fold(title).lower()
    s = re.sub(r"\b0+(\d)", r"\1", s)  # "06 tháng" == "6 tháng"
    s = re.sub(r"\bsau thang\b", "6 thang", s)
    return re.findall(r"[a-z0-9]+", s)


def report_class(title: str) -> str | None:
    """"6-month", "quarter", "year" report, or None when the title does not say."""
    t = " ".join(_words(title))
    if re.search(r"\b6 thang\b|\bso ket\b", t):
        return "6-month"
    if re.search(r"\bquy\b", t):
        return "quarter"
    if re.search(r"\bnam\b|\btong ket\b", t):
        return "year"
    return None


def near_identical(a: str, b: str) -> bool:
    """Do two deadline titles name the same submission?

    Equal after folding, very similar as strings, or one's content words all in
    the other's while both say the same kind of report ("Báo cáo năm" and "Báo
    cáo năm hằng năm"; "Báo cáo 6 tháng" and "Báo cáo 06 tháng công tác BĐG").
    """
    wa, wb = _words(a), _words(b)
    if wa == wb:
        return True
    ca, cb = report_class(a), report_class(b)
    if ca and cb and ca != cb:
        return False  # "Báo cáo 6 tháng …" and "Báo cáo năm …": never one, however alike
    if SequenceMatcher(None, " ".join(wa), " ".join(wb)).ratio() >= 0.85:
        return True
    if ca is None or ca != cb:
        return False
    sa, sb = set(wa) - _FILLER, set(wb) - _FILLER
    return bool(sa and sb) and (sa <= sb or sb <= sa)


def _same(a: Mention, b: Mention) -> bool:
    if a.kind != b.kind or (a.first, a.last) != (b.first, b.last):
        return False
    if a.kind == "deadline":
        return a.category == b.category and a.strict == b.strict and near_identical(a.title, b.title)
    if "quarterly_item" in (a.category, b.category):
        return a.category == b.category and _words(a.source) == _words(b.source)
    if a.activity or b.activity:
        return a.activity == b.activity and _words(a.title) == _words(b.title)
    return True


def group(entries: list[Entry]) -> list[list[Entry]]:
    """Entries grouped by obligation, each group in text order, groups by first mention."""
    groups: list[list[Entry]] = []
    for e in entries:
        for g in groups:
            if _same(g[0].mention, e.mention):
                g.append(e)
                break
        else:
            groups.append([e])
    return groups


def responsible(g: list[Entry]) -> str | list[str]:
    """"all" when any mention is in a general section, else the union of unit codes."""
    if any(e.codes is None for e in g):
        return "all"
    out: list[str] = []
    for e in g:
        out.extend(c for c in e.codes or [] if c not in out)
    return out
