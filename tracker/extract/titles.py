"""Titles that name what is owed, not who owes it or the verb that sends it.

A clause before a date usually says who does what: "Giao Sở Lao động - Thương
binh và Xã hội chủ trì, phối hợp với Sở Nội vụ tham mưu UBND tỉnh ban hành
Quyết định kiện toàn Ban Vì sự tiến bộ của phụ nữ tỉnh, hoàn thành chậm nhất
ngày …".  The unit goes to `responsible`; the title is the thing owed:
"Quyết định kiện toàn Ban Vì sự tiến bộ của phụ nữ tỉnh".

- `without_subject` drops an opening assignment ("Giao / Đề nghị <unit>"), a unit
  subject and the duty words that follow it ("có trách nhiệm", "chủ trì, phối hợp
  với …"): what is left is the activity ("Tổ chức lớp tập huấn …").
- `owed_thing` goes further for a deadline: after a verb that produces a document
  ("ban hành", "xây dựng", "gửi", "cung cấp" …) the document is the title
  ("Quyết định …", "Kế hoạch …", "Số liệu …").
"""

from __future__ import annotations

import re

from .assignments import _ASSIGN, _DUTY
from .names import starts_org

_ROLE_WORDS = re.compile(
    r"^(?:(?:có|chịu) trách nhiệm(?:\s+chủ trì)?|là cơ quan thường trực|chủ trì|được giao|"
    r"phối hợp(?:\s+với\s+[^,;]*?(?=\s(?:tham mưu|xây dựng|ban hành|tổ chức|thực hiện|triển khai|hướng dẫn)\s|,|;|$))?"
    r")\s*,?\s*", re.I)
_OWED_VERB = re.compile(
    r"(?<![\wÀ-ỹ])(?i:ban hành|xây dựng|gửi|nộp|trình|lập|hoàn thiện|cung cấp|gửi kèm|tổng hợp)\s+"
    r"(?:(?:các|bản|dự thảo)\s+)?")
_OWED_NOUN = re.compile(r"(?:[Bb]áo cáo|[Kk]ế hoạch|[Qq]uyết định|[Dd]anh sách|[Ss]ố liệu|[Đđ]ề án|[Vv]ăn bản|"
                        r"[Hh]ồ sơ|[Tt]ờ trình|[Đđ]ề cương|[Kk]ết quả|[Cc]hương trình)(?![\wÀ-ỹ])")
_DONE = re.compile(r"[,\s]+(?:hoàn thành|xong|để tổng hợp)\s*$", re.I)
_LEADING_UPPER_SUBJECT = re.compile(r"^(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+(?:tỉnh|thành phố|quận|huyện|xã|"
                                    r"phường|thị xã)\s+(?=giao\s|đề nghị\s)", re.I)


def without_subject(text: str) -> str:
    """"Sở Y tế có trách nhiệm tổ chức …" -> "tổ chức …"; unchanged when no unit opens it."""
    t = re.sub(r"\s+", " ", text).strip()
    t = _LEADING_UPPER_SUBJECT.sub("", t)
    m = _ASSIGN.match(t)
    if m:
        t = t[m.end():]
    if starts_org(t) and not re.match(r"[Cc]ác\s", t) or m:
        d = _DUTY.search(t)
        if d and len(t[:d.start()].split()) <= 22:
            t = t[d.start():].strip()
    for _ in range(3):
        r = _ROLE_WORDS.match(t)
        if not r or not r.group(0).strip():
            break
        t = t[r.end():]
    return _DONE.sub("", t).strip(" ,;:") or text


def owed_thing(text: str) -> str:
    """The document a deadline asks for, else the activity without its subject."""
    t = without_subject(text)
    # The last document a verb produces is the one sent: "Ban hành Kế hoạch … và gửi
    # Kế hoạch của đơn vị" owes the unit's plan.
    owed = [m.end() for m in _OWED_VERB.finditer(t) if _OWED_NOUN.match(t, m.end())]
    if owed:
        t = t[owed[-1]:]
    else:
        # "Tham mưu Trưởng Ban báo cáo UBND tỉnh", "…ngành và địa phương báo cáo kết quả":
        # the report is what is owed, whoever the words before it name.
        r = _REPORT.search(t)
        if r and r.start() > 0 and len(t[:r.start()].split()) <= 8:
            t = t[r.start():]
    return _DONE.sub("", t)


_REPORT = re.compile(r"(?<![\wÀ-ỹ])[Bb]áo cáo(?![\wÀ-ỹ])")
