"""Vietnamese text typed in the pre-Unicode font encodings, TCVN3 and VNI.

Old offices still keep plans typed with the ".VnTime" fonts (TCVN3, also
called ABC) or the "VNI-Times" fonts (VNI).  Read as Unicode, their letters
come out as other Latin-1 characters: TCVN3's "Kế hoạch" is "KÕ ho¹ch" and
"nhân dân" is "nh©n d©n"; VNI's "Kế hoạch" is "Keá hoaïch" and "đồng" is
"ñoàng".  Nothing in such a text would match a date word or a unit name, and
a draft from it would be silently empty or garbled, so the encoding is named
instead (the fix is a converter such as Unikey's, then save again).

Both are recognised by characters that Vietnamese in Unicode never puts inside
a word: TCVN3's symbols in place of vowels (¸ µ ¶ · ¹ ¨ © ª « ¬ ®), VNI's
Latin-1 letters foreign to Vietnamese (ø ñ ï ö å ä ë û, and their capitals).
"""

from __future__ import annotations

import re
from enum import Enum

_TCVN3 = re.compile(r"[A-Za-z][¸µ¶·¹¨©ª«¬®][A-Za-z]?|[¸µ¶·¹¨©ª«¬®][A-Za-z]")
_VNI = re.compile(r"[A-Za-z][øñïöåäëûØÑÏÖÅÄËÛ][A-Za-z]?|\b[ñÑ][a-zA-Z]")
_WORD = re.compile(r"\S+")


class LegacyEncoding(Enum):
    TCVN3 = "TCVN3 (ABC, .VnTime fonts)"
    VNI = "VNI (VNI-Times fonts)"


def legacy_encoding(text: str) -> LegacyEncoding | None:
    """The legacy encoding `text` was typed in, when it clearly is one."""
    sample = text[:200_000]
    words = max(len(_WORD.findall(sample)), 1)
    for enc, pattern in ((LegacyEncoding.TCVN3, _TCVN3), (LegacyEncoding.VNI, _VNI)):
        hits = len(pattern.findall(sample))
        if hits >= 5 and hits / words > 0.03:
            return enc
    return None
