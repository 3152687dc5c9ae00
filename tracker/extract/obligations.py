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
from datetime import date

from . import dates as D
from .clauses import clause_start, deadline_subject, deadline_title, extend_markup, make_title, sentence_span
from .mention import (ACTION_MONTH, CHAINED, DEADLINE_KW, YEARLY, Findings, Mention, bad_date, close_paren,
                      inside, para_of, year_note)
from .periods import month_ranges, months, quarters
from .table_dates import cell_start, table_date, table_window, timed_cell
from .text import Doc, Para, collapse
from .titles import without_subject

__all__ = ["Findings", "Mention", "find_obligations"]

_DEADLINE_LABEL = re.compile(
    r"(?<![\wÀ-ỹ])(?P<kw>thời\s+hạn|hạn\s+chót|hạn\s+cuối|hạn\s+nộp|hạn\s+gửi|hạn)\s+(?P<what>[^.;:\d]{3,80}?)"
    r"\s*:\s*(?:ngày\s*)?$", re.I)
# "trước ngày 20/6/2023 và 20/12/2023": the second date shares the keyword.
_DOC_REF = re.compile(
    r"(?:\bsố\s*\d|\d+\s*/\s*(?:\d{4}\s*/\s*)?[A-ZĐ]|\d+-[A-ZĐ]+/[A-ZĐ]|"
    r"\b(?:Quyết định|Chỉ thị|Nghị quyết|Nghị định|Thông tư|Công văn|Kết luận|Thông báo|Hướng dẫn|"
    r"Luật|Bộ luật|Pháp lệnh|Hiến pháp)\b)"
)
_NAMED_DAY = re.compile(r"(?:[Nn]gày|NGÀY)\s+(?![\d\s])(?P<name>[^\d;:/]{2,100}?)\s*\(?\s*$")
_OCCASION = re.compile(r"(?:nhân dịp|nhân|dịp|kỷ niệm|hưởng ứng|chào mừng)\s*\(?\s*$", re.I)
_ACTIVITY_DAY = re.compile(r"(?:vào|diễn ra|tổ chức|Lễ[^.;]{0,60})\s+ngày\s*$|\(\s*ngày\s*$")
_TIMESTAMP = re.compile(r"^\s*\d{1,2}:\d{2}")
# "Căn cứ Luật …; Căn cứ Quyết định số … từ ngày 01/3/2025": the legal basis of
# the plan; its dates are the cited documents' (corpus convention 1).
_LEGAL_BASIS = re.compile(r"^\W*(?:Căn cứ|Thực hiện|Theo)\s+(?:các\s+)?(?:Luật|Bộ luật|Pháp lệnh|Hiến pháp|Nghị|"
                          r"Quyết định|Chỉ thị|Thông tư|Công văn|Kết luận|Kế hoạch số|Chương trình số|Hướng dẫn|"
                          r"văn bản)")
# "Số liệu (báo cáo) tính từ ngày … đến ngày …": a reporting period, not a window.
_PERIOD = re.compile(r"(?:số liệu|kỳ báo cáo|thời kỳ báo cáo|kỳ số liệu|thời điểm lấy số liệu)"
                     r"[^.;:|]{0,25}(?::\s*)?$", re.I)


def find_obligations(doc: Doc, year: int, header_spans: list[tuple[int, int]]) -> Findings:
    out = Findings([], [])
    text = doc.clean
    skip: list[tuple[int, int]] = list(header_spans)

    for f in D.ranges(text, year):
        if inside(f.start, f.end, header_spans):
            continue
        skip.append((f.start, f.end))
        _window(doc, f, year, out)
    _monthly(doc, year, skip, out)
    for f in D.singles(text, year, skip):
        _single(doc, f, year, out)
        skip.append((f.start, f.end))
    month_ranges(doc, year, skip, out)
    months(doc, year, skip, out)
    quarters(doc, year, out)
    return out


def _monthly(doc: Doc, year: int, skip: list[tuple[int, int]], out: Findings) -> None:
    """"trước ngày 20 hằng tháng" -> one monthly deadline, due the 20th of the plan's January;
    "trước ngày 15 của tháng cuối quý" -> one quarterly deadline, due 15 March."""
    found: list[tuple[re.Match[str], int, str]] = []
    for m in D.MONTHLY_DAY.finditer(doc.clean):
        # "trước ngày 05 của tháng sau": January's report is due in February.
        found.append((m, 2 if m.group("next") else 1, "monthly"))
    for m in D.QUARTERLY_DAY.finditer(doc.clean):
        found.append((m, 3 if m.group("last") else 4, "quarterly"))
    for m in D.DAY_ONLY.finditer(doc.clean):
        para = para_of(doc, m.start())
        if D.MONTHLY_WORDS.search(doc.text(*sentence_span(doc, para, m.start()))):
            found.append((m, 1, "monthly"))
    for m, month, recurrence in sorted(found, key=lambda x: x[0].start()):
        if inside(m.start(), m.end(), skip):
            continue
        skip.append((m.start(), m.end()))
        para = para_of(doc, m.start())
        s_start, _ = sentence_span(doc, para, m.start())
        base = max(s_start, m.start() - 80)
        kw = DEADLINE_KW.search(doc.clean[base:m.start()] + "ngày ")
        day, line = int(m.group(1)), doc.line_of(m.start())
        written = doc.phrase(m.start(), m.end())
        if kw is None:
            out.review.append((line, f"\"{written}\" names a day of every period but no deadline; "
                               "no obligation made"))
            continue
        if not 1 <= day <= 28:
            out.review.append((line, f"\"{written}\": not every month has day {day}; add the {recurrence} "
                               "obligation by hand (short_months)"))
            continue
        first = date(year, month, day)
        f = D.Found(m.start(), m.end(), first, first, False, written)
        hit = timed_cell(doc, m.start())
        if hit:  # a table row: its content cell is the title, its lead cell the unit
            table_date(doc, f, hit, year, out)
        else:
            _deadline(doc, para, f, kw.group("kw").lower(), base + kw.start(), year, out)
        out.mentions[-1].recurrence = recurrence


def _window(doc: Doc, f: D.Found, year: int, out: Findings) -> None:
    if bad_date(doc, f, out, year):
        return
    assert f.first and f.last
    para = para_of(doc, f.start)
    if f.last < f.first:
        out.review.append((doc.line_of(f.start), f"range \"{collapse(f.written)}\" ends before it starts"))
        return
    start = clause_start(doc, para, f.start, stops=";:")
    seg = doc.clean[start:f.start]
    cell = cell_start(doc, f.start)
    # "Thời gian chốt số liệu: từ ngày …": the label before the colon says it too.
    s_start, _ = sentence_span(doc, para, f.start)
    if _PERIOD.search(doc.clean[max(s_start, cell if cell is not None else s_start):f.start]):
        out.review.append((doc.line_of(f.start), f"\"{collapse(f.written)}\" is a reporting period "
                           "(\"số liệu …\"), not a window; no obligation made"))
        return
    timed = timed_cell(doc, f.start)
    if timed:
        table_window(doc, f, timed, "window", "none", year, out)
        return
    marks = list(ACTION_MONTH.finditer(seg))
    am = marks[-1] if marks else None
    title_from = start + am.start() if am else start
    title = make_title(without_subject(re.sub(r"\s*\(?\s*(?:trong\s+(?:suốt\s+)?(?:thời gian\s+)?)?từ\s*(?:ngày)?\s*$",
                                              "", doc.clean[title_from:f.start])))
    end = extend_markup(doc, f.end)
    if doc.clean[end:end + 2].strip().startswith(")"):
        end = doc.clean.index(")", end) + 1
    yearly = bool(am or YEARLY.search(doc.text(*sentence_span(doc, para, f.start))))
    year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="window", category="window", first=f.first, last=f.last,
        title=title or "Khoảng thời gian", source=doc.phrase(start, end),
        line=doc.line_of(f.start), pos=f.start, recurrence="yearly" if yearly else "none"))


# -- tables -----------------------------------------------------------------------

def _single(doc: Doc, f: D.Found, year: int, out: Findings) -> None:
    para = para_of(doc, f.start)
    timed = timed_cell(doc, f.start)
    if timed:
        if not bad_date(doc, f, out, year):
            table_date(doc, f, timed, year, out)
        return
    s_start, _ = sentence_span(doc, para, f.start)
    cell = cell_start(doc, f.start)
    base = max(s_start, f.start - 160, cell if cell is not None else 0)
    as_written = doc.clean[base:f.start]
    before = as_written
    written = doc.clean[f.start:f.end]
    if written.lower().startswith("ngày"):
        before = before + "ngày "
    line = doc.line_of(f.start)

    label = _DEADLINE_LABEL.search(before)
    if label and not DEADLINE_KW.search(before):
        if bad_date(doc, f, out, year):
            return
        _labelled_deadline(doc, f, base + label.start(), label.group("what"), year, out)
        return
    kw = DEADLINE_KW.search(before) or CHAINED.search(before)
    if kw:
        if bad_date(doc, f, out, year):
            return
        _deadline(doc, para, f, kw.group("kw").lower(), base + kw.start(), year, out)
        return
    if _citation(before) or _LEGAL_BASIS.match(doc.clean[s_start:f.start]):
        return
    named = _named_day(before)
    if named is not None:
        if bad_date(doc, f, out, year):
            return
        _event(doc, para, f, base + named, "yearly", year, out)
        return
    if _OCCASION.search(before):
        if bad_date(doc, f, out, year):
            return
        _event(doc, para, f, clause_start(doc, para, f.start, stops=";:,"), "yearly", year, out)
        return
    if _TIMESTAMP.match(doc.clean[f.end:f.end + 8]):
        return  # a web page's posting time, not part of the plan
    if _ACTIVITY_DAY.search(before):
        if bad_date(doc, f, out, year):
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
    if _bare(title):
        # "1.2. Báo cáo định kỳ hằng quý: gửi trước ngày …": the label names what is due.
        label = _LABEL_BEFORE.search(doc.clean[para.start:subject])
        if label and not _bare(make_title(label.group("label"))):
            clause = label.group("label") + " " + clause
            title = make_title(label.group("label"))
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
    end = close_paren(doc, subject, extend_markup(doc, f.end))
    year_note(doc, f, year, out)
    listed = bool(CHAINED.search(doc.clean[kw_pos:f.start]) or _LIST_NEXT.match(doc.clean, f.end))
    periodic = None if listed else next((r for pat, r in _PERIODIC if pat.search(clause)), None)
    out.mentions.append(Mention(
        kind="deadline", category=category, first=f.first, last=f.first, title=title,
        source=doc.phrase(subject, end), line=doc.line_of(f.start), pos=f.start,
        strict=kw == "trước",  # "chậm nhất", "hạn", "đến hết" include the day
        recurrence=periodic or ("yearly" if YEARLY.search(sentence) else "none")))


# "Báo cáo hằng quý gửi trước ngày 20/3": the first period's deadline of a periodic
# duty.  A list of dates ("trước ngày 10/4, 10/7 và 10/10") is one deadline each.
_PERIODIC = [
    (re.compile(r"hằng tháng|hàng tháng|mỗi tháng|định kỳ tháng", re.I), "monthly"),
    (re.compile(r"hằng quý|hàng quý|mỗi quý|định kỳ quý", re.I), "quarterly"),
    (re.compile(r"định kỳ 0?6 tháng|0?6 tháng (?:một|1) lần|0?6 tháng/lần|nửa năm (?:một|1) lần", re.I), "half-yearly"),
]
_LIST_NEXT = re.compile(r"\s*(?:,|và|hoặc|;)\s*(?:ngày\s*)?\d{1,2}/\d{1,2}")
_BARE = re.compile(r"^(?:gửi|nộp|hoàn thành|thực hiện|báo cáo|gửi báo cáo|nộp báo cáo|hạn|thời hạn|thời gian)?$",
                   re.I)
_LABEL_BEFORE = re.compile(
    r"(?:^|[.;\n])\s*(?:[-+•]\s*|\(?[a-zđ]\)\s*|\d{1,2}(?:\.\d{1,2})*[.)]\s*)?"
    r"(?P<label>[^:;.\n]{3,90}?)\s*:\s*$")


def _bare(title: str) -> bool:
    """A title that names no thing: a verb or a label ("Gửi", "Hoàn thành", "Thời gian")."""
    return bool(_BARE.match(title.strip()))


def _labelled_deadline(doc: Doc, f: D.Found, start: int, what: str, year: int,
                       out: Findings) -> None:
    assert f.first
    low = what.lower()
    category = "report" if "báo cáo" in low else "plan_submission" if "kế hoạch" in low else "other"
    year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="deadline", category=category, first=f.first, last=f.first,
        title=make_title(what), source=doc.phrase(start, extend_markup(doc, f.end)),
        line=doc.line_of(f.start), pos=f.start, strict=False,
        recurrence="yearly" if YEARLY.search(what) else "none"))


def _event(doc: Doc, para: Para, f: D.Found, name_start: int, recurrence: str, year: int,
           out: Findings) -> None:
    assert f.first
    end = extend_markup(doc, f.end)
    if doc.clean[end:end + 2].strip().startswith(")"):
        end = doc.clean.index(")", end) + 1
    title = make_title(without_subject(doc.clean[name_start:f.start]))
    written = doc.phrase(f.start, f.end)  # as written: "28-6" stays "28-6"
    title = f"{title} {written}" if title else written
    year_note(doc, f, year, out)
    out.mentions.append(Mention(
        kind="event", category="event", first=f.first, last=f.first, title=title,
        source=doc.phrase(name_start, end), line=doc.line_of(f.start), pos=f.start,
        recurrence=recurrence))


