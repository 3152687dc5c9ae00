"""Plan documents as they arrive -> the plain text the extractor reads.

Pure: bytes in, text out, no file system (the shell reads the file and runs
LibreOffice for a .doc).  `read_document` decides what the bytes are by their
content (`formats.sniff`), reads a .docx or a .pdf into paragraphs and tables
(`word`, `pdf`, `blocks`) or decodes a text file, and refuses in one sentence
what cannot give a faithful draft: an empty file, a scan, a locked PDF, a zip
of something else, text in a legacy Vietnamese font encoding.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .blocks import render
from .formats import Format, describe_binary, describe_zip, sniff
from .legacy import legacy_encoding

MAX_BYTES = 20 * 1024 * 1024  # a plan is a few hundred KB; 20 MB leaves room for a PDF with pictures


class DocumentError(ValueError):
    """The bytes cannot give a faithful draft; str() is the one line to show."""


class NeedsConversion(DocumentError):
    """A legacy .doc: the shell converts it (LibreOffice) and calls again."""


@dataclass
class Reading:
    text: str
    format: Format
    notes: list[str] = field(default_factory=list)  # for the draft's review: list


def read_document(data: bytes) -> Reading:
    fmt = sniff(data)
    if fmt is Format.EMPTY:
        raise DocumentError("empty file: there is no text to draft from")
    if fmt is Format.DOC:
        raise NeedsConversion("a legacy Word .doc file")
    if fmt is Format.OFFICE_LOCKED:
        raise DocumentError("a password-protected Office file; remove the password, save as .docx and try again")
    if fmt is Format.ZIP_OTHER:
        raise DocumentError(f"{describe_zip(data)}, not a Word document (it has no word/document.xml); "
                            "save the plan as .docx or .pdf")
    if fmt is Format.OTHER:
        raise DocumentError(f"{describe_binary(data)}, not a plan document; give a .docx, .pdf or .txt file")
    if fmt is Format.DOCX:
        reading = _docx(data)
    elif fmt is Format.PDF:
        reading = _pdf(data)
    else:
        reading = Reading(decode_text(data), fmt)
    enc = legacy_encoding(reading.text)
    if enc is not None:
        raise DocumentError(f"the text is typed in the legacy Vietnamese encoding {enc.value}, not Unicode; "
                            "convert it to Unicode (e.g. with Unikey's converter), save and try again")
    if not reading.text.strip():
        raise DocumentError("the document has no text to draft from")
    return reading


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM) or UTF-16 with a BOM, as Notepad and Word save text."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(f"not valid UTF-16 text (byte {exc.start})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # An 8-bit file: TCVN3/VNI typed in a plain-text editor shows as Latin-1.
        enc = legacy_encoding(data.decode("latin-1"))
        if enc is not None:
            raise DocumentError(f"the text is typed in the legacy Vietnamese encoding {enc.value}, not Unicode; "
                                "convert it to Unicode (e.g. with Unikey's converter), save and try again") from None
        raise DocumentError(f"not UTF-8 or UTF-16 text (byte {exc.start}); save it as UTF-8") from None


def _docx(data: bytes) -> Reading:
    from .word import WordError, read_docx

    try:
        blocks = read_docx(data)
    except WordError as exc:
        raise DocumentError(str(exc)) from None
    return Reading(render(blocks), Format.DOCX)


def _pdf(data: bytes) -> Reading:
    from .pdf import PdfError, PdfLocked, read_pdf

    try:
        pdf = read_pdf(data)
    except PdfLocked:
        raise DocumentError("the PDF is password-protected; ask for an unprotected copy or the .docx") from None
    except PdfError as exc:
        raise DocumentError(f"a {exc}; export it again or give the .docx") from None
    if pdf.chars == 0:
        raise DocumentError(f"the PDF has no text layer (a scanned image, {pdf.pages} page"
                            f"{'s' if pdf.pages != 1 else ''}); run OCR on it or ask for the .docx")
    if pdf.unmapped > pdf.chars / 20:
        raise DocumentError("the PDF's fonts have no Unicode map, its text cannot be read; "
                            "export it again from Word or give the .docx")
    notes = []
    if pdf.textless_pages:
        pages = ", ".join(str(p) for p in pdf.textless_pages)
        many = len(pdf.textless_pages) > 1
        notes.append(f"line 1: page{'s' if many else ''} {pages} of the PDF {'have' if many else 'has'} no "
                     f"text layer (scanned); what is on {'them' if many else 'it'} is not in this draft")
    return Reading(render(pdf.blocks), Format.PDF, notes)


__all__ = ["MAX_BYTES", "DocumentError", "NeedsConversion", "Reading", "read_document", "decode_text", "Format"]
