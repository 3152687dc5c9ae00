"""Sentences, clauses and titles around a date.

A date alone says little; the clause around it says what is due ("Báo cáo 06
tháng ... gửi trước ngày 30/5/2021"), who sends it and to whom.  These helpers
find that clause as offsets into the document, so the exact source phrase can
be cut from the raw text and its line number computed.
"""

from __future__ import annotations

import re

from .names import starts_org
from .titles import owed_thing
from .text import Doc, Para, collapse

_BULLET = re.compile(r"\s*(?:[-+•]\s*|\(?[a-zđ]\)\s*|\(?[ivx]{1,4}\)\s*|\d{1,2}(?:\.\d{1,2})*[.)]\s*)")
_UPPER_START = re.compile(r"\s+[\"'(]?[A-ZĐÀ-Ỹ]")


def sentence_span(doc: Doc, para: Para, pos: int) -> tuple[int, int]:
    """The sentence of `para` containing `pos`: bounded by [.!?] + capital, or ';'."""
    text = doc.clean
    start = para.start
    for m in re.finditer(r"[.!?;]", text[para.start:pos]):
        at = para.start + m.end()
        if m.group(0) == ";" or _UPPER_START.match(text, at) or text[at:at + 1] == "\n":
            start = at
    end = para.end
    for m in re.finditer(r"[.!?;]", text[pos:para.end]):
        at = pos + m.end()
        if m.group(0) == ";" or at >= para.end or _UPPER_START.match(text, at):
            end = at
            break
    return start, end


def clause_start(doc: Doc, para: Para, pos: int, stops: str = ";:()") -> int:
    """Start of the clause that ends at `pos`: after the last stop character."""
    s, _ = sentence_span(doc, para, pos)
    seg = doc.clean[s:pos]
    cut = max((seg.rfind(c) for c in stops), default=-1)
    # A closed parenthesis before `pos` ("(qua Phòng ...) trước ngày") is part
    # of the clause, not its start.
    if cut >= 0 and seg[cut] == ")":
        opened = seg.rfind("(", 0, cut)
        inner_cut = max((seg.rfind(c, 0, opened) for c in stops if c not in "()"), default=-1)
        cut = inner_cut if opened >= 0 else cut
    start = s + cut + 1
    return skip_bullet(doc, start, pos)


def skip_bullet(doc: Doc, start: int, limit: int) -> int:
    while start < limit and doc.clean[start] in " \n\"'":
        start += 1
    m = _BULLET.match(doc.clean, start)
    if m and m.end() <= limit:
        start = m.end()
    while start < limit and doc.clean[start] in " \n":
        start += 1
    return start


_NOUN = re.compile(r"báo cáo|kế hoạch", re.I)
_DATE_THEN = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?\s*\)?\s*(?:và|,|;)\s*")
_TO_UNIT = re.compile(r"\s(?:về|lên|tới)\s+")
_LEAD_IN = re.compile(r"^(?:Căn cứ|Thực hiện|Trên cơ sở|Đề nghị)\b", re.I)
_ACTION = re.compile(r"\b(?:xây dựng|ban hành|gửi|báo cáo|Báo cáo|thực hiện)\b")
_TRAILING_SEND = re.compile(r"[\s,]*(?:và\s+)?(?:gửi|nộp)(?:\s+(?:về|lên|cho|tới))?[^,;]*$")


def deadline_subject(doc: Doc, para: Para, kw_pos: int) -> int:
    """Offset where the thing that is due is named, for a deadline keyword at kw_pos.

    "…, báo cáo tổng kết năm 2020 gửi trước ngày …" -> at "báo cáo tổng kết".
    """
    start = clause_start(doc, para, kw_pos)
    if not doc.clean[start:kw_pos].strip() and doc.clean[:start].rstrip().endswith("("):
        # "Báo cáo năm (trước ngày 15/11)": the subject stands before the parenthesis.
        kw_pos = doc.clean.rindex("(", 0, start)
        start = clause_start(doc, para, kw_pos)
    seg = doc.clean[start:kw_pos]
    # Candidates: the clause, after each comma, and after an earlier date of the same
    # clause ("báo cáo 6 tháng trước ngày 10/6 và báo cáo năm trước ngày 10/12").
    cands = sorted([start] + [start + m.end() for m in re.finditer(",", seg)]
                   + [start + m.end() for m in _DATE_THEN.finditer(seg)])
    chosen = start
    for c in reversed(cands):
        if _NOUN.search(doc.clean[c:kw_pos]):
            chosen = c
            break
    chosen = skip_bullet(doc, chosen, kw_pos)
    head = doc.clean[chosen:kw_pos]
    if _LEAD_IN.match(head.strip()):
        m = list(_ACTION.finditer(head))
        for a in m:
            if a.start() > 0 and _NOUN.search(head[a.start():]):
                chosen = chosen + a.start()
                break
    return chosen


def make_title(text: str, limit: int = 100) -> str:
    """A readable title from a clause: no parentheses or markup, capitalised, cut."""
    t = re.sub(r"\([^)]*\)?", " ", text)
    t = collapse(t).strip(" ,;:.-")
    if len(t) > limit:
        t = t[:limit].rsplit(" ", 1)[0].rstrip(" ,;:-")
    return t[:1].upper() + t[1:] if t else t


def deadline_title(text: str) -> str:
    """Title of a deadline: the thing due, without "gửi về Sở ..." around it.

    "Báo cáo 06 tháng ... gửi" -> "Báo cáo 06 tháng ..."; "Các đơn vị gửi Báo
    cáo năm" -> "Báo cáo năm".
    """
    t = owed_thing(collapse(re.sub(r"\([^)]*\)?", " ", text)))
    m = _TRAILING_SEND.search(t)
    if m:
        head, tail = t[:m.start()], t[m.start():]
        if _NOUN.search(head) and len(head.split()) >= 2:
            t = head
        elif _NOUN.search(tail):
            t = tail[_NOUN.search(tail).start():]
        elif len(head.split()) >= 2:
            t = head
    # "Báo cáo số liệu về Phòng Văn hóa - Xã hội" -> "Báo cáo số liệu": the recipient is report_to.
    for to in _TO_UNIT.finditer(t):
        rest = t[to.end():]
        if starts_org(rest) and not re.match(r"[Cc]ác\s", rest) and len(t[:to.start()].split()) >= 2:
            t = t[:to.start()]
            break
    return make_title(t)


def extend_markup(doc: Doc, end: int) -> int:
    """Extend a span over closing markup ("**30/5/2021**", "(8/3)")."""
    while end < len(doc.raw) and doc.raw[end] in "*_":
        end += 1
    return end
