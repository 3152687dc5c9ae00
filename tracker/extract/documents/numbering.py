"""Word's automatic numbering, written out as the text a reader sees.

In a .docx the "5.2." before "Phòng Y tế …" or the "a)" before "Sở Tài chính"
is often not in the text at all: the paragraph points at a numbering
definition (numbering.xml) and Word draws the number.  The extractor finds
unit headings and list items by those numbers, so the reader writes them out:
counters per list and level, a deeper level restarting when a shallower one
advances, the level's pattern ("%1.%2.") and format (decimal, letters, Roman
numerals; a bullet becomes "-").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@dataclass(frozen=True)
class Level:
    start: int
    fmt: str
    text: str  # "%1.%2." — %k is level k-1's counter


@dataclass
class Numbering:
    """Numbering definitions of one document and the counters while reading it."""

    levels: dict[str, dict[int, Level]] = field(default_factory=dict)  # numId -> ilvl -> Level
    abstract_of: dict[str, str] = field(default_factory=dict)  # numId -> abstractNumId
    restarted: set[str] = field(default_factory=set)  # numIds with a lvlOverride: own counters
    _counters: dict[str, list[int | None]] = field(default_factory=dict)  # abstractNumId -> per level

    @classmethod
    def from_xml(cls, root: Any | None) -> "Numbering":
        out = cls()
        if root is None:
            return out
        abstract: dict[str, dict[int, Level]] = {}
        for an in root.iter(f"{W}abstractNum"):
            abstract[an.get(f"{W}abstractNumId", "")] = _levels(an)
        for num in root.iter(f"{W}num"):
            num_id = num.get(f"{W}numId", "")
            ref = num.find(f"{W}abstractNumId")
            aid = ref.get(f"{W}val", "") if ref is not None else ""
            levels = dict(abstract.get(aid, {}))
            for ov in num.iter(f"{W}lvlOverride"):
                out.restarted.add(num_id)
                ilvl = int(ov.get(f"{W}ilvl", "0"))
                lvl = ov.find(f"{W}lvl")
                if lvl is not None:
                    levels[ilvl] = _level(lvl)
                so = ov.find(f"{W}startOverride")
                if so is not None and ilvl in levels:
                    old = levels[ilvl]
                    levels[ilvl] = Level(int(so.get(f"{W}val", "1")), old.fmt, old.text)
            out.levels[num_id] = levels
            out.abstract_of[num_id] = aid
        return out

    def label(self, num_id: str, ilvl: int) -> str:
        """The next label of list `num_id` at level `ilvl` ("" when none is drawn)."""
        levels = self.levels.get(num_id)
        if not levels or ilvl not in levels or num_id == "0":
            return ""
        # Lists sharing a definition continue one another's numbers, as in Word,
        # unless the list restarts them (an override).
        key = num_id if num_id in self.restarted else "a" + self.abstract_of.get(num_id, num_id)
        counters = self._counters.setdefault(key, [None] * 9)
        lvl = levels[ilvl]
        cur = counters[ilvl]
        counters[ilvl] = lvl.start if cur is None else cur + 1
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = None
        if lvl.fmt == "bullet":
            return "-"
        if lvl.fmt == "none":
            return ""
        text = lvl.text
        for k in range(ilvl + 1):
            value = counters[k]
            if value is None:  # a level skipped over: Word shows its start
                value = levels[k].start if k in levels else 1
                counters[k] = value
            fmt = levels[k].fmt if k in levels else "decimal"
            text = text.replace(f"%{k + 1}", _format(value, fmt))
        return text.strip()


def _levels(an: Any) -> dict[int, Level]:
    return {int(lvl.get(f"{W}ilvl", "0")): _level(lvl) for lvl in an.findall(f"{W}lvl")}


def _level(lvl: Any) -> Level:
    def val(tag: str, default: str) -> str:
        el = lvl.find(f"{W}{tag}")
        return el.get(f"{W}val", default) if el is not None else default

    return Level(int(val("start", "1")), val("numFmt", "decimal"), val("lvlText", ""))


def _format(n: int, fmt: str) -> str:
    if fmt in ("lowerLetter", "upperLetter"):
        s = _letters(n)
        return s if fmt == "lowerLetter" else s.upper()
    if fmt in ("lowerRoman", "upperRoman"):
        s = _roman(n)
        return s.lower() if fmt == "lowerRoman" else s
    if fmt == "decimalZero":
        return f"{n:02d}"
    return str(n)


def _letters(n: int) -> str:
    # Word's letters: a..z, then aa, bb, ... (the letter repeated).
    n = max(n, 1)
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1)


def _roman(n: int) -> str:
    out = ""
    for value, sym in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"),
                       (50, "L"), (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while n >= value:
            out += sym
            n -= value
    return out
