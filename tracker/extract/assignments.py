"""Units named where a sentence assigns them work, and the addressees of a letter.

Not every document lists its units under numbered headings.  A news summary says
"UBND tỉnh giao Sở Lao động - Thương binh và Xã hội chủ trì, …" and "Sở Y tế có
trách nhiệm …"; a plan may write "Đề nghị Hội Liên hiệp Phụ nữ tỉnh phối hợp …";
a công văn names its units under "Kính gửi:".  This module finds those names:

- an assignment: "giao / đề nghị / yêu cầu / riêng" + a unit name, the name ending
  where its duty starts (a verb: "chủ trì", "phối hợp", "có trách nhiệm", …);
- a subject: a sentence (or a "Label: …" item) that opens with a unit name followed
  by a verb within a few words;
- addressees: the lines after "Kính gửi:".

The same finder gives the unit a dated sentence assigns its duty to
(`sentence_subjects`), so an obligation's `responsible` comes from the sentence
that names it, not "all" by default.
"""

from __future__ import annotations

import re

from .names import org_start_pattern, starts_org
from .units import _VERBS, is_generic, split_names

# Verbs (lower case: "Sở Xây dựng" is a name, "xây dựng" a duty) that end a unit
# name written in running text.
_DUTY_VERBS = _VERBS + (
    "tổ chức", "gửi", "nộp", "báo cáo", "tổng hợp", "đôn đốc", "kiểm tra", "tự kiểm tra", "giám sát",
    "cung cấp", "ban hành", "lồng ghép", "bố trí", "vận động", "phổ biến", "tuyên truyền", "hỗ trợ",
    "đảm bảo", "bảo đảm", "nghiên cứu", "kịp thời", "thường xuyên", "sớm", "cử", "tiếp nhận", "xử lý",
    "hoàn thành", "duy trì", "rà soát", "theo dõi", "quản lý", "giao", "đề nghị", "được giao",
)
_DUTY = re.compile(r"\s(?:" + "|".join(re.escape(v) for v in sorted(_DUTY_VERBS, key=len, reverse=True))
                   + r")(?![\wÀ-ỹ])")
_ASSIGN = re.compile(r"(?<![\wÀ-ỹ])(?:[Gg]iao(?:\s+cho)?|[Đđ]ề nghị|[Yy]êu cầu|[Rr]iêng|[Đđ]ối với)\s+(?="
                     + org_start_pattern() + ")")
# "2. Tập huấn: Sở …", "- Báo cáo tháng: các thành viên Ban …": a short label first.
_LABEL = re.compile(r"^\s*(?:[-+•]\s*|\(?[a-zđ]\)\s*|\d{1,2}(?:\.\d{1,2})*[.)]\s*)?(?:[^:;.]{1,60}:\s*)?")
# "Ngoài ra, Sở Giáo dục và Đào tạo tăng cường …": news prose opens with a connective.
_CONNECTIVE = re.compile(r"^(?:Ngoài ra|Bên cạnh đó|Đồng thời|Theo đó|Cùng với đó|Mặt khác|Trong đó|Cụ thể)\s*,?\s*",
                         re.I)
_ADDRESS = re.compile(r"^[ \t]*Kính[ \t]+gửi[ \t]*:?[ \t]*(?P<rest>.*)$", re.M)


def _name_at(text: str) -> list[str]:
    """Unit names opening `text`, cut where their duty starts; [] when no duty follows."""
    m = _DUTY.search(text)
    if m is None or len(text[:m.start()].split()) > 22:
        return []
    return [n for n in split_names(text[:m.start()]) if starts_org(n) and not is_generic(n, broad=True)]


def sentence_subjects(sentence: str) -> list[str] | None:
    """The units a sentence assigns its duty to: [] for everyone, None when it names none.

    An assignment ("giao Sở …") wins over the subject; "các cơ quan, đơn vị …" (everyone)
    is [] — the sentence says who, and it is all of them.
    """
    s = _CONNECTIVE.sub("", re.sub(r"\s+", " ", sentence).strip())
    for m in _ASSIGN.finditer(s):
        rest = s[m.end():]
        names = _name_at(rest)
        if names:
            return names
        if is_generic(_generic_head(rest), broad=True):
            return []
    body = s[_LABEL.match(s).end():] if _LABEL.match(s) else s
    for candidate in (body, s):
        if starts_org(candidate):
            names = _name_at(candidate)
            if names:
                return names
            if is_generic(_generic_head(candidate), broad=True):
                return []
    return None


def _generic_head(text: str) -> str:
    m = _DUTY.search(text)
    return text[:m.start()] if m else text


def addressees(raw: str) -> list[tuple[str, int]]:
    """(name, offset) of each unit under "Kính gửi:" (a letter's addressees)."""
    out: list[tuple[str, int]] = []
    m = _ADDRESS.search(raw)
    if m is None:
        return out
    rest = m.group("rest").strip()
    if rest:
        for part in rest.split(";"):
            out += [(n, m.start()) for n in _clean(part)]
        return out
    pos = m.end() + 1
    for line in raw[pos:].split("\n"):
        if not re.match(r"\s*[-+•]\s*\S", line):
            if line.strip():
                break
            if out:
                break
            pos += len(line) + 1
            continue
        out += [(n, pos) for n in _clean(line)]
        pos += len(line) + 1
    return out


def _clean(part: str) -> list[str]:
    text = part.strip().lstrip("-+• ").rstrip(" ;.,")
    if not text or text.lower().startswith("như trên") or not starts_org(text):
        return []
    return [n for n in [text] if not is_generic(n, broad=True)]
