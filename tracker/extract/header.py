"""The plan's header: number, issuer, place, issue date, year and title.

Official plans open with a fixed block ("Số: 43/KH-UBND", "Hà Nội, ngày 18
tháng 02 năm 2021", "KẾ HOẠCH", title).  Scraped copies lose parts of it: the
number or day left blank for signature (Long Biên), the whole block replaced by
a news headline (Đắk Lắk: "Ngày 09/3/2020, Ủy ban nhân dân tỉnh ban hành Kế
hoạch số 1889/KH-UBND ...").  Each field is looked for in the official block
first, then in the preamble; what is missing is reported, never invented.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .dates import make_date
from .text import Doc, collapse, is_upper_line

# "Số: 43 /KH-UBND", "Số: /KH-UBND" (blank), "Số: **110** /KH-BVSTBPN&BDG"
_NUMBER = re.compile(r"\bSố\s*:?\s*(\d*)\s*/\s*([A-ZĐ][A-ZĐa-z0-9&.\-]*)")
# "Hà Nội, ngày 18 tháng 02 năm 2021", "Long Biên, ngày tháng năm 2025"
# The place opens its cell: the start of the paragraph, or after the wide gap a
# table pipe leaves in a two-column header ("Số: 18/KH-UBND | Tây Hồ, ngày …").
_PLACE_DATE = re.compile(
    r"(?:^|(?<=\s\s)|(?<=\n))(?P<place>[\wÀ-ỹ]+(?:(?:[^\S\n]|\n(?=[A-ZĐÀ-Ỹ]))[\wÀ-ỹ]+){0,4})\s*,\s*ngày\s*(?P<d>\d{1,2})?\s*"
    r"tháng\s*(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})"
)
# News form: "Ngày 09/3/2020, Ủy ban nhân dân tỉnh ban hành Kế hoạch số 1889/KH-UBND"
_NEWS_ISSUE = re.compile(
    r"[Nn]gày\s+(\d{1,2})/(\d{1,2})/(\d{4})\s*,\s*(?P<who>[^.;]{3,80}?)\s+ban hành\s+"
    r"[Kk]ế hoạch\s+số\s+(?P<num>\d+\s*/\s*[A-ZĐ][A-ZĐa-z0-9&.\-]*)"
)
# "UBND Thành phố ban hành Kế hoạch ...", "UBND quận xây dựng kế hoạch ..."
_SELF_ISSUER = re.compile(
    r"(?P<who>(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân|Ban [VvĐđ][^,.;()]{3,80}?|Sở [^,.;()]{3,60}?)"
    r"(?:\s+[Tt]hành phố|\s+[Tt]ỉnh|\s+[Qq]uận|\s+[Hh]uyện|\s+[Tt]hị xã|\s+[Pp]hường|\s+[Xx]ã)?"
    r"(?:\s+[A-ZĐ][\wÀ-ỹ]*(?:\s+[A-ZĐ0-9][\wÀ-ỹ]*){0,2})?)"
    r"\s*(?:\([^)]*\)\s*)?(?:ban hành|xây dựng)\s+[Kk]ế hoạch"
)
_LEVELS = ("thành phố", "tỉnh", "quận", "huyện", "thị xã", "phường", "xã")
_ISSUER_CAPS = re.compile(
    r"(ỦY BAN NHÂN DÂN|UỶ BAN NHÂN DÂN|UBND|BAN VÌ SỰ TIẾN BỘ[A-ZĐÀ-Ỹ &]*|SỞ [A-ZĐÀ-Ỹ ,\-&]+)"
    r"\s+((?:THÀNH PHỐ|TỈNH|QUẬN|HUYỆN|THỊ XÃ|PHƯỜNG|XÃ)\s+[A-ZĐÀ-Ỹ0-9 ]+)"
)


@dataclass
class Header:
    number: str | None = None
    issuer: str | None = None
    place: str | None = None
    issued_on: str | None = None
    year: int | None = None
    title: str | None = None
    review: list[str] = field(default_factory=list)
    # offsets of header dates, which are never obligations
    spans: list[tuple[int, int]] = field(default_factory=list)


def parse_header(doc: Doc) -> Header:
    h = Header()
    head_end = _head_end(doc)
    head = doc.clean[:head_end]

    m = _NUMBER.search(head)
    if m:
        num, suffix = m.group(1), m.group(2).rstrip(".-")
        h.number = f"{num}/{suffix}" if num else None
        if not num:
            h.review.append(f"line {doc.line_of(m.start())}: the plan number is blank "
                            f"(\"{doc.phrase(m.start(), m.end())}\"); fill plan.number")
    m = None
    for p in doc.paras:
        if p.start >= head_end:
            break
        seg = doc.clean[p.start:p.end]
        m = _PLACE_DATE.search(seg.strip())
        if m:
            lead = len(seg) - len(seg.lstrip())
            at = p.start + lead + m.start()
            h.place = collapse(m.group("place"))
            # "Hải\nPhòng, ngày ...": a place name broken over two lines.
            prev_line = doc.lines()[p.first_line - 2][2].strip() if p.first_line >= 2 else ""
            if re.fullmatch(r"(?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s?){1,2}", prev_line) and prev_line[:1].isupper():
                h.place = f"{prev_line} {h.place}"
            h.spans.append((at, p.start + lead + m.end()))
            h.year = int(m.group("y"))
            shown = doc.phrase(at, p.start + lead + m.end())
            if m.group("d") and m.group("m"):
                d = make_date(h.year, int(m.group("m")), int(m.group("d")))
                h.issued_on = d.isoformat() if d else None
                if d is None:
                    h.review.append(f"line {doc.line_of(at)}: the issue date \"{shown}\" does not exist")
            else:
                h.review.append(f"line {doc.line_of(at)}: the issue day is blank (\"{shown}\"); "
                                "plan.issued_on left empty")
            break
    news = _NEWS_ISSUE.search(doc.clean[: max(head_end, 2000)])
    if news:
        h.spans.append((news.start(), news.end()))
        if h.number is None and not m:
            h.number = re.sub(r"\s+", "", news.group("num"))
        if h.issued_on is None:
            d = make_date(int(news.group(3)), int(news.group(2)), int(news.group(1)))
            h.issued_on = d.isoformat() if d else None
    h.title = _title(doc, head_end)
    # The plan's year is the year it plans for: "… năm 2026" in the title wins
    # over the issue date (plans for 2026 are often issued in December 2025).
    title_year = _year_from_title(h.title)
    if title_year and h.year and title_year != h.year:
        h.review.append(f"line {doc.line_of(h.spans[0][0]) if h.spans else 1}: issued in {h.year} for "
                        f"{title_year} (title); plan.year set to {title_year}")
    h.year = title_year or h.year or (int(h.issued_on[:4]) if h.issued_on else None)
    h.issuer = _issuer(doc, head_end, h)
    if h.place is None and h.issuer:
        h.place = _place_from_issuer(h.issuer)
    return h


def _head_end(doc: Doc) -> int:
    """End of the header zone: the first section heading ("I. ...") or 40 lines."""
    m = re.search(r"^\s*I\s*[.)]\s+\S", doc.clean, re.M)
    cap = doc.line_starts[min(40, len(doc.line_starts) - 1)]
    return min(m.start(), cap) if m else cap


def _title(doc: Doc, head_end: int) -> str | None:
    """The line(s) after "KẾ HOẠCH", or the object of "ban hành Kế hoạch ... về".

    Upper-case titles are turned into sentence case for readability.
    """
    for p in doc.paras:
        if p.start >= head_end:
            break
        t = doc.text(p.start, p.end)
        m = re.match(r"^KẾ HOẠCH\s*(.*)$", t)
        if not m:
            continue
        rest = m.group(1).strip()
        if not rest:
            nxt = [q for q in doc.paras if q.start > p.start]
            rest = doc.text(nxt[0].start, nxt[0].end) if nxt else ""
        if rest:
            return _sentence_case(rest) if is_upper_line(rest) else rest.rstrip(".")
    m = re.search(r"ban hành [Kk]ế hoạch(?: số \S+)?\s+(?:về việc\s+|về\s+)?([^.]{10,200})", doc.clean[:4000])
    if m:
        t = collapse(m.group(1))
        return t[0].upper() + t[1:]
    return None


def _sentence_case(s: str) -> str:
    s = s.lower()
    return s[0].upper() + s[1:] if s else s


# A body under the committee, followed by its name ("… HẢI PHÒNG" ends a place).
_SUB_BODY = re.compile(r"\s(?:SỞ|BAN|PHÒNG|VĂN PHÒNG|CHI CỤC|CỤC|TRUNG TÂM|THANH TRA|HỘI ĐỒNG)\s+[A-ZĐÀ-Ỹ]")


def _body_case(caps: str) -> str:
    """"SỞ NỘI VỤ" -> "Sở Nội vụ": the head word and the name's first word capitalised."""
    words = caps.lower().split()
    n = 2 if words[:2] in (["văn", "phòng"], ["chi", "cục"], ["trung", "tâm"], ["hội", "đồng"]) else 1
    out = [w.capitalize() if i == 0 or i == n else w for i, w in enumerate(words)]
    return " ".join(out)


def _year_from_title(title: str | None) -> int | None:
    if not title:
        return None
    years = re.findall(r"năm\s+(\d{4})", title)
    return int(years[-1]) if years else None


def _issuer(doc: Doc, head_end: int, h: Header) -> str | None:
    """A readable name of the issuing body, e.g. "UBND thành phố Hà Nội"."""
    # 1. An upper-case header block: "ỦY BAN NHÂN DÂN THÀNH PHỐ HẢI PHÒNG".
    # Cells of a two-column header (table pipes leave wide gaps) count one by one.
    cells = [collapse(c) for p in doc.paras[:8] if p.start < head_end
             for c in re.split(r"\s{2,}", doc.clean[p.start:p.end])]
    caps = collapse(" ".join(c for c in cells if is_upper_line(c) or c in ("ỦY", "UỶ")))
    caps = re.split(r"CỘNG HÒA|CỘNG HOÀ|KẾ HOẠCH|\bSố\b", caps)[0]
    m = _ISSUER_CAPS.search(caps)
    if m:
        body, loc = m.group(1), m.group(2)
        body = "UBND" if "NHÂN DÂN" in body or body == "UBND" else _body_case(body)
        # "UBND TỈNH KHÁNH SƠN / SỞ NỘI VỤ": the body under the committee issues.
        sub = _SUB_BODY.search(loc)
        if sub and body == "UBND":
            return f"{_body_case(loc[sub.start():].strip())} {_locality(loc[:sub.start()])}"
        return f"{body} {_locality(loc)}"
    # 2. The preamble names who issues the plan ("UBND quận xây dựng kế hoạch").
    m = _SELF_ISSUER.search(doc.clean[: max(head_end, 6000)])
    if m:
        who = collapse(m.group("who"))
        who = re.sub(r"^(?:Ủy ban nhân dân|Uỷ ban nhân dân)", "UBND", who)
        return _qualify(doc, who)
    return None


def _locality(caps: str) -> str:
    """"THÀNH PHỐ HẢI PHÒNG" -> "thành phố Hải Phòng"."""
    words = caps.split()
    out, i = [], 0
    while i < len(words):
        pair = " ".join(words[i:i + 2]).lower()
        if pair in ("thành phố", "thị xã"):
            out.append(pair)
            i += 2
            continue
        w = words[i].lower()
        out.append(w if w in _LEVELS else w.capitalize())
        i += 1
    return " ".join(out)


def _qualify(doc: Doc, who: str) -> str:
    """"UBND Thành phố" + the most frequent "thành phố X" name -> "UBND thành phố Hà Nội"."""
    m = re.match(r"^(UBND|Sở .+?|Ban .+?)\s+(thành phố|tỉnh|quận|huyện|thị xã|phường|xã)$", who, re.I)
    if not m:
        return who
    body, level = m.group(1), m.group(2).lower()
    names = Counter(
        collapse(x) for x in re.findall(
            rf"(?<![\wÀ-ỹ])(?i:{level})[^\S\n]+([A-ZĐ0-9À-Ỹ][\wÀ-ỹ]*(?:[^\S\n]+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*){{0,2}})",
            doc.clean)
        if x[0].isupper() or x[0].isdigit()
    )
    names = Counter({k: v for k, v in names.items() if not _is_generic(k)})
    if not names:
        return f"{body} {level}"
    name = names.most_common(1)[0][0]
    return f"{body} {level} {name}"


def _is_generic(name: str) -> bool:
    # "thành phố Hà Nội" names a place; "thành phố Tiếp" is a sentence going on.
    return any(not (w[0].isupper() or w[0].isdigit()) for w in name.split())


def _place_from_issuer(issuer: str) -> str | None:
    m = re.search(r"(?:thành phố|tỉnh|quận|huyện|thị xã|phường|xã)\s+(.+)$", issuer)
    return m.group(1) if m else None
