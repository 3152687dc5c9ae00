"""Unit names: recognising them, comparing them, and making codes from them.

The same unit is written several ways in one document ("Sở Lao động - Thương
binh và Xã hội", "Sở Lao động Thương binh và Xã hội", "Phòng Lao động - TB&XH
quận", "Phòng Lao động TB&XH quận"), with old and new tone placement ("hoá" /
"hóa", "uỷ" / "ủy").  `name_key` maps all of them to one comparison key; the
evaluation uses the same key, so what counts as "the same unit" is defined once.
"""

from __future__ import annotations

import re
import unicodedata

# Words that open the name of an organisation.  Matched case-sensitively: "Ban
# Tuyên giáo" is a unit, "ban, ngành" inside "Các Sở, ban, ngành" is not.
ORG_HEADS = (
    "Sở", "Phòng", "Ban", "Hội", "Liên đoàn", "Đoàn", "Đài", "Báo", "Cổng", "Công an",
    "Công ty", "Tổng công ty", "Trung tâm", "Cục", "Chi cục", "UBND", "Ủy ban", "Uỷ ban",
    "Ngân hàng", "Bảo hiểm", "Văn phòng", "Viện", "Trường", "Tòa án", "Toà án", "Bộ",
    "Mặt trận", "Thành đoàn", "Tỉnh đoàn", "Quận đoàn", "Huyện đoàn", "Kho bạc",
    "Thanh tra", "Chi nhánh", "Bệnh viện", "Thành viên", "Hội đồng", "Cơ quan",
    "Đảng ủy", "Đảng uỷ", "Quận ủy", "Huyện ủy", "Tỉnh ủy", "Thành ủy", "Bộ Chỉ huy",
    "Ban Chỉ huy", "Thường trực", "Học viện", "Tổ", "Nhà văn hóa", "Hạt", "Đội", "Trạm",
    "Công đoàn", "Công chức", "Bộ phận", "Chi hội", "Chi đoàn", "Chi bộ", "Khoa",
)
# Words that look like an org head but open a verb phrase or a common noun.
_NOT_ORG = (
    "Ban hành", "Báo cáo", "Phòng, chống", "Phòng chống", "Phòng ngừa", "Hội nghị",
    "Hội thảo", "Hội thi", "Hội diễn", "Đoàn kiểm tra", "Đoàn công tác", "Bộ luật",
    "Tổ chức", "Tổ công tác", "Đội ngũ", "Cơ quan thường trực", "Trung tâm của",
    "Thường trực Thành ủy", "Hội viên",
)
_ORG_RE = re.compile(
    r"(?:" + "|".join(sorted((re.escape(h) for h in ORG_HEADS), key=len, reverse=True)) + r")(?![\wÀ-ỹ])"
)
_NOT_ORG_RE = re.compile("|".join(re.escape(x) for x in _NOT_ORG))


def starts_org(s: str) -> bool:
    """Does `s` open with the name of an organisation (or a group "các ...")?"""
    s = s.lstrip(" -–+•*")
    if re.match(r"[Cc]ác\s+\w", s):
        return True
    return bool(_ORG_RE.match(s)) and not _NOT_ORG_RE.match(s)


def org_start_pattern() -> str:
    """A regex fragment matching the start of an organisation name."""
    return r"(?:(?!" + _NOT_ORG_RE.pattern + r")" + _ORG_RE.pattern + r"|[Cc]ác\s)"


# -- comparison keys ----------------------------------------------------------

# Old-style tone placement -> new style, so "hoá" and "hóa" compare equal.
_TONES = {
    "oá": "óa", "oà": "òa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oé": "óe", "oè": "òe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uý": "úy", "uỳ": "ùy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}
_TONE_RE = re.compile("|".join(_TONES))

# Abbreviations common to the genre, expanded before comparison.
_EXPAND = [
    (r"\bubnd\b", "ủy ban nhân dân"),
    (r"\bhđnd\b", "hội đồng nhân dân"),
    (r"\blđ\s*-?\s*tb\s*&\s*xh\b|\blđtbxh\b", "lao động thương binh và xã hội"),
    (r"\btb\s*&\s*xh\b|\btbxh\b", "thương binh và xã hội"),
    (r"\bgd\s*&\s*đt\b|\bgdđt\b", "giáo dục và đào tạo"),
    (r"\bubmttq(?:vn)?\b", "ủy ban mặt trận tổ quốc việt nam"),
    (r"\bmttq(?:vn)?\b", "mặt trận tổ quốc việt nam"),
    (r"\bhlhpn\b|\bhội lhpn\b", "hội liên hiệp phụ nữ"),
    (r"\blđlđ\b", "liên đoàn lao động"),
    (r"\btp\.?\s", "thành phố "),
    (r"\bbđg\b", "bình đẳng giới"),
]


def name_key(name: str) -> str:
    """Comparison key of a unit name: NFC, no markup, casefolded, expanded."""
    s = unicodedata.normalize("NFC", name)
    s = re.sub(r"[*_`|]", " ", s)
    s = re.sub(r"^\s*(?:\d+[.)]\s*)?(?:đề nghị|Đề nghị)\s+", "", s)
    s = s.casefold()
    s = _TONE_RE.sub(lambda m: _TONES[m.group(0)], s)
    for pat, rep in _EXPAND:
        s = re.sub(pat, rep, s)
    s = s.replace("&", " và ")
    s = re.sub(r"[^\w\s]", " ", s)  # hyphens, commas, dots, parentheses
    s = re.sub(r"\s+", " ", s).strip()
    return s


# -- codes ----------------------------------------------------------------------

def ascii_fold(s: str) -> str:
    s = s.replace("đ", "d").replace("Đ", "D")
    s = unicodedata.normalize("NFD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


# Long standard names -> the abbreviations offices themselves use.
_CODE_ABBREV = [
    ("lao dong thuong binh va xa hoi", "ldtbxh"),
    ("uy ban nhan dan", "ubnd"),
    ("uy ban mat tran to quoc viet nam", "mttq"),
    ("mat tran to quoc viet nam", "mttq"),
    ("hoi lien hiep phu nu viet nam", "hlhpn"),
    ("hoi lien hiep phu nu", "hlhpn"),
    ("lien doan lao dong", "ldld"),
    ("doan thanh nien cong san ho chi minh", "doan-tn"),
    ("ban vi su tien bo cua phu nu va binh dang gioi", "ban-vstbpn"),
    ("ban vi su tien bo phu nu va binh dang gioi", "ban-vstbpn"),
    ("ban vi su tien bo cua phu nu", "ban-vstbpn"),
    ("ban vi su tien bo phu nu", "ban-vstbpn"),
    ("ke hoach va dau tu", "khdt"),
    ("giao duc va dao tao", "gddt"),
    ("thong tin va truyen thong", "tttt"),
    ("van hoa the thao va du lich", "vhttdl"),
    ("van hoa va the thao", "vhtt"),
    ("van hoa va thong tin", "vhtt"),
    ("van hoa thong tin", "vhtt"),
    ("ngan hang chinh sach xa hoi", "nhcsxh"),
    ("phat thanh va truyen hinh", "ptth"),
    ("phat thanh truyen hinh", "ptth"),
    ("nong nghiep va phat trien nong thon", "nnptnt"),
    ("tai nguyen va moi truong", "tnmt"),
    ("tai nguyen moi truong", "tnmt"),
    ("khoa hoc va cong nghe", "khcn"),
    ("cong thong tin dien tu", "cttdt"),
    ("tai chinh ke hoach", "tckh"),
    ("quan ly do thi", "qldt"),
    ("trung tam y te", "ttyt"),
    ("thanh pho", "tp"),
    ("thi xa", "tx"),
]
_CODE_STOP = {"va", "cua", "tren", "dia", "ban"}


def slug(text: str, max_len: int = 40) -> str:
    """An ascii [a-z0-9-]+ slug, cut at a word boundary."""
    s = ascii_fold(text).lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    if len(s) > max_len:
        s = s[:max_len].rsplit("-", 1)[0]
    return s or "x"


def unit_code(name: str, place: str | None = None) -> str:
    """A short code for a unit name: "Sở Lao động - Thương binh và Xã hội" -> so-ldtbxh.

    With the plan's place the code starts with it (ha-noi-so-ldtbxh): every
    province has a "Sở Y tế", and one store may hold plans from several, so a
    bare so-y-te from a second province's draft would overwrite the first's
    contacts. A place already at the end of the name moves to the front
    ("Công an thành phố Hà Nội" -> ha-noi-cong-an, not ha-noi-cong-an-tp-ha-noi).
    """
    s = ascii_fold(name_key(name))
    for long, short in _CODE_ABBREV:
        s = re.sub(rf"\b{long}\b", short, s)
    words = [w for w in re.split(r"[\s-]+", s) if w]
    kept = [w for w in words if w not in _CODE_STOP or w == words[0]]
    code = slug(" ".join(kept), max_len=32)
    if not place:
        return code
    where = slug(place)
    code = re.sub(rf"(?:-(?:tp|tinh|quan|huyen|tx))?-{re.escape(where)}$", "", code) or code
    return f"{where}-{code}"


def unit_kind(name: str) -> str | None:
    """A free-text kind for the plan file, from the name's head word."""
    s = name.lstrip()
    table = [
        (r"(UBND|Ủy ban nhân dân|Uỷ ban nhân dân)", "people_committee"),
        (r"(Sở|Phòng|Cục|Chi cục)\b", "department"),
        (r"(Hội|Liên đoàn|Đoàn|Ủy ban Mặt trận|Mặt trận|Thành đoàn)\b", "mass_organisation"),
        (r"(Đài|Báo|Cổng)\b", "media"),
        (r"(Công an|Ban Chỉ huy Công an)\b", "police"),
        (r"[Cc]ác\b", "group"),
        (r"(Ban|Thành viên)\b", "committee"),
    ]
    for pat, kind in table:
        if re.match(pat, s):
            return kind
    return None
