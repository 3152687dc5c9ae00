"""What a file is, from its first bytes (and, for a zip, the names inside).

Offices rename files freely ("ke-hoach.docx" that is a PDF, a .doc saved as
.docx), so the extension decides nothing: the content does.
"""

from __future__ import annotations

import io
import zipfile
from enum import Enum


class Format(Enum):
    TEXT = "text"
    DOCX = "docx"
    PDF = "pdf"
    DOC = "doc"  # legacy Word (an OLE2 compound file): through LibreOffice
    EMPTY = "empty"
    ZIP_OTHER = "zip"  # a zip that holds no Word document
    OFFICE_LOCKED = "office-locked"  # an encrypted .docx/.xlsx (an OLE2 "EncryptedPackage")
    OTHER = "other"


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"II*\x00": "a TIFF image",
           b"MM\x00*": "a TIFF image", b"GIF8": "a GIF image", b"{\\rtf": "an RTF document",
           b"Rar!": "a RAR archive", b"7z\xbc\xaf": "a 7-Zip archive", b"\x1f\x8b": "a gzip archive"}


def sniff(data: bytes) -> Format:
    if not data.strip(b" \t\r\n\x00\xef\xbb\xbf\xff\xfe"):
        return Format.EMPTY
    if data.lstrip(b" \t\r\n")[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return Format.PDF
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return Format.DOCX if "word/document.xml" in zip_names(data) else Format.ZIP_OTHER
    if data[:8] == _OLE2:
        # An encrypted OOXML file is an OLE2 container with an EncryptedPackage stream.
        head = data[:65536]
        if "EncryptedPackage".encode("utf-16-le") in head:
            return Format.OFFICE_LOCKED
        return Format.DOC
    if describe_binary(data):
        return Format.OTHER
    return Format.TEXT


def zip_names(data: bytes) -> set[str]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return set(z.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return set()


def describe_binary(data: bytes) -> str | None:
    """What a non-document file is, when its first bytes say so."""
    for magic, what in _IMAGES.items():
        if data.startswith(magic):
            return what
    return None


def describe_zip(data: bytes) -> str:
    names = zip_names(data)
    if not names:
        return "a damaged or unreadable zip archive"
    if "xl/workbook.xml" in names:
        return "an Excel workbook"
    if "ppt/presentation.xml" in names:
        return "a PowerPoint presentation"
    if "content.xml" in names and "mimetype" in names:
        return "an OpenDocument file"
    return "a zip archive"
