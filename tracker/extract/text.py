"""The document model: normalised text, line numbers and logical paragraphs.

Plan documents arrive as plain text in several states of mess: composed or
decomposed Unicode, markdown bold markers, table pipes, hard line breaks in the
middle of sentences, blank lines in the middle of sentences.  Every later stage
works on a *cleaned* copy of the text that has exactly the same length as the
NFC text, so that any match offset maps straight back to the source line and
to the exact source phrase (which keeps its markup, as the corpus does).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field

from .tables import Tables, find_tables

# Characters that are layout or markup, never content.  They are replaced by a
# space (not deleted) so offsets in the cleaned text equal offsets in the source.
_MARKUP = str.maketrans({
    "*": " ", "|": " ", "#": " ", "`": " ", "\t": " ",
    "\u00a0": " ", "\u200b": " ", "\u200c": " ", "\u200d": " ", "\ufeff": " ",
    "\u2002": " ", "\u2003": " ", "\u2009": " ", "\u202f": " ",
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-",
    "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'",
})

# A line made only of these is a separator (table borders, rules), i.e. blank.
_SEPARATOR_LINE = re.compile(r"^[\s\-_=|*~.]*$")

# Enumerators that start a new block: "1.", "1.2.", "a)", "đ)", "II.", "+", "•".
ENUMERATOR = re.compile(
    r"^\s*(?:\d{1,2}(?:\.\d{1,2})*[.)]\s|\d{1,2}(?:\.\d{1,2})+\s+(?=[A-ZĐÀ-Ỹ])|[a-zđ]\)\s|[IVXLC]{1,6}[.)]\s|[+•]\s)"
)
_TERMINAL = re.compile(r"[.;:!?)\]\"']\s*$")


# Other ways of writing a date, rewritten to "d/m/yyyy" in the cleaned text (same
# length, so offsets hold; `source` phrases still show them as written).
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})([.-])(\d{1,2})\2(\d{4})(?!\d|[.-]\d)")
# "Ngày Gia đình Việt Nam 28-6", "chào mừng (20-10)": a dashed day-month only
# after the name of a day or an occasion, where it cannot be a count ("2-3 lần").
_DASHED_DAY = re.compile(
    r"((?:[Nn]gày|NGÀY)\s+[^\d;:\n]{2,80}?\s\(?|(?:nhân dịp|kỷ niệm|chào mừng|hưởng ứng)\s+\(?)"
    r"(\d{1,2})-(\d{1,2})(?![\d/-])")


# "từ ngày 1.9 đến 7.9.2024", "trước ngày 10-12", "chậm nhất ngày 5.7": a short
# dotted or dashed day-month after a word that announces a date.
_SHORT_DAY = re.compile(
    r"((?:[Nn]gày|[Tt]rước|đến|tới|[Cc]hậm nhất)\s+)(\d{1,2})([.-])(\d{1,2})"
    r"(?!\d|[/.-]\d|\s*(?:ngày|lần|tháng|năm|người|giờ|buổi|%))")


def _valid_dm(d: str, m: str) -> bool:
    return 1 <= int(d) <= 31 and 1 <= int(m) <= 12


def unify_dates(clean: str) -> str:
    """"05.12.2026", "05-12-2026" and a day's "28-6" -> slashes, keeping offsets."""
    def dotted(m: re.Match[str]) -> str:
        return f"{m.group(1)}/{m.group(3)}/{m.group(4)}" if _valid_dm(m.group(1), m.group(3)) else m.group(0)

    def dashed(m: re.Match[str]) -> str:
        return f"{m.group(1)}{m.group(2)}/{m.group(3)}" if _valid_dm(m.group(2), m.group(3)) else m.group(0)

    def short(m: re.Match[str]) -> str:
        return f"{m.group(1)}{m.group(2)}/{m.group(4)}" if _valid_dm(m.group(2), m.group(4)) else m.group(0)

    return _SHORT_DAY.sub(short, _DASHED_DAY.sub(dashed, _DOTTED.sub(dotted, clean)))


def normalize(text: str) -> str:
    """NFC and unified newlines: the only transformation that changes offsets."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def collapse(text: str) -> str:
    """Collapse every whitespace run to one space (corpus convention 3)."""
    return re.sub(r"\s+", " ", text).strip()


def starts_lower(s: str) -> bool:
    s = s.lstrip()
    return bool(s) and s[0].isalpha() and s[0].islower()


def is_upper_line(s: str) -> bool:
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 3 and all(c.isupper() for c in letters)


@dataclass(frozen=True)
class Para:
    """A logical paragraph: a heading, a bullet or a run of prose."""

    start: int
    end: int
    first_line: int  # 1-based


@dataclass
class Doc:
    raw: str  # NFC source text (what `source` phrases are cut from)
    clean: str  # same length; markup replaced by spaces
    line_starts: list[int] = field(default_factory=list)
    paras: list[Para] = field(default_factory=list)
    wrapped: bool = False
    tables: Tables = field(default_factory=Tables)

    @classmethod
    def from_text(cls, text: str) -> "Doc":
        raw = normalize(text)
        clean = unify_dates(raw.translate(_MARKUP))
        doc = cls(raw=raw, clean=clean)
        doc.line_starts = [0] + [m.end() for m in re.finditer("\n", raw)]
        doc.wrapped = _detect_wrapped(doc.lines())
        doc.paras = _build_paras(doc)
        doc.tables = find_tables(raw, doc.lines())
        return doc

    # -- positions --------------------------------------------------------
    def line_of(self, offset: int) -> int:
        return bisect_right(self.line_starts, offset)

    def lines(self) -> list[tuple[int, int, str]]:
        out = []
        for i, s in enumerate(self.line_starts):
            e = self.line_starts[i + 1] - 1 if i + 1 < len(self.line_starts) else len(self.clean)
            out.append((s, e, self.clean[s:e]))
        return out

    def phrase(self, start: int, end: int) -> str:
        return collapse(self.raw[start:end])

    def text(self, start: int, end: int) -> str:
        """Cleaned text of a span with whitespace collapsed (for analysis)."""
        return collapse(self.clean[start:end])

    def para_at(self, offset: int) -> Para | None:
        lo, hi = 0, len(self.paras)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.paras[mid].end <= offset:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.paras) and self.paras[lo].start <= offset:
            return self.paras[lo]
        return None


def _blank(line: str) -> bool:
    return _SEPARATOR_LINE.match(line) is not None


def _detect_wrapped(lines: list[tuple[int, int, str]]) -> bool:
    """True when the text was hard-wrapped at a fixed width (e.g. PDF export).

    Signature: many non-blank lines end without punctuation and are directly
    followed by a line that continues the sentence in lower case.
    """
    body = [t for _, _, t in lines if not _blank(t)]
    if len(body) < 10:
        return False
    breaks = 0
    for i in range(len(lines) - 1):
        cur, nxt = lines[i][2], lines[i + 1][2]
        if _blank(cur) or _blank(nxt):
            continue
        if not _TERMINAL.search(cur) and starts_lower(nxt):
            breaks += 1
    return breaks / len(body) > 0.15


def _typical_width(lines: list[tuple[int, int, str]]) -> int:
    widths = sorted(len(t.strip()) for _, _, t in lines if not _blank(t))
    if not widths:
        return 80
    return widths[int(len(widths) * 0.8)]


def _build_paras(doc: Doc) -> list[Para]:
    lines = doc.lines()
    width = _typical_width(lines)
    short = 0.7 * width
    paras: list[Para] = []
    cur_start = cur_end = -1
    cur_line = 0
    cur_nlines = 0
    prev_text = ""
    gap = False

    def flush() -> None:
        if cur_start >= 0:
            paras.append(Para(cur_start, cur_end, cur_line))

    for idx, (s, e, t) in enumerate(lines):
        if _blank(t):
            gap = True
            continue
        join = False
        if cur_start >= 0:
            prev_open = not _TERMINAL.search(prev_text)
            if gap:
                # A blank line inside a sentence ("có nội\n\ndung"): the next
                # line continues in lower case after an unfinished line.
                join = prev_open and starts_lower(t) and not ENUMERATOR.match(t)
            elif doc.wrapped:
                join = _wrapped_continues(prev_text, t, cur_nlines, short)
            else:
                join = prev_open and starts_lower(t) and not ENUMERATOR.match(t)
        if join:
            cur_end = e
            cur_nlines += 1
        else:
            flush()
            cur_start, cur_end, cur_line, cur_nlines = s, e, idx + 1, 1
        prev_text = t
        gap = False
    flush()
    return paras


def _wrapped_continues(prev: str, line: str, nlines: int, short: float) -> bool:
    """In a hard-wrapped text, does `line` continue the paragraph ending in `prev`?"""
    stripped = line.strip()
    if ENUMERATOR.match(line):
        return False
    if stripped.startswith("- "):
        # "1. Sở Lao động\n- Thương binh và Xã hội": a dash after an open line
        # is the hyphen of a name, not a bullet.
        return not _TERMINAL.search(prev)
    if _TERMINAL.search(prev) and not starts_lower(line):
        return False
    if is_upper_line(prev) != is_upper_line(line) and not starts_lower(line):
        return False
    if starts_lower(line):
        return True
    # An upper-case start after a short line that is not the paragraph's first
    # line (first lines are short because of the indent) starts a paragraph.
    if nlines > 1 and len(prev.strip()) < short:
        return False
    return True
