"""Finding dated obligations: deadlines, windows, events and quarterly items.

Every date in the text is looked at once and put in exactly one bin:
- a range ("15/11-15/12/2021", "từ ngày … đến ngày …")      -> window
- after "trước / chậm nhất / hạn …"                          -> deadline
- after a document number ("Quyết định số … ngày 28/12/2020") -> citation, dropped
- after the name of a day ("ngày Quốc tế phụ nữ 8/3")         -> yearly event
- anything else                                                -> review, never guessed
Months ("(tháng 6)", "trong tháng 11") and quarter headings ("Quý I/2022:") are
handled apart.  In a table of duties (`tables.py`) the column decides instead:
a date under "Thời hạn" is a deadline, a quarter under "Thời gian" a quarterly
item, and the row's "Nội dung" and "Đơn vị chủ trì" cells give title and lead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from . import dates as D
from .clauses import (clause_start, deadline_subject, deadline_title, extend_markup,
                      make_title, sentence_span, skip_bullet)
from .tables import Cell, Row
from .text import ENUMERATOR, Doc, Para, collapse


@dataclass
class Mention:
    kind: str  # deadline | window | event
    category: str  # report | plan_submission | window | event | quarterly_item | other
    first: date
    last: date
    title: str
    source: str
    line: int
    pos: int  # offset of the date in the text (for unit attribution)
    strict: bool = False
    recurrence: str = "none"
    lead: str | None = None  # the lead unit as written in a table's "chủ trì" column
    # An activity dated by the period it takes (a table row, "trong tháng 11"): two
    # activities in one month are two obligations, unlike two mentions of one window.
    activity: bool = False


@dataclass
class Findings:
    mentions: list[Mention]
    review: list[tuple[int, str]]  # (line, message)


_DEADLINE_KW = re.compile(
    r"(?<![\wÀ-ỹ])(?P<kw>trước|chậm\s+nhất|muộn\s+nhất|không\s+muộn\s+hơn|không\s+quá|hạn\s+chót|"
    r"hạn\s+cuối|hạn\s+nộp|thời\s+hạn|hạn|đến\s+hết)\s*(?:là|vào)?\s*:?\s*(?:ngày)?\s*$",
    re.I,
)
# "Hạn nộp báo cáo năm: 15/12" — a label, its object, a colon, the date.
_DEADLINE_LABEL = re.compile(
    r"(?<![\wÀ-ỹ])(?P<kw>thời\s+hạn|hạn\s+chót|hạn\s+cuối|hạn\s+nộp|hạn\s+gửi|hạn)\s+(?P<what>[^.;:\d]{3,80}?)"
    r"\s*:\s*(?:ngày\s*)?$", re.I)
# "trước ngày 20/6/2023 và 20/12/2023": the second date shares the keyword.
_CHAINED = re.compile(
    r"(?<![\wÀ-ỹ])(?P<kw>trước|chậm\s+nhất)\s*(?:là|vào)?\s*(?:ngày)?\s*\d{1,2}/\d{1,2}(?:/\d{2,4})?"
    r"\s*(?:và|hoặc|,)\s*(?:ngày\s*)?$", re.I)
_DOC_REF = re.compile(
    r"(?:\bsố\s*\d|\d+\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ]|\d+-[A-ZĐ]+/[A-ZĐ]|"
    r"\b(?:Quyết định|Chỉ thị|Nghị quyết|Nghị định|Thông tư|Công văn|Kết luận|Thông báo|Hướng dẫn|"
    r"Luật|Bộ luật|Pháp lệnh|Hiến pháp)\b)"
)
_NAMED_DAY = re.compile(r"(?:[Nn]gày|NGÀY)\s+(?![\d\s])(?P<name>[^\d;:/]{2,100}?)\s*\(?\s*$")
_OCCASION = re.compile(r"(?:nhân dịp|nhân|dịp|kỷ niệm|hưởng ứng|chào mừng)\s*\(?\s*$", re.I)
_ACTIVITY_DAY = re.compile(r"(?:vào|diễn ra|tổ chức|Lễ[^.;]{0,60})\s+ngày\s*$|\(\s*ngày\s*$")
_TIMESTAMP = re.compile(r"^\s*\d{1,2}:\d{2}")
_YEARLY = re.compile(r"hàng năm|hằng năm", re.I)
# "Căn cứ Luật …; Căn cứ Quyết định số … từ ngày 01/3/2025": the legal basis of
# the plan; its dates are the cited documents' (corpus convention 1).
_LEGAL_BASIS = re.compile(r"^\W*(?:Căn cứ|Thực hiện|Theo)\s+(?:các\s+)?(?:Luật|Bộ luật|Pháp lệnh|Hiến pháp|Nghị|"
                          r"Quyết định|Chỉ thị|Thông tư|Công văn|Kết luận|Kế hoạch số|Chương trình số|Hướng dẫn|"
                          r"văn bản)")
# "Số liệu (báo cáo) tính từ ngày … đến ngày …": a reporting period, not a window.
_PERIOD = re.compile(r"(?:số liệu|kỳ báo cáo|thời kỳ báo cáo|kỳ số liệu|thời điểm lấy số liệu)"
                     r"[^.;:|]{0,25}$", re.I)
_ACTION_MONTH = re.compile(r"[Tt]háng\s+(?:hành động|cao điểm)", re.I)


def find_obligations(doc: Doc, year: int, header_spans: list[tuple[int, int]]) -> Findings:
    out = Findings([], [])
    text = doc.clean
    skip: list[tuple[int, int]] = list(header_spans)

    for f in D.ranges(text, year):
        if _inside(f.start, f.end, header_spans):
            continue
        skip.append((f.start, f.end))
        _window(doc, f, year, out)
    for f in D.singles(text, year, skip):
        _single(doc, f, year, out)
        skip.append((f.start, f.end))
    _month_ranges(doc, year, skip, out)
    _months(doc, year, skip, out)
    _quarters(doc, year, out)
    return out


def _inside(s: int, e: int, spans: list[tuple[int, int]]) -> bool:
    return any(not (e <= a or s >= b) for a, b in spans)


def _para(doc: Doc, pos: int) -> Para:
    p = doc.para_at(pos)
    return p if p is not None else Para(0, len(doc.clean), 1)


def _bad_date(doc: Doc, f: D.Found, out: Findings, year: int | None = 0) -> bool:
    if f.first is None or f.last is None:
        why = ("has no year and the plan's year is unknown" if year is None and not f.explicit_year
               else "is not a real date")
        out.review.append((doc.line_of(f.start), f"\"{collapse(f.written)}\" {why}; "
                           "no obligation was made from it"))
        return True
    return False


def _close_paren(doc: Doc, start: int, end: int) -> int:
    """Include a ")" that closes a "(" opened inside the phrase."""
    seg = doc.clean[start:end]
    if seg.count("(") > seg.count(")"):
        m = re.match(r"\s*\)", doc.clean[end:end + 4])
        if m:
            return end + m.end()
    return end


def _year_note(doc: Doc, f: D.Found, year: int, out: Findings) -> None:
    if f.explicit_year and f.first and f.last and year not in (f.first.year, f.last.year):
        out.review.append((doc.line_of(f.start), f"\"{collapse(f.written)}\" is in {f.last.year}, "
                           f"not the plan's year {year}; kept as written"))


def _window(doc: Doc, f: D.Found, year: int, out: Findings) -> None:
    if _bad_date(doc, f, out, year):
        return
    assert f.first and f.last
    para = _para(doc, f.start)
    if f.last < f.first:
        out.review.append((doc.line_of(f.start), f"range \"{collapse(f.written)}\" ends before it starts"))
        return
    start = clause_start(doc, para, f.start, stops=";:")
    seg = doc.clean[start:f.start]
    cell = _cell_start(doc, f.start)
    if _PERIOD.search(doc.clean[max(start, cell if cell is not None else start):f.start]):
        out.review.append((doc.line_of(f.start), f"\"{collapse(f.written)}\" is a reporting period "
                           "(\"số liệu …\"), not a window; no obligation made"))
        return
    timed = _timed_cell(doc, f.start)
    if timed:
        _table_window(doc, f, timed, "window", "none", year, out)
        return
    marks = list(_ACTION_MONTH.finditer(seg))
    am = marks[-1] if marks else None
    title_from = start + am.start() if am else start
    title = make_title(re.sub(r"\s*\(?\s*từ\s*(?:ngày)?\s*$", "", doc.clean[title_from:f.start]))
    end = extend_markup(doc, f.end)
    if doc.clean[end:end + 2].strip().startswith(")"):
        end = doc.clean.index(")", end) + 1
    yearly = bool(am or _YEARLY.search(doc.text(*sentence_span(doc, para, f.start))))
    _year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="window", category="window", first=f.first, last=f.last,
        title=title or "Khoảng thời gian", source=doc.phrase(start, end),
        line=doc.line_of(f.start), pos=f.start, recurrence="yearly" if yearly else "none"))


# -- tables -----------------------------------------------------------------------

def _cell_start(doc: Doc, pos: int) -> int | None:
    hit = doc.tables.cell_at(pos)
    return hit[1].start if hit else None


def _timed_cell(doc: Doc, pos: int) -> tuple[Row, Cell] | None:
    """The (row, cell) when `pos` is in a table's time or deadline column."""
    hit = doc.tables.cell_at(pos)
    return hit if hit and hit[1].role in ("deadline", "time") else None


def _row_subject(doc: Doc, row: Row, cell: Cell) -> tuple[int, str, str | None]:
    """Where a row's phrase starts, its title (the content cell) and its lead unit."""
    content = row.cell("content") or max(
        (c for c in row.cells if c is not cell and c.role not in ("index", "note")),
        key=lambda c: len(doc.clean[c.start:c.end].strip()), default=None)
    lead_cell = row.cell("lead")
    lead = collapse(doc.clean[lead_cell.start:lead_cell.end]).strip(" .,;") if lead_cell else ""
    if content is None:
        return skip_bullet(doc, cell.start, cell.end), "", lead or None
    text = collapse(doc.clean[content.start:content.end])
    start = skip_bullet(doc, min(content.start, cell.start), cell.end)
    return start, text, lead or None


def _table_window(doc: Doc, f: D.Found, hit: tuple[Row, Cell], category: str, recurrence: str,
                  year: int, out: Findings) -> None:
    assert f.first and f.last
    row, cell = hit
    start, title, lead = _row_subject(doc, row, cell)
    _year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="window", category=category, first=f.first, last=f.last,
        title=make_title(title) or "Khoảng thời gian", source=doc.phrase(start, extend_markup(doc, f.end)),
        line=doc.line_of(f.start), pos=f.start, recurrence=recurrence, lead=lead, activity=True))


def _table_date(doc: Doc, f: D.Found, hit: tuple[Row, Cell], year: int, out: Findings) -> None:
    """A date in a time/deadline column: the column and the cell's words say what it is."""
    assert f.first
    row, cell = hit
    before = doc.clean[cell.start:f.start]
    if doc.clean[f.start:f.end].lower().startswith("ngày"):
        before += "ngày "
    start, title, lead = _row_subject(doc, row, cell)
    kw = _DEADLINE_KW.search(before) or _CHAINED.search(before)
    end = extend_markup(doc, f.end)
    line = doc.line_of(f.start)
    _year_note(doc, f, year, out)
    if kw or cell.role == "deadline":
        low = title.lower()
        category = "report" if "báo cáo" in low else "plan_submission" if "kế hoạch" in low else "other"
        out.mentions.append(Mention(
            kind="deadline", category=category, first=f.first, last=f.first,
            title=deadline_title(title) or make_title(title) or "Hạn", source=doc.phrase(start, end),
            line=line, pos=f.start, strict=bool(kw) and kw.group("kw").lower() == "trước",
            recurrence="yearly" if _YEARLY.search(title) else "none", lead=lead))
        return
    written = collapse(doc.clean[f.start:f.end])
    out.mentions.append(Mention(
        kind="event", category="event", first=f.first, last=f.first,
        title=make_title(title) or written, source=doc.phrase(start, end), line=line, pos=f.start,
        recurrence="none", lead=lead, activity=True))
    out.review.append((line, f"\"{written}\" in the table's time column taken as a one-off event; check it"))


def _single(doc: Doc, f: D.Found, year: int, out: Findings) -> None:
    para = _para(doc, f.start)
    timed = _timed_cell(doc, f.start)
    if timed:
        if not _bad_date(doc, f, out, year):
            _table_date(doc, f, timed, year, out)
        return
    s_start, _ = sentence_span(doc, para, f.start)
    cell = _cell_start(doc, f.start)
    base = max(s_start, f.start - 160, cell if cell is not None else 0)
    as_written = doc.clean[base:f.start]
    before = as_written
    written = doc.clean[f.start:f.end]
    if written.lower().startswith("ngày"):
        before = before + "ngày "
    line = doc.line_of(f.start)

    label = _DEADLINE_LABEL.search(before)
    if label and not _DEADLINE_KW.search(before):
        if _bad_date(doc, f, out, year):
            return
        _labelled_deadline(doc, f, base + label.start(), label.group("what"), year, out)
        return
    kw = _DEADLINE_KW.search(before) or _CHAINED.search(before)
    if kw:
        if _bad_date(doc, f, out, year):
            return
        _deadline(doc, para, f, kw.group("kw").lower(), base + kw.start(), year, out)
        return
    if _citation(before) or _LEGAL_BASIS.match(doc.clean[s_start:f.start]):
        return
    named = _named_day(before)
    if named is not None:
        if _bad_date(doc, f, out, year):
            return
        _event(doc, para, f, base + named, "yearly", year, out)
        return
    if _OCCASION.search(before):
        if _bad_date(doc, f, out, year):
            return
        _event(doc, para, f, clause_start(doc, para, f.start, stops=";:,"), "yearly", year, out)
        return
    if _TIMESTAMP.match(doc.clean[f.end:f.end + 8]):
        return  # a web page's posting time, not part of the plan
    if _ACTIVITY_DAY.search(before):
        if _bad_date(doc, f, out, year):
            return
        _event(doc, para, f, clause_start(doc, para, f.start, stops=";:"), "none", year, out)
        out.review.append((line, f"\"{doc.phrase(f.start, f.end)}\" taken as a one-off event; check it"))
        return
    if re.search(r"^\s*,", doc.clean[f.end:f.end + 3]) and re.search(r"(?:^|\n)\s*[Nn]gày\s*$", before):
        return  # "Ngày 09/3/2020, UBND tỉnh ban hành ..." — a news or issue date
    out.review.append((line, f"date \"{collapse(written)}\" not understood "
                       f"(\"…{collapse(as_written[-60:])} {collapse(written)}\"); ignored"))


def _named_day(before: str) -> int | None:
    """Offset in `before` of "ngày <Name>" directly naming the date that follows.

    The *last* "ngày" wins: in "ngày thành lập Hội LHPN Việt Nam và ngày Phụ nữ
    Việt Nam 20/10" the date belongs to the second name.
    """
    for m in reversed(list(re.finditer(r"(?:[Nn]gày|NGÀY)\s+", before))):
        m2 = _NAMED_DAY.match(before, m.start())
        if m2 is None:
            return None  # the nearest "ngày" is followed by digits: not a name
        name = m2.group("name")
        if len(name.split()) <= 14 and not _DOC_REF.search(name):
            return m.start()
        return None
    return None


def _citation(before: str) -> bool:
    """True for "Quyết định số 2232/QĐ-TTg ngày 28/12/2020" and the like."""
    if not re.search(r"(?:ngày|,)\s*$", before):
        return False
    tail = before[-110:]
    tail = tail[tail.rfind(";") + 1:]
    return bool(_DOC_REF.search(tail))


def _deadline(doc: Doc, para: Para, f: D.Found, kw: str, kw_pos: int, year: int,
              out: Findings) -> None:
    assert f.first
    subject = deadline_subject(doc, para, kw_pos)
    clause = doc.clean[subject:kw_pos]
    if not clause.strip():
        # "Báo cáo quý gửi Sở Nội vụ; hạn cuối: 20/3": the thing due is the clause before.
        sep = subject - 1
        while sep > para.start and doc.clean[sep] in " \n":
            sep -= 1
        if sep > para.start and doc.clean[sep] in ";,":
            subject = clause_start(doc, para, sep)
            clause = doc.clean[subject:sep]
    title = deadline_title(clause)
    lowered = clause.lower()
    sentence = doc.text(*sentence_span(doc, para, f.start)).lower()
    if "báo cáo" in lowered:
        category = "report"
    elif "kế hoạch" in lowered:
        category = "plan_submission"
    elif "báo cáo" in sentence:
        category = "report"
    else:
        category = "other"
    if not title:
        title = {"report": "Báo cáo", "plan_submission": "Gửi kế hoạch"}.get(category, "Hạn")
    end = _close_paren(doc, subject, extend_markup(doc, f.end))
    _year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="deadline", category=category, first=f.first, last=f.first, title=title,
        source=doc.phrase(subject, end), line=doc.line_of(f.start), pos=f.start,
        strict=kw == "trước",  # "chậm nhất", "hạn", "đến hết" include the day
        recurrence="yearly" if _YEARLY.search(sentence) else "none"))


def _labelled_deadline(doc: Doc, f: D.Found, start: int, what: str, year: int,
                       out: Findings) -> None:
    assert f.first
    low = what.lower()
    category = "report" if "báo cáo" in low else "plan_submission" if "kế hoạch" in low else "other"
    _year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="deadline", category=category, first=f.first, last=f.first,
        title=make_title(what), source=doc.phrase(start, extend_markup(doc, f.end)),
        line=doc.line_of(f.start), pos=f.start, strict=False,
        recurrence="yearly" if _YEARLY.search(what) else "none"))


def _event(doc: Doc, para: Para, f: D.Found, name_start: int, recurrence: str, year: int,
           out: Findings) -> None:
    assert f.first
    end = extend_markup(doc, f.end)
    if doc.clean[end:end + 2].strip().startswith(")"):
        end = doc.clean.index(")", end) + 1
    title = make_title(doc.clean[name_start:f.start])
    written = doc.phrase(f.start, f.end)  # as written: "28-6" stays "28-6"
    title = f"{title} {written}" if title else written
    _year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="event", category="event", first=f.first, last=f.first, title=title,
        source=doc.phrase(name_start, end), line=doc.line_of(f.start), pos=f.start,
        recurrence=recurrence))


_MONTH_RANGE = re.compile(
    r"[Tt]ừ\s+tháng\s+(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))?\s+(?:đến|tới)\s+(?:hết\s+)?tháng\s+(\d{1,2})"
    r"(?:\s*(?:/|năm)\s*(\d{4}))?(?![\d/])")


def _month_ranges(doc: Doc, year: int, skip: list[tuple[int, int]], out: Findings) -> None:
    """"từ tháng 3 đến tháng 5/2023" -> a window from 1/3 to 31/5."""
    for m in _MONTH_RANGE.finditer(doc.clean):
        if _inside(m.start(), m.end(), skip):
            continue
        skip.append((m.start(), m.end()))
        y2 = int(m.group(4)) if m.group(4) else (int(m.group(2)) if m.group(2) else year)
        y1 = int(m.group(2)) if m.group(2) else y2
        a, b = D.month_bounds(y1, int(m.group(1))), D.month_bounds(y2, int(m.group(3)))
        line = doc.line_of(m.start())
        if a is None or b is None or b[1] < a[0]:
            out.review.append((line, f"month range \"{doc.phrase(m.start(), m.end())}\" is not valid; ignored"))
            continue
        para = _para(doc, m.start())
        start = clause_start(doc, para, m.start(), stops=";:")
        seg = doc.clean[start:m.start()]
        yearly = bool(_ACTION_MONTH.search(seg) or _YEARLY.search(seg))
        out.mentions.append(Mention(
            kind="window", category="window", first=a[0], last=b[1],
            title=make_title(seg) or "Khoảng thời gian", source=doc.phrase(start, m.end()),
            line=line, pos=m.start(), recurrence="yearly" if yearly else "none"))


def _months(doc: Doc, year: int, skip: list[tuple[int, int]], out: Findings) -> None:
    """"Tháng hành động … (tháng 6)" -> the month as a yearly event window."""
    text = doc.clean
    for m in D.MONTH.finditer(text):
        if _inside(m.start(), m.end(), skip) or re.search(r"\d\s*$", text[max(0, m.start() - 4):m.start()]):
            continue
        month = int(m.group(1))
        y = int(m.group(2)) if m.group(2) else year
        bounds = D.month_bounds(y, month)
        line = doc.line_of(m.start())
        if bounds is None:
            out.review.append((line, f"\"{collapse(m.group(0))}\" is not a month; ignored"))
            continue
        timed = _timed_cell(doc, m.start())
        if timed:
            f = D.Found(m.start(), m.end(), bounds[0], bounds[1], bool(m.group(2)), m.group(0))
            _table_window(doc, f, timed, "window", "none", year, out)
            continue
        para = _para(doc, m.start())
        start = clause_start(doc, para, m.start(), stops=";:")
        seg = text[start:m.start()]
        in_parens = re.search(r"\(\s*$", text[max(0, m.start() - 3):m.start()]) is not None
        marks = [x for x in _ACTION_MONTH.finditer(seg) if not D.ANY_DATE.search(seg[x.end():])]
        named = marks[-1] if marks else None
        if named is None and in_parens:
            start = clause_start(doc, para, m.start(), stops=";:,")
        during = re.search(r"(?<![\wÀ-ỹ])(?:trong|vào|suốt)\s+$", text[max(0, m.start() - 8):m.start()], re.I)
        activity = re.sub(r"\s*(?:trong|vào|suốt)\s*$", "", seg, flags=re.I)
        if named is None and not in_parens and during and len(activity.split()) >= 2:
            # "Tổ chức hội thi trong tháng 11/2026": the activity takes the whole month.
            out.mentions.append(Mention(
                kind="window", category="window", first=bounds[0], last=bounds[1],
                title=make_title(activity), source=doc.phrase(start, m.end()), line=line, pos=m.start(),
                recurrence="yearly" if _YEARLY.search(seg) else "none", activity=True))
            continue
        if not (in_parens or named):
            out.review.append((line, f"month \"{doc.phrase(m.start(), m.end())}\" mentioned "
                               f"(\"{doc.phrase(start, m.end())}\"); no obligation made"))
            continue
        title_from = start + named.start() if named else start
        end = m.end()
        if in_parens and ")" in text[end:end + 3]:
            end = text.index(")", end) + 1
        out.mentions.append(Mention(
            kind="window", category="event", first=bounds[0], last=bounds[1],
            title=make_title(text[title_from:m.start()]) or f"Tháng {month}",
            source=doc.phrase(title_from, end), line=line, pos=m.start(),
            recurrence="yearly"))


_QUARTER_HEAD = re.compile(
    r"^(?:\d{1,2}(?:\.\d{1,2})*[.)]\s*|[IVX]{1,4}[.)]\s*|[a-zđ][.)]\s*|[-+•]\s*)?[Qq]uý\s+(IV|III|II|I|[1-4])"
    r"(?:\s*(?:/|năm)\s*(\d{4}))?\s*[:.]?\s*(.*)$", re.S)


def _quarters(doc: Doc, year: int, out: Findings) -> None:
    """A quarter heading and the bullets under it -> one window per bullet."""
    current: tuple[date, date] | None = None
    heads: list[int] = []
    for p in doc.paras:
        raw = doc.clean[p.start:p.end]
        text = collapse(raw)
        m = _QUARTER_HEAD.match(text)
        if m:
            heads.append(p.start)
            y = int(m.group(2)) if m.group(2) else year
            current = D.quarter_bounds(y, D.quarter_number(m.group(1)))
            if m.group(3).strip():
                rest = p.start + raw.find(m.group(3).strip()[:10])
                _quarter_item(doc, p, rest, current, out)
            continue
        if current is None:
            continue
        if raw.lstrip().startswith(("-", "+", "•")) or (re.match(r"^\s*[a-zđ]\)", raw) and not _QUARTER_HEAD.match(text)):
            _quarter_item(doc, p, skip_bullet(doc, p.start, p.end), current, out)
        elif ENUMERATOR.match(raw) or len(text) < 120:
            current = None  # the next heading ends the quarter's list
    for q in D.QUARTER.finditer(doc.clean):
        para = _para(doc, q.start())
        if para.start in heads:
            continue
        timed = _timed_cell(doc, q.start())
        if timed:
            y = int(q.group(2)) if q.group(2) else year
            first, last = D.quarter_bounds(y, D.quarter_number(q.group(1)))
            f = D.Found(q.start(), q.end(), first, last, bool(q.group(2)), q.group(0))
            _table_window(doc, f, timed, "quarterly_item", "none", year, out)
            continue
        line = doc.line_of(q.start())
        out.review.append((line, f"quarter \"{doc.phrase(q.start(), q.end())}\" mentioned in running text "
                           f"(\"{doc.phrase(*sentence_span(doc, para, q.start()))[:120]}\"); no obligation made"))


def _quarter_item(doc: Doc, p: Para, start: int, bounds: tuple[date, date], out: Findings) -> None:
    out.mentions.append(Mention(
        kind="window", category="quarterly_item", first=bounds[0], last=bounds[1],
        title=make_title(doc.clean[start:p.end]), source=doc.phrase(start, p.end),
        line=doc.line_of(start), pos=start, recurrence="none"))
