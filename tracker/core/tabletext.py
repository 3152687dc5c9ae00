"""Text files as offices save them, and what a file is when it is not text.
Pure: bytes in, text (or one sentence saying what to do) out.

One decoding rule for every file a person gives the tracker (units, plans,
submissions), so a file saved by Excel, Notepad or an older Vietnamese Windows
is read without the coordinator knowing what an encoding is:

1. a byte-order mark decides: UTF-8 (Excel's "CSV UTF-8"), UTF-16 LE or BE
   (Excel's "Unicode Text", tab-separated; Notepad's "Unicode");
2. else strict UTF-8: bytes that are valid UTF-8 are, in practice, UTF-8;
3. else Windows-1258 (a Vietnamese Windows' "ANSI", Excel's plain "CSV"), but
   only when the bytes read as Vietnamese: cp1258 writes a tone as its own byte
   (0xCC grave, 0xEC acute, 0xD2 hook, 0xDE tilde, 0xF2 dot below) right after
   the vowel it sits on, so at least one tone byte follows a vowel, none follows
   anything else, and there are at least two Vietnamese signs (tone bytes and
   the letters đ ă ơ ư). A Western (cp1252) or legacy-font file fails this and
   is refused rather than read as nonsense. The text is normalised to NFC, as
   if it had been typed in Unicode;
4. else refused, naming the first bad byte.

What a file is comes from its content (magic bytes, the names inside a zip),
never only from its name: offices rename freely.
"""

from __future__ import annotations

import codecs
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from tracker.core.errors import InputError


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # "utf-8", "utf-16-le", "utf-16-be", "cp1258", or the --encoding given
    given: bool = False  # named by --encoding rather than detected

    def note(self) -> str | None:
        """What the output says when the file was not UTF-8 (None when it was)."""
        if self.given:
            return None if _is_utf8(self.encoding) else f"read as {self.encoding} (--encoding)"
        return {"utf-16-le": "read as UTF-16 LE (byte-order mark)",
                "utf-16-be": "read as UTF-16 BE (byte-order mark)",
                "cp1258": "read as Windows-1258 (cp1258), detected from its Vietnamese text"}.get(self.encoding)


def _is_utf8(name: str) -> bool:
    return codecs.lookup(name).name in ("utf-8", "utf-8-sig")


_TONES = rb"\xcc\xec\xd2\xde\xf2"  # cp1258's combining grave, acute, hook above, tilde, dot below
_VOWELS = rb"aeiouyAEIOUY\xe2\xc2\xea\xca\xf4\xd4\xe3\xc3\xf5\xd5\xfd\xdd"  # with â ê ô ă ơ ư
_TONE = re.compile(b"[" + _TONES + b"]")
_TONE_AFTER_VOWEL = re.compile(b"[" + _VOWELS + b"][" + _TONES + b"]")
_VIETNAMESE_LETTERS = re.compile(rb"[\xf0\xd0\xe3\xc3\xf5\xd5\xfd\xdd]")  # đ Đ ă Ă ơ Ơ ư Ư


def reads_as_cp1258_vietnamese(data: bytes) -> bool:
    """Rule 3 above: tone bytes only after vowels, at least one, two Vietnamese signs."""
    tones = len(_TONE.findall(data))
    after_vowel = len(_TONE_AFTER_VOWEL.findall(data))
    return after_vowel >= 1 and after_vowel == tones and after_vowel + len(_VIETNAMESE_LETTERS.findall(data)) >= 2


def decode_text(data: bytes, filename: str, encoding: str | None = None, *,
                hint: str = "save it as UTF-8") -> Decoded:
    """The text of a file by the rule above; ``encoding`` when the person named it."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"unknown encoding {encoding!r} (e.g. utf-8, utf-16, cp1258)", "--encoding") from None
        try:
            text = data.decode(encoding).lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            raise InputError(f"not {encoding} text (byte {exc.start})", filename) from None
        return Decoded(unicodedata.normalize("NFC", text), encoding, given=True)
    for bom, name in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            try:
                return Decoded(data[len(bom):].decode(name), name)
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-16 text after its byte-order mark (byte {exc.start})", filename) from None
    try:
        return Decoded(data.decode("utf-8-sig"), "utf-8")
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if reads_as_cp1258_vietnamese(data):
        try:
            return Decoded(unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258")
        except UnicodeDecodeError:
            pass  # a byte cp1258 does not define: not cp1258 after all
    raise InputError(f"not UTF-8 text (byte {first_bad}), nor Vietnamese Windows-1258: {hint}", filename)


# --- what a file is -------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of .doc, .xls and encrypted .docx/.xlsx
_MAGIC = ((b"{\\rtf", "rtf"), (b"\x89PNG", "image"), (b"\xff\xd8\xff", "image"), (b"GIF8", "image"),
          (b"II*\x00", "image"), (b"MM\x00*", "image"), (b"Rar!", "archive"), (b"7z\xbc\xaf", "archive"),
          (b"\x1f\x8b", "archive"))
NOUNS = {
    "docx": "a Word document", "doc": "a Word document (.doc)", "pdf": "a PDF document",
    "xlsx": "an Excel workbook", "xls": "an Excel workbook (.xls)", "pptx": "a PowerPoint presentation",
    "odf": "an OpenDocument file", "zip": "a zip archive", "locked": "a password-protected Office file",
    "office": "an Office file", "rtf": "an RTF document", "image": "an image", "archive": "a compressed archive",
}


def file_kind(data: bytes) -> str | None:
    """``docx``, ``pdf``, ``xlsx`` … (keys of NOUNS) for a file that is not text; None for text."""
    if data.lstrip(b" \t\r\n")[:5] == b"%PDF-":
        return "pdf"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = z.namelist()
        except (zipfile.BadZipFile, OSError, ValueError):
            names = []
        for prefix, kind in (("word/", "docx"), ("xl/", "xlsx"), ("ppt/", "pptx"), ("mimetype", "odf")):
            if any(n.startswith(prefix) for n in names):
                return kind
        return "zip"
    if data[:8] == _OLE2:
        # The streams' names are in the directory, in UTF-16 LE.
        for stream, kind in (("EncryptedPackage", "locked"), ("WordDocument", "doc"), ("Workbook", "xls"),
                             ("Book", "xls")):
            if stream.encode("utf-16-le") in data:
                return kind
        return "office"
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            return kind
    return None


def not_a_plan(kind: str, filename: str) -> str:
    """What to do with a non-text file given to `tracker plan import`."""
    noun = NOUNS[kind]
    if kind in ("docx", "doc", "pdf"):
        return f"{filename} is {noun}; run `tracker plan extract {filename}` to draft a plan file"
    if kind == "xlsx":
        return (f"{filename} is {noun}, not a plan file (YAML, see docs/plan-file.md); "
                f"a table of units is imported with `tracker units import {filename}`")
    if kind in ("zip", "archive"):
        return f"{filename} is {noun}; unpack it and import the plan file (.yaml) inside"
    if kind == "locked":
        return f"{filename} is {noun}; remove the password, save it as .docx and run `tracker plan extract` on it"
    if kind in ("rtf", "odf"):
        return f"{filename} is {noun}; save it as .docx and run `tracker plan extract` on it to draft a plan file"
    return f"{filename} is {noun}, not a plan file (YAML text, see docs/plan-file.md)"


def not_a_table(kind: str, filename: str) -> str:
    """What to do with a non-text file given where a table is expected (xlsx is read, not refused)."""
    noun = NOUNS[kind]
    if kind in ("xls", "office"):
        return f"{filename} is {noun}: open it in Excel and save it as .xlsx"
    if kind in ("zip", "archive"):
        return f"{filename} is {noun}: unpack it and give the .csv or .xlsx inside"
    if kind == "pdf":
        return f"{filename} is {noun}, not a table: export the table from the original as .xlsx or 'CSV UTF-8'"
    if kind in ("docx", "doc", "rtf", "odf"):
        return f"{filename} is {noun}, not a table: copy the table into Excel and save it as .xlsx or 'CSV UTF-8'"
    if kind == "locked":
        return f"{filename} is {noun}: remove the password and save it again as .xlsx"
    return f"{filename} is {noun}, not a table: save the table as .xlsx or 'CSV UTF-8'"


def sniff_delimiter(header: str) -> str:
    """The separator of a table from its header line: tab (Excel's Unicode Text),
    semicolon (a Vietnamese or European Excel's CSV) or comma."""
    counts = {sep: header.count(sep) for sep in ("\t", ";", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ","
