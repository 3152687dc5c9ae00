"""Who owes an obligation and who receives it.

- units outside numbered headings: a letter's addressees and the units that
  sentences assign work to (`assignments.py` finds them);
- `responsible` of a dated mention outside any unit's block: the units its
  sentence (else its paragraph's opening) names;
- a table row's lead unit, the recipient of a report ("gửi về Sở …", "(qua
  Phòng …)"), the plan's standing office and its coordinator.
"""

from __future__ import annotations

import re
from collections import Counter

from .assignments import addressees, sentence_subjects
from .clauses import sentence_span
from .header import Header
from .mention import Mention
from .names import name_key, org_start_pattern, starts_org
from .text import Doc, collapse, is_upper_line
from .units import OrgSection, Unit, UnitBook


_VIA = re.compile(r"\(\s*qua\s+(?P<to>[^)]{3,120})\)")
_SEND = re.compile(r"(?:gửi|nộp)\s+(?:về\s+|cho\s+|lên\s+|tới\s+|đến\s+)?(?=" + org_start_pattern() + ")")
# "tổng hợp, báo cáo UBND tỉnh trước ngày …": the verb names its recipient directly.
_REPORT_TO = re.compile(r"(?<![\wÀ-ỹ])báo cáo\s+(?![Cc]ác\s)(?=" + org_start_pattern() + ")")
_ABOUT = re.compile(r"(?:báo cáo|kết quả)[^.;]{0,80}?\svề\s+(?=" + org_start_pattern() + ")", re.I)
_NAME_STOP = re.compile(
    r"\s+(?:để|tổng hợp|trước|chậm nhất|theo|trong|cụ thể|định kỳ|và báo cáo|hằng|hàng|mỗi)(?![\wÀ-ỹ])|[,;:.()]|"
    r"\s+-\s+[a-zđ]|\s+và\s+(?=" + org_start_pattern() + ")"  # "về UBND quận và Sở …": the first recipient
)


def units_outside_headings(doc: Doc, header: Header, book: UnitBook, review: list[tuple[int, str]]) -> None:
    """No numbered unit headings: the units are a letter's addressees and whoever a
    sentence assigns work to ("giao Sở …", "Sở Y tế có trách nhiệm …")."""
    issuer = name_key(header.issuer or "")
    for name, pos in addressees(doc.raw):
        book.add(name, doc.line_of(pos))
    for p in doc.paras:
        text = doc.clean[p.start:p.end]
        if re.match(r"\s*Nơi nhận", text):
            break
        for sentence in re.split(r"(?<=[.;!?])\s+", text):
            for name in sentence_subjects(sentence) or []:
                key = name_key(name)
                if issuer and (issuer == key or issuer.startswith(key + " ")):
                    continue  # the issuer giving the work, not a unit doing it
                book.add(name, doc.line_of(p.start))
    if book.units:
        review.append((1, f"line 1: no numbered unit headings; {len(book.units)} units taken from the "
                          "addressees and the sentences that assign work; check the list"))
    else:
        review.append((1, "line 1: no organisation section (\"TỔ CHỨC THỰC HIỆN\") or unit named in the "
                          "text; units must be added by hand"))


def assigned_in_sentence(doc: Doc, pos: int, book: UnitBook, standing: Unit | None) -> list[str] | None:
    """Units the sentence of a dated mention (else its paragraph's opening) assigns it to."""
    para = doc.para_at(pos)
    if para is None:
        return None
    s, e = sentence_span(doc, para, pos)
    names = sentence_subjects(doc.clean[s:e])
    if names is None:
        first = re.split(r"(?<=[.;!?])\s+", doc.clean[para.start:para.end].strip(), maxsplit=1)[0]
        names = sentence_subjects(first)
    if not names:
        return None
    units = [resolve(n, book, standing) for n in names]
    if any(u is None for u in units):
        return None
    return list(dict.fromkeys(u.code for u in units if u))


def recipient(doc: Doc, pos: int) -> str | None:
    """Who the report is sent to: the clause, its sentence, or the list's lead-in."""
    para = doc.para_at(pos)
    if para is None:
        return None
    s, e = sentence_span(doc, para, pos)
    spans = [(s, e), (para.start, para.end)]
    i = doc.paras.index(para)
    looked = 0
    for j in range(i - 1, -1, -1):
        prev = doc.paras[j]
        if doc.raw[prev.start:prev.end].count("|") >= 2:
            continue  # the rows of a table above: its lead-in is further up
        if is_upper_line(doc.clean[prev.start:prev.end]):
            break  # a section heading: a lead-in above it belongs to another section
        if doc.clean[prev.start:prev.end].rstrip().endswith(":"):
            spans.append((prev.start, prev.end))
            break
        looked += 1
        if looked >= 5:
            break
    for a, b in spans:
        name = recipient_in(doc.clean[a:b].replace("\n", " "))
        if name:
            return name
    return None


def recipient_in(text: str) -> str | None:
    m = _VIA.search(text)
    if m:
        return collapse(m.group("to")).strip(" .,;:")
    for pat in (_SEND, _ABOUT, _REPORT_TO):
        for m in pat.finditer(text):
            rest = text[m.end():]
            name = collapse(rest[:name_end(rest)]).strip(" .,;:")
            if name and starts_org(name) and len(name.split()) <= 16:
                return name
    return None


def name_end(rest: str) -> int:
    """Where a unit name written in running text ends.

    A comma followed by a capitalised word that does not open another unit is
    part of the name: "Sở Lao động, Thương binh và Xã hội".
    """
    for stop in _NAME_STOP.finditer(rest):
        if stop.group(0) == ",":
            after = rest[stop.end():].lstrip()
            if after[:1].isupper() and not starts_org(after):
                continue
        return stop.start()
    return min(len(rest), 120)


def lead_unit(m: Mention, book: UnitBook, standing: Unit | None, review: list[tuple[int, str]]) -> Unit:
    """The unit named in a table's "chủ trì" column, added (and reviewed) when new."""
    assert m.lead
    unit = resolve(m.lead, book, standing)
    if unit is None:
        unit = book.add(m.lead, m.line)
        review.append((m.line, f"line {m.line}: the table names \"{m.lead}\" as lead unit, not a unit of the "
                               f"organisation section; added as unit {unit.code}"))
    return unit


def resolve(name: str, book: UnitBook, standing: Unit | None) -> Unit | None:
    unit = book.find(name)
    if unit:
        return unit
    if standing and re.match(r"(?:Thường trực|Cơ quan thường trực)", name):
        return standing
    return None


def standing_unit(doc: Doc, org: OrgSection, book: UnitBook) -> Unit | None:
    """The unit named the standing office ("Cơ quan thường trực") of the plan."""
    for u in book.units:
        if "thường trực" in u.note.lower():
            return u
    for s, e, codes in org.blocks:
        if len(codes) == 1 and "cơ quan thường trực" in doc.text(s, min(e, s + 400)).lower():
            return next(u for u in book.units if u.code == codes[0])
    return None


def coordinator(report_codes: Counter[str], standing: Unit | None, book: UnitBook,
                 review: list[tuple[int, str]]) -> str | None:
    if report_codes:
        top = report_codes.most_common(1)[0][1]
        tied = [c for c, n in report_codes.items() if n == top]
        if standing and standing.code in tied:
            return standing.code  # a tie goes to the plan's standing office
        return tied[0]
    if standing:
        review.append((0, f"line {standing.line}: no dated report names its recipient; coordinator "
                          f"set to the standing office {standing.code}"))
        return standing.code
    if book.units:
        first = book.units[0]
        review.append((0, f"line {first.line}: the coordinator is not stated; {first.code} "
                          "(first unit of the section) guessed"))
        return first.code
    review.append((0, "line 1: no coordinator found; fill plan.coordinator"))
    return None


def undated_recipients(doc: Doc, book: UnitBook, standing: Unit | None) -> Counter[str]:
    """Where undated report duties are sent, counted by unit (known units only)."""
    counts: Counter[str] = Counter()
    for m in REPORT_DUTY.finditer(doc.clean):
        para = doc.para_at(m.start())
        if para is None:
            continue
        s, e = sentence_span(doc, para, m.start())
        to = recipient_in(doc.clean[s:e].replace("\n", " "))
        unit = resolve(to, book, standing) if to else None
        if unit:
            counts[unit.code] += 1
    return counts


REPORT_DUTY = re.compile(
    r"(?:chế độ (?:thông tin,? )?báo cáo|báo cáo định kỳ|định kỳ báo cáo|báo cáo kết quả|"
    r"gửi [^.;]{0,60}báo cáo|tổng hợp,? báo cáo)", re.I)
