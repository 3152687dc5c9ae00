"""Assembling the draft plan file from header, units and dated mentions.

This is where mentions get their responsible units and their recipient
(`attribution.py` decides both), where
mentions of the same obligation are merged into one (`merge.py`: a plan file
must not remind a unit twice), where obligations get their ids, and where
everything the extractor is unsure of is gathered into `review`.
"""

from __future__ import annotations

import re
from collections import Counter

from .attribution import (REPORT_DUTY, assigned_in_sentence, coordinator, lead_unit, recipient,
                          resolve, standing_unit, undated_recipients, units_outside_headings)
from .clauses import sentence_span
from .header import Header, parse_header
from .merge import Entry, group, report_class, responsible
from .names import ascii_fold, slug
from .obligations import Mention, find_obligations
from .text import Doc, collapse, is_upper_line
from .units import Unit, UnitBook, parse_org_section


def extract_plan(text: str, *, plan_id: str | None = None) -> dict:
    """Draft a plan file (a plain dict in the plan-file shape) from a plan document."""
    doc = Doc.from_text(text)
    header = parse_header(doc)
    review: list[tuple[int, str]] = [(_line_of_msg(m), m) for m in header.review]
    year = header.year or _guess_year(doc)
    if header.year is None:
        review.append((1, f"line 1: the plan's year is not written in the header; {year} guessed "
                          "from the years in the text" if year else
                          "line 1: the plan's year is not written anywhere; fill plan.year"))
    book = UnitBook(header.place)
    org = parse_org_section(doc, book)
    if org.blocks:
        review += [(_line_of_msg(m), m) for m in org.review]
    else:  # no unit headings (a letter, a news summary, a plan that assigns work in sentences)
        units_outside_headings(doc, header, book, review)
    found = find_obligations(doc, year, header.spans)
    review += [(line, f"line {line}: {msg}") for line, msg in found.review]

    standing = standing_unit(doc, org, book)
    obligations = []
    ids: set[str] = set()
    report_codes: Counter[str] = Counter()
    entries: list[Entry] = []
    for m in sorted(found.mentions, key=lambda x: (x.pos, x.kind)):
        entry = Entry(m, org.codes_at(m.pos) or None)
        if m.lead:
            entry.codes = [lead_unit(m, book, standing, review).code]
        elif entry.codes is None:
            entry.codes = assigned_in_sentence(doc, m.pos, book, standing)
        if m.kind == "deadline":
            to = recipient(doc, m.pos)
            if to:
                unit = resolve(to, book, standing)
                if unit is None:
                    unit = book.add(to, m.line)
                    review.append((m.line, f"line {m.line}: reports go to \"{to}\", not a unit of the "
                                   f"organisation section; added as unit {unit.code}"))
                entry.report_to = unit.code
                report_codes[unit.code] += 1
        entries.append(entry)
    subject = header.title or _subject_line(doc)
    for g in group(entries):
        label = _LABEL_TITLE.match(g[0].mention.title)
        if subject and label and (g[0].mention.title != "Báo cáo" or subject.lower().startswith("báo cáo")):
            # "Thời gian: từ ngày 15/11 đến ngày 15/12", "Thời hạn gửi báo cáo: trước ngày
            # 20/6": a label, not a title; the document's own subject says what it is.
            g[0].mention.title = _subject_title(subject, g[0].mention.category)
        ob = _merged_obligation(g, ids, review)
        obligations.append(ob)

    if not report_codes:
        report_codes = undated_recipients(doc, book, standing)
    coord = coordinator(report_codes, standing, book, review)
    if book.units:
        review.append((0, "line 1: unit e-mail addresses are not in the document; fill `email` "
                          "for every unit before import"))
    review += _undated_reports(doc, found.mentions)

    pid = plan_id or _plan_id(header, year)
    plan = {
        "id": pid,
        "number": header.number,
        "issuer": header.issuer,
        "place": header.place,
        "issued_on": header.issued_on,
        "year": year,
        "title": header.title or _capitalised(subject),
        "coordinator": coord,
    }
    if header.issuer is None:
        review.append((1, "line 1: the issuing body was not recognised; fill plan.issuer"))
    units = [_unit_dict(u) for u in book.units]
    seen: set[str] = set()
    ordered = []
    for msg in sorted((m for _, m in review), key=_line_of_msg):
        if msg not in seen:
            seen.add(msg)
            ordered.append(msg)
    return {"plan": plan, "units": units, "obligations": obligations, "review": ordered}


_LABEL_TITLE = re.compile(r"^(?:Khoảng thời gian|Hạn|Báo cáo|Gửi kế hoạch|Thời gian(?: thực hiện)?|"
                          r"Thời hạn(?: gửi| nộp)?(?: báo cáo)?)$")
_VV = re.compile(r"^\s*V/v\s+(?P<what>.+)$", re.M)
_SUBJECT_VERBS = re.compile(
    r"^(?:về việc\s+)?(?:(?:tổ chức|triển khai|thực hiện)\s+)?(?:các hoạt động\s+)?(?:hưởng ứng\s+)?", re.I)


def _capitalised(s: str | None) -> str | None:
    return s[:1].upper() + s[1:] if s else s


def _subject_line(doc: Doc) -> str | None:
    """A công văn's subject ("V/v báo cáo kết quả …") stands in for a plan title."""
    m = _VV.search(doc.raw[:2000])
    return collapse(m.group("what")) if m else None


def _subject_title(subject: str, category: str) -> str:
    t = _SUBJECT_VERBS.sub("", subject.strip())
    t = re.sub(r"\s+năm\s+\d{4}$", "", t) if category in ("window", "event") else t
    return (t[:1].upper() + t[1:])[:120]


def _line_of_msg(msg: str) -> int:
    m = re.match(r"line (\d+)", msg)
    return int(m.group(1)) if m else 0


def _guess_year(doc: Doc) -> int | None:
    years = Counter(int(y) for y in re.findall(r"(?i:năm)\s+(\d{4})|/(\d{4})(?!\d)", doc.clean)
                    for y in y if y)
    return years.most_common(1)[0][0] if years else None


def _unit_dict(u: Unit) -> dict:
    d: dict = {"code": u.code, "name": u.name, "email": []}
    if u.kind:
        d["kind"] = u.kind
    return d


def _merged_obligation(g: list[Entry], ids: set[str], review: list[tuple[int, str]]) -> dict:
    """One obligation from the mentions of one group: the first mention speaks for it."""
    m = g[0].mention
    ob = _obligation(m, ids)
    if any(e.mention.recurrence == "yearly" for e in g):
        ob["recurrence"] = "yearly"
    ob["responsible"] = responsible(g)
    recipients = list(dict.fromkeys(e.report_to for e in g if e.report_to))
    if recipients:
        ob["report_to"] = recipients[0]
    ob["category"] = m.category
    ob["source"] = m.source
    ob["source_line"] = m.line
    if len(g) > 1:
        others = [e.mention.line for e in g[1:]]
        resp = ob["responsible"] if isinstance(ob["responsible"], str) else ", ".join(ob["responsible"])
        notes = [f"merged: responsible {resp}"]
        if len(recipients) > 1:
            notes.append(f"report_to {recipients[0]} kept, also sent to {', '.join(recipients[1:])}")
        if len({e.mention.recurrence for e in g}) > 1:
            notes.append("yearly because one mention says so")
        more = "".join(f", line {n}" for n in others[1:])
        review.append((others[0], f"line {others[0]}: also mentions {ob['id']} (first at line {m.line}"
                                  f"{more}; {'; '.join(notes)})"))
    return ob


def _obligation(m: Mention, ids: set[str]) -> dict:
    ob: dict = {"id": _unique(_ob_id(m), ids), "title": m.title, "kind": m.kind}
    if m.kind == "deadline":
        ob["due"] = m.first.isoformat()
        ob["strict_before"] = m.strict
    elif m.kind == "window":
        ob["start"] = m.first.isoformat()
        ob["end"] = m.last.isoformat()
    else:
        ob["date"] = m.first.isoformat()
    ob["recurrence"] = m.recurrence
    return ob


def _ob_id(m: Mention) -> str:
    t = m.title.lower()
    if m.category == "report":
        known = {"6-month": "bao-cao-6-thang", "quarter": "bao-cao-quy", "year": "bao-cao-nam"}
        if report_class(m.title) in known:
            return known[report_class(m.title)]
        rest = re.sub(r"^(?:(?:gửi|nộp|tổng hợp)\s+)?báo cáo\s*", "", t)
        return "bao-cao-" + slug(rest or "x", 24)
    if m.category == "plan_submission":
        return "ke-hoach-don-vi"
    if m.category == "quarterly_item":
        q = (m.first.month - 1) // 3 + 1
        return f"quy-{q}-" + slug(m.title, 28)
    if "tháng hành động" in t and m.kind == "window":
        return "thang-hanh-dong-" + f"{m.first.month:02d}" if m.category == "event" else "thang-hanh-dong"
    if m.kind == "event":
        return slug(m.title, 36)
    return slug(m.title, 36)


def _unique(base: str, ids: set[str]) -> str:
    base = slug(base, 48)
    out, n = base, 2
    while out in ids:
        out = f"{base}-{n}"
        n += 1
    ids.add(out)
    return out


def _undated_reports(doc: Doc, mentions: list[Mention]) -> list[tuple[int, str]]:
    """Duties to report that carry no date (corpus class b): listed for the reviewer."""
    dated = [m.pos for m in mentions]
    out: list[tuple[int, str]] = []
    seen: set[tuple[int, int]] = set()
    for m in REPORT_DUTY.finditer(doc.clean):
        para = doc.para_at(m.start())
        if para is None:
            continue
        s, e = sentence_span(doc, para, m.start())
        if doc.clean[para.start:para.end].rstrip().endswith(":"):
            continue  # a lead-in to a list ("…, cụ thể:"): the list items carry the dates
        if is_upper_line(doc.clean[para.start:para.end]):
            continue  # a heading ("IV. CHẾ ĐỘ BÁO CÁO"), not a duty
        if (s, e) in seen or any(s <= p < e for p in dated):
            continue
        seen.add((s, e))
        text = collapse(doc.clean[s:e])
        if len(text) > 140:
            text = text[:140].rsplit(" ", 1)[0] + " …"
        line = doc.line_of(m.start())
        out.append((line, f"line {line}: a duty to report without a date: \"{text}\"; "
                          "add an obligation if it should be tracked"))
    return out


def _plan_id(header: Header, year: int | None) -> str:
    place = header.place or (header.issuer or "plan")
    words = re.findall(r"[\wÀ-ỹ]+", ascii_fold(place).lower())
    abbr = "".join(w if w.isdigit() else w[0] for w in words) if header.place or header.issuer else "plan"
    if re.fullmatch(r"quan\s*\d+", " ".join(words)):
        abbr = "q" + words[-1]
    parts = [abbr]
    if year:
        parts.append(str(year))
    if header.number:
        num = re.match(r"\d+", header.number)
        if num:
            parts.append(num.group(0))
    return slug("-".join(parts), 40)


__all__ = ["extract_plan"]
