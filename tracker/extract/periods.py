"""Months and quarters as periods: "trong tháng 11", "từ tháng 3 đến tháng 5",
"(tháng 6)" after a named month, and "Quý I/2022:" headings with their bullets."""

from __future__ import annotations

import re
from datetime import date

from . import dates as D
from .clauses import clause_start, make_title, sentence_span, skip_bullet
from .mention import ACTION_MONTH, YEARLY, Findings, Mention, inside, para_of
from .table_dates import table_window, timed_cell
from .text import ENUMERATOR, Doc, Para, collapse
from .titles import without_subject


_MONTH_RANGE = re.compile(
    r"[Tt]ừ\s+tháng\s+(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))?\s+(?:đến|tới)\s+(?:hết\s+)?tháng\s+(\d{1,2})"
    r"(?:\s*(?:/|năm)\s*(\d{4}))?(?![\d/])")
_DURING = re.compile(r"\s*(?:trong|vào|suốt)\s*$", re.I)
# "trong tháng 5-6/2024", "tháng 11 – 12": two months as one window.
_MONTH_DASH = re.compile(r"[Tt]háng\s+(\d{1,2})()\s*[-–]\s*(\d{1,2})(?:\s*(?:/|năm)\s*(\d{4}))?(?![\d/])")


def month_ranges(doc: Doc, year: int, skip: list[tuple[int, int]], out: Findings) -> None:
    """"từ tháng 3 đến tháng 5/2023" -> a window from 1/3 to 31/5."""
    matches = sorted([*_MONTH_RANGE.finditer(doc.clean), *_MONTH_DASH.finditer(doc.clean)], key=lambda x: x.start())
    for m in matches:
        if inside(m.start(), m.end(), skip):
            continue
        skip.append((m.start(), m.end()))
        if m.re is _MONTH_DASH and int(m.group(3)) <= int(m.group(1)):
            continue  # "tháng 6-2" is no range
        y2 = int(m.group(4)) if m.group(4) else (int(m.group(2)) if m.group(2) else year)
        y1 = int(m.group(2)) if m.group(2) else y2
        a, b = D.month_bounds(y1, int(m.group(1))), D.month_bounds(y2, int(m.group(3)))
        line = doc.line_of(m.start())
        if a is None or b is None or b[1] < a[0]:
            out.review.append((line, f"month range \"{doc.phrase(m.start(), m.end())}\" is not valid; ignored"))
            continue
        para = para_of(doc, m.start())
        start = clause_start(doc, para, m.start(), stops=";:")
        seg = doc.clean[start:m.start()]
        yearly = bool(ACTION_MONTH.search(seg) or YEARLY.search(seg))
        out.mentions.append(Mention(
            kind="window", category="window", first=a[0], last=b[1],
            title=make_title(without_subject(_DURING.sub("", seg))) or "Khoảng thời gian",
            source=doc.phrase(start, m.end()),
            line=line, pos=m.start(), recurrence="yearly" if yearly else "none"))


def months(doc: Doc, year: int, skip: list[tuple[int, int]], out: Findings) -> None:
    """"Tháng hành động … (tháng 6)" -> the month as a yearly event window."""
    text = doc.clean
    for m in D.MONTH.finditer(text):
        if inside(m.start(), m.end(), skip) or re.search(r"\d\s*$", text[max(0, m.start() - 4):m.start()]):
            continue
        month = int(m.group(1))
        y = int(m.group(2)) if m.group(2) else year
        bounds = D.month_bounds(y, month)
        line = doc.line_of(m.start())
        if bounds is None:
            out.review.append((line, f"\"{collapse(m.group(0))}\" is not a month; ignored"))
            continue
        timed = timed_cell(doc, m.start())
        if timed:
            f = D.Found(m.start(), m.end(), bounds[0], bounds[1], bool(m.group(2)), m.group(0))
            table_window(doc, f, timed, "window", "none", year, out)
            continue
        para = para_of(doc, m.start())
        start = clause_start(doc, para, m.start(), stops=";:")
        seg = text[start:m.start()]
        in_parens = re.search(r"\(\s*$", text[max(0, m.start() - 3):m.start()]) is not None
        marks = [x for x in ACTION_MONTH.finditer(seg) if not D.ANY_DATE.search(seg[x.end():])]
        named = marks[-1] if marks else None
        if named is None and in_parens:
            start = clause_start(doc, para, m.start(), stops=";:,")
        during = re.search(r"(?<![\wÀ-ỹ])(?:trong|vào|suốt)\s+$", text[max(0, m.start() - 8):m.start()], re.I)
        activity = re.sub(r"\s*(?:trong|vào|suốt)\s*$", "", seg, flags=re.I)
        if named is None and not in_parens and during and len(activity.split()) >= 2:
            # "Tổ chức hội thi trong tháng 11/2026": the activity takes the whole month.
            out.mentions.append(Mention(
                kind="window", category="window", first=bounds[0], last=bounds[1],
                title=make_title(without_subject(activity)), source=doc.phrase(start, m.end()), line=line,
                pos=m.start(),
                recurrence="yearly" if YEARLY.search(seg) else "none", activity=True))
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


def quarters(doc: Doc, year: int, out: Findings) -> None:
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
    pair_ends: set[int] = set()
    for q in D.QUARTER.finditer(doc.clean):
        para = para_of(doc, q.start())
        if para.start in heads or q.start() in pair_ends:
            continue
        # "trong quý II và quý III/2024": one window over both quarters.
        pair = _QUARTER_PAIR.match(doc.clean, q.start())
        timed = timed_cell(doc, q.start())
        if timed:
            y = int(q.group(2)) if q.group(2) else year
            first, last = D.quarter_bounds(y, D.quarter_number(q.group(1)))
            f = D.Found(q.start(), q.end(), first, last, bool(q.group(2)), q.group(0))
            table_window(doc, f, timed, "quarterly_item", "none", year, out)
            continue
        line = doc.line_of(q.start())
        text = doc.clean
        during = re.search(r"(?<![\wÀ-ỹ])(?:trong|vào|suốt)\s+$", text[max(0, q.start() - 8):q.start()], re.I)
        start = clause_start(doc, para, q.start(), stops=";:")
        activity = re.sub(r"\s*(?:trong|vào|suốt)\s*$", "", text[start:q.start()], flags=re.I)
        _, s_end = sentence_span(doc, para, q.start())
        after = re.sub(r"^\s*(?:việc|công tác)\s+", "", text[q.end():s_end])
        title = make_title(without_subject(activity))
        if _BARE_ACTIVITY.match(title):
            title = make_title(re.split(r"[;:]", after)[0])  # "Hoàn thành trong Quý II việc kiện toàn Ban"
        if during and title and not _BARE_ACTIVITY.match(title):
            # "thực hiện chuyên mục … trong quý III/2024": the activity takes the quarter.
            y = int(q.group(2)) if q.group(2) else year
            first, last = D.quarter_bounds(y, D.quarter_number(q.group(1)))
            if pair and D.quarter_number(pair.group(2)) > D.quarter_number(pair.group(1)):
                y = int(pair.group(3)) if pair.group(3) else year
                first = D.quarter_bounds(y, D.quarter_number(pair.group(1)))[0]
                last = D.quarter_bounds(y, D.quarter_number(pair.group(2)))[1]
                pair_ends.update(x.start() for x in D.QUARTER.finditer(doc.clean, q.end(), pair.end()))
            end = s_end if title != make_title(without_subject(activity)) else q.end()
            out.mentions.append(Mention(
                kind="window", category="window", first=first, last=last, title=title,
                source=doc.phrase(start, end), line=line, pos=q.start(),
                recurrence="yearly" if YEARLY.search(activity) else "none", activity=True))
            continue
        out.review.append((line, f"quarter \"{doc.phrase(q.start(), q.end())}\" mentioned in running text "
                           f"(\"{doc.phrase(*sentence_span(doc, para, q.start()))[:120]}\"); no obligation made"))


_QUARTER_PAIR = re.compile(r"[Qq]uý\s+(IV|III|II|I|[1-4])\s*(?:và|,|-|–|đến)\s*(?:[Qq]uý\s+)?(IV|III|II|I|[1-4])"
                           r"(?:\s*(?:/|năm)\s*(\d{4}))?(?![\w/])")
_BARE_ACTIVITY = re.compile(r"^(?:hoàn thành|thực hiện|tổ chức|triển khai|tiến hành)?$", re.I)


def _quarter_item(doc: Doc, p: Para, start: int, bounds: tuple[date, date], out: Findings) -> None:
    out.mentions.append(Mention(
        kind="window", category="quarterly_item", first=bounds[0], last=bounds[1],
        title=make_title(doc.clean[start:p.end]), source=doc.phrase(start, p.end),
        line=doc.line_of(start), pos=start, recurrence="none"))
