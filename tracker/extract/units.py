"""Responsible units from the organisation section of a plan.

The section is headed "TỔ CHỨC THỰC HIỆN" or "PHÂN CÔNG THỰC HIỆN"; each unit
(or group of units) gets a numbered heading ("1. Sở Lao động - Thương binh và
Xã hội", "11. Đề nghị Hội Liên hiệp Phụ nữ thành phố, Liên đoàn Lao động thành
phố, ...", "11. Các Sở, ngành: Văn hóa và Thể thao, Nông nghiệp ... căn cứ Kế
hoạch ...") followed by its duties.  A closing paragraph addressed to everyone
("Trên đây là Kế hoạch ...", "Đề nghị các phòng, ban ...") ends the last
unit's block; its units are not section units (corpus convention 9).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .names import name_key, org_start_pattern, starts_org, unit_code, unit_kind
from .text import ENUMERATOR, Doc, collapse, is_upper_line

_SECTION = re.compile(
    r"^(?:[IVX]{1,5}\s*[.)]\s*|\d{1,2}\s*[.)]\s*|[A-Z]\s*[.)]\s*)?"
    r"(?:TỔ CHỨC,?\s*THỰC HIỆN|PHÂN CÔNG,?\s*(?:THỰC HIỆN|NHIỆM VỤ|TRÁCH NHIỆM)"
    r"|TRÁCH NHIỆM THỰC HIỆN|TỔ CHỨC THỰC HIỆN VÀ PHÂN CÔNG[^.]*|PHÂN CÔNG TRÁCH NHIỆM)"
    r"\s*:?$",
    re.IGNORECASE,
)
# Upper-case headings only: "IV. TRÁCH NHIỆM CỦA CÁC CƠ QUAN, ĐƠN VỊ", "III. GIẢI
# PHÁP VÀ TỔ CHỨC THỰC HIỆN" (a body line "Trách nhiệm của các sở, ngành" is a sub-heading).
_SECTION_CAPS = re.compile(
    r"^(?:[IVX]{1,5}\s*[.)]\s*|\d{1,2}\s*[.)]\s*|[A-Z]\s*[.)]\s*)?"
    r"(?:TRÁCH NHIỆM CỦA [^.]{0,60}|[^.]{0,50}\sVÀ TỔ CHỨC THỰC HIỆN|TỔ CHỨC THỰC HIỆN [^.]{0,40})\s*:?$")
_END = re.compile(r"^(?:Nơi nhận|TM\.|KT\.|[IVX]{1,5}\s*[.)]\s+[A-ZĐÀ-Ỹ])")
# "D. KINH PHÍ THỰC HIỆN": a lettered upper-case heading also ends the section.
_LETTER_HEAD = re.compile(r"^[A-ZĐ]\s*[.)]\s+\S")


def _is_section(text: str) -> bool:
    return bool(_SECTION.match(text) or (is_upper_line(text) and _SECTION_CAPS.match(text)))


def _is_end(text: str) -> bool:
    return bool(_END.match(text) or ((_LETTER_HEAD.match(text) or _TOP_NUM_HEAD.match(text)) and is_upper_line(text)))


# "6. KINH PHÍ": an upper-case heading numbered like the section's own ends it.
_TOP_NUM_HEAD = re.compile(r"^\d{1,2}\s*[.)]\s+\S")
# "1.", "2)", and the sub-numbers of a numbered section: "5.2. Phòng Y tế …"
_HEADING_NUM = re.compile(r"^\s*(\d{1,2}(?:\.\d{1,2}){0,2})\s*[.)]\s+|^\s*(\d{1,2}(?:\.\d{1,2}){1,2})\s+(?=[A-ZĐÀ-Ỹ])")
# "Các cơ quan, đơn vị (liên quan)": everyone, not a unit to remind.
# "Các cơ quan, đơn vị (liên quan)": everyone, not a unit to remind.  In running
# text "các sở, ban, ngành và địa phương" is everyone too; a numbered heading of
# that name stays a unit (corpus convention 9).
_NARROW_WORD = r"(?:cơ quan|đơn vị|bộ phận|tổ chức|cá nhân)"
_BROAD_WORD = r"(?:cơ quan|đơn vị|bộ phận|tổ chức|cá nhân|sở|ban|ngành|địa phương|đoàn thể)"


def _generic(word: str) -> re.Pattern[str]:
    return re.compile(r"^(?:các|tất cả các|mọi)\s+" + word + r"(?:\s*(?:,|và)\s*" + word + r")*"
                      r"(?:\s+(?:có liên quan|liên quan))?$", re.I)


_GENERIC, _GENERIC_BROAD = _generic(_NARROW_WORD), _generic(_BROAD_WORD)


def is_generic(name: str, broad: bool = False) -> bool:
    return bool((_GENERIC_BROAD if broad else _GENERIC).match(collapse(name)))
_PREFIX = re.compile(r"^(?:Đề nghị|Giao|Trách nhiệm của|Đối với|Riêng)\s+")
# Where the name in a heading stops and the duties start.
_VERBS = (
    "căn cứ", "phối hợp", "phối kết hợp", "trong phạm vi", "chủ trì", "có trách nhiệm",
    "chịu trách nhiệm", "tham gia", "triển khai", "tổ chức thực hiện", "tổ chức triển khai",
    "thực hiện", "xây dựng", "chỉ đạo", "hướng dẫn", "theo chức năng", "tiếp tục",
    "chủ động", "nghiêm túc", "khẩn trương", "rà soát", "tham mưu", "theo dõi",
    "đẩy mạnh", "tăng cường", "quan tâm", "bố trí", "là cơ quan",
)
_VERB_CUT = re.compile(r"\s(?:" + "|".join(_VERBS) + r")(?![\wÀ-ỹ])")
# Body verbs that, at the start of a line, end a heading broken over lines.
_LINE_VERBS = _VERBS + (
    "trong", "là", "giám sát", "duy trì", "tổ chức", "đảm bảo", "bảo đảm", "cấp", "thu thập",
    "nâng cao", "ưu tiên", "hỗ trợ", "kiểm tra", "vận động", "phổ biến", "lồng ghép",
    "tuyên truyền", "cung cấp", "kịp thời", "thường xuyên", "nghiên cứu", "phát huy",
)
_LINE_VERB_CUT = re.compile(
    r"\n\s*(?:[-+]\s*|[a-zđ]\)\s*)?(?:" + "|".join(v[0].upper() + v[1:] for v in _LINE_VERBS)
    + r")(?![\wÀ-ỹ])"
)
# "\n- <a full bullet>" ends a heading; "1. Sở Lao động\n- Thương binh và Xã hội"
# (a short dash line without final punctuation) is the hyphen of the name.
_LINE_BULLET = re.compile(r"\n\s*[-+]\s+(?P<rest>[^\n]*)")
_CLOSING = re.compile(
    r"^(?:Trên đây|Đề nghị|Yêu cầu|Căn cứ|Trong quá trình|Giao\s|Các (?:cơ quan|đơn vị|sở)[^.]{0,80}"
    r"(?:căn cứ|triển khai)|[A-ZĐÀ-Ỹ][^.]{0,40}\sđề nghị\s)",
)
# Closing phrases that end a unit's block even right after its heading.
_STRONG_CLOSING = re.compile(r"^(?:Trên đây|Yêu cầu|Trong quá trình|[A-ZĐÀ-Ỹ][^.]{0,40}\sđề nghị\s)")
_ELLIPTICAL = re.compile(r"^[Cc]ác\s+[\wÀ-ỹ]+(?:\s*,\s*[\wÀ-ỹ]+){0,3}(?:\s+gồm)?$")


@dataclass
class Unit:
    code: str
    name: str
    kind: str | None
    line: int
    note: str = ""  # a parenthetical after the heading, e.g. "Cơ quan thường trực ..."


@dataclass
class OrgSection:
    start: int = -1
    end: int = -1
    units: list[Unit] = field(default_factory=list)
    # (start, end, unit codes) of each unit heading's block of duties
    blocks: list[tuple[int, int, list[str]]] = field(default_factory=list)
    closing_start: int = -1
    review: list[str] = field(default_factory=list)

    def codes_at(self, offset: int) -> list[str] | None:
        for s, e, codes in self.blocks:
            if s <= offset < e:
                return codes
        return None


class UnitBook:
    """Units by code, merging the several spellings of one unit."""

    def __init__(self, place: str | None = None) -> None:
        self.units: list[Unit] = []
        self._by_key: dict[str, Unit] = {}
        self._place = place  # the plan's place: the codes' prefix (names.unit_code)

    def add(self, name: str, line: int, note: str = "") -> Unit:
        key = name_key(name)
        if key in self._by_key:
            return self._by_key[key]
        code = base = unit_code(name, self._place)
        n = 2
        while any(u.code == code for u in self.units):
            code = f"{base}-{n}"
            n += 1
        unit = Unit(code=code, name=name, kind=unit_kind(name), line=line, note=note)
        self.units.append(unit)
        self._by_key[key] = unit
        return unit

    def find(self, name: str) -> Unit | None:
        """The unit written as `name`, allowing a short trailing locality."""
        key = name_key(name)
        if key in self._by_key:
            return self._by_key[key]
        for k, u in self._by_key.items():
            longer, shorter = (k, key) if len(k) > len(key) else (key, k)
            if longer.startswith(shorter + " ") and len(longer[len(shorter):].split()) <= 3 \
                    and len(shorter.split()) >= 3:
                return u
        return None


def parse_org_section(doc: Doc, book: UnitBook) -> OrgSection:
    sec = OrgSection()
    paras = doc.paras
    idx = [i for i, p in enumerate(paras) if _is_section(doc.text(p.start, p.end))]
    if not idx:
        sec.review.append("line 1: no organisation section (\"TỔ CHỨC THỰC HIỆN\") found; "
                          "units must be added by hand")
        return sec
    first = idx[-1]
    for i in idx:  # prefer a section that really lists numbered units
        nxt = paras[i + 1:i + 4]
        if any(_HEADING_NUM.match(doc.clean[q.start:q.end]) for q in nxt):
            first = i
            break
    sec.start = paras[first].end
    last = len(paras)
    for j in range(first + 1, len(paras)):
        if _is_end(doc.text(paras[j].start, paras[j].end)):
            last = j
            break
    sec.end = paras[last].start if last < len(paras) else len(doc.clean)

    current: list[str] | None = None
    grouping = False  # the last numbered heading was a group: sub-items may name units
    block_start = -1
    body_seen = False
    body_was_list = False
    seen_heading = False
    bulleted = False  # the units are the section's bullets ("- Công an xã: …")

    def close(at: int) -> None:
        if current is not None:
            sec.blocks.append((block_start, at, current))

    for j in range(first + 1, last):
        p = paras[j]
        raw = doc.clean[p.start:p.end]
        text = doc.text(p.start, p.end)
        hm = _HEADING_NUM.match(raw)
        names = heading_names(raw[hm.end():]) if hm else None
        if not names and sec.closing_start < 0 and (grouping or not seen_heading or bulleted):
            # "a) Sở Y tế: …" under a group heading, or "- Trạm Y tế xã: …" as the
            # section's own list of units (a commune plan has no numbered headings).
            names = sub_heading_names(raw, strict=not grouping)
        if names:
            close(p.start)
            codes = []
            for name, note in names:
                codes.append(book.add(name, doc.line_of(p.start), note).code)
            current, block_start = codes, p.start
            if hm:
                grouping = all(is_group(n) for n, _ in names)
            else:
                bulleted = not grouping
            body_seen = body_was_list = False
            seen_heading = True
            continue
        if hm and sec.closing_start < 0:
            # "2. Trách nhiệm chung" — a numbered heading that names no unit: its
            # sub-items ("a) Sở Y tế: …") may.
            close(p.start)
            current, grouping, seen_heading = None, True, True
            body_seen = body_was_list = False
            continue
        if not seen_heading:
            # The section's intro paragraph may name a group of units.
            for name, note in intro_names(text):
                book.add(name, doc.line_of(p.start), note)
            continue
        is_list = bool(ENUMERATOR.match(raw) or raw.lstrip().startswith(("-", "+", "(")))
        strong = bool(_STRONG_CLOSING.match(text))
        if current is not None and not is_list and (
                strong or (body_seen and (body_was_list or _CLOSING.match(text)))):
            close(p.start)
            current = None
            sec.closing_start = p.start
            continue
        body_seen = True
        body_was_list = body_was_list or is_list
    close(sec.end)
    if not book.units:
        sec.review.append(f"line {doc.line_of(sec.start)}: the organisation section names no "
                          "numbered unit; add units by hand")
    return sec


def heading_names(text: str) -> list[tuple[str, str]] | None:
    """Unit names in a numbered heading, with any parenthetical note; None if not a unit."""
    t = text.strip()
    t = _PREFIX.sub("", t)
    if not starts_org(t):
        return None
    note = ""
    # The body may follow on the heading's own line(s) in hard-wrapped text.
    m = _LINE_VERB_CUT.search(t)
    if m:
        t = t[:m.start()]
    for b in _LINE_BULLET.finditer(t):
        rest = b.group("rest").strip()
        if len(rest.split()) > 8 or re.search(r"[.;:]$", rest):
            t = t[:b.start()]
            break
    flat = collapse(t)
    pre, colon, post = flat.partition(":")
    if colon and post.strip() and _ELLIPTICAL.match(pre.strip()):
        return [(n, "") for n in split_names(_cut(post), elliptical=True)] or None
    flat = pre if colon else flat
    pm = re.search(r"\(([^)]*)\)?", flat)
    if pm:
        note = collapse(pm.group(1))
        flat = flat[:pm.start()]
    flat = _cut(flat)
    names = split_names(flat)
    if len(names) == 1 and is_generic(names[0]):
        return None  # "1. Trách nhiệm của các cơ quan, đơn vị": its sub-items name the units
    return [(n, note) for n in names] or None


_SUB = re.compile(r"^\s*(?:[a-zđ]\)|[-+•])\s+")


def sub_heading_names(raw: str, strict: bool = False) -> list[tuple[str, str]] | None:
    """"a) Sở Y tế:" or "- Sở Tư pháp: chủ trì …" under a group heading.

    `strict` (outside a group heading): a dash bullet counts only in the "name: duties"
    form; a lettered item ("a) Phòng Văn hóa và Thông tin huyện") may be a bare heading.
    """
    m = _SUB.match(raw)
    if not m:
        return None
    text = collapse(raw[m.end():])
    head, colon, _ = text.partition(":")
    if colon and len(head.split()) <= 12:
        return heading_names(head)
    lettered = bool(re.match(r"\s*[a-zđ]\)", raw))
    if (not strict or lettered) and len(text.split()) <= 12 and not re.search(r"[.;]$", text):
        return heading_names(text)
    return None


def intro_names(text: str) -> list[tuple[str, str]]:
    """Names that open the section's intro paragraph ("Các phòng, ban ... căn cứ ...")."""
    t = _PREFIX.sub("", text.strip())
    if not starts_org(t):
        return []
    m = _VERB_CUT.search(t)
    if not m or m.start() > 150:
        return []
    return [(n, "") for n in split_names(t[:m.start()])]


def _cut(s: str) -> str:
    m = _VERB_CUT.search(s)
    if m:
        s = s[:m.start()]
    return s.strip(" .,;:-")


_SPLIT_AND = re.compile(r"\s+và\s+(?=" + org_start_pattern() + ")")


def split_names(s: str, elliptical: bool = False) -> list[str]:
    """Split "A, B và các C" into names, without splitting "UBND các quận, huyện"."""
    out: list[str] = []
    for i, part in enumerate(s.split(";")):
        if i and not starts_org(part.strip()):
            break  # "…; Thông tư số 56/2012 …" is not a unit
        pieces = [x.strip() for x in part.split(",")]
        merged: list[str] = []
        for piece in pieces:
            if not piece:
                continue
            if merged and not (elliptical or starts_org(piece)):
                merged[-1] = f"{merged[-1]}, {piece}"
            else:
                merged.append(piece)
        for m in merged:
            out.extend(x.strip() for x in _SPLIT_AND.split(m))
    cleaned = []
    for n in out:
        n = _PREFIX.sub("", n).strip(" .,;:-")
        if n and len(n.split()) <= 16:
            cleaned.append(n)
    return cleaned


def is_group(name: str) -> bool:
    return bool(re.match(r"[Cc]ác\s", name))


def key_of(name: str) -> str:
    return name_key(name)
