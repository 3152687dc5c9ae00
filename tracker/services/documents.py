"""Plan documents from disk, and the units to match them to: the impure steps around the extractor.

The shell (`tracker plan extract`) calls `load_document`; everything after the
bytes are read is `documents.read_document`, a pure function.  Here: the size
limit (checked before reading, so a 50 MB file is refused without loading it)
and the legacy .doc, which LibreOffice converts to .docx in a temporary folder
when it is installed.  And the known units a draft's unit names are matched
to: a unit file, or the store's active units when a store exists (a missing
SQLite file is not created for a draft).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from tracker.core.errors import InputError, TrackerError
from tracker.extract.documents import MAX_BYTES, DocumentError, NeedsConversion, Reading, read_document
from tracker.extract.unitmatch import KnownUnit

if TYPE_CHECKING:
    from tracker.services.runtime import Runtime

_SOFFICE_SECONDS = 120


def load_document(path: str, *, max_bytes: int = MAX_BYTES) -> Reading:
    """The document at `path` as text for the extractor; InputError names the file."""
    data = _read(path, max_bytes)
    try:
        return read_document(data)
    except NeedsConversion:
        converted = convert_doc(path)
        try:
            return read_document(converted)
        except DocumentError as exc:
            raise InputError(f"converted from .doc by LibreOffice: {exc}", path) from None
    except DocumentError as exc:
        raise InputError(str(exc), path) from None


def _read(path: str, max_bytes: int) -> bytes:
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputError("is a directory, not a document", path)
        if size > max_bytes:
            raise InputError(f"the file is {size / 2**20:.1f} MB, over the {max_bytes / 2**20:.0f} MB limit for a "
                             "plan document; give the text of the plan (.docx, .pdf or .txt)", path)
        with p.open("rb") as fh:
            return fh.read(max_bytes + 1)
    except FileNotFoundError:
        raise InputError("file not found", path) from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", path) from None


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_doc(path: str) -> bytes:
    """A legacy .doc converted to .docx bytes by LibreOffice (headless, in a temp folder)."""
    exe = soffice()
    if exe is None:
        raise InputError("a legacy Word .doc file and LibreOffice is not installed to convert it; "
                         "open it in Word and save it as .docx", path)
    with tempfile.TemporaryDirectory(prefix="tracker-doc-") as tmp:
        # A private profile: a running LibreOffice of the user's would otherwise take the job and
        # leave the command waiting; HOME as well, for a first run that writes its settings.
        profile = Path(tmp, "profile").as_uri()
        env = dict(os.environ, HOME=tmp)
        src = Path(tmp, "in.doc")
        shutil.copyfile(path, src)
        try:
            done = subprocess.run(
                [exe, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "docx",
                 "--outdir", tmp, str(src)],
                capture_output=True, timeout=_SOFFICE_SECONDS, env=env, check=False)
        except subprocess.TimeoutExpired:
            raise InputError(f"LibreOffice did not convert the .doc within {_SOFFICE_SECONDS} s; "
                             "save it as .docx", path) from None
        out = Path(tmp, "in.docx")
        if done.returncode != 0 or not out.exists():
            raise InputError("LibreOffice could not convert the .doc (damaged or protected?); "
                             "save it as .docx", path)
        return out.read_bytes()


def units_from_file(path: str) -> list[KnownUnit]:
    """The units of a unit file (.csv, .txt, .xlsx or .yaml), read and validated as
    `tracker units import` does (encodings detected, a Word or zip file named)."""
    from tracker.core.unitfile import parse_units
    from tracker.services.officefiles import read_table

    return [KnownUnit(u.code, u.name, u.emails, u.head_email, u.kind, u.parent)
            for u in parse_units(read_table(path).text, path)]


def units_in_store(database_url: str, runtime: Callable[[], "Runtime"]) -> list[KnownUnit] | None:
    """The store's active units; None when there is no store to ask (not created, not migrated, down)."""
    if _missing_sqlite_file(database_url):
        return None  # decided before importing SQLAlchemy: a draft without a store starts fast
    from tracker.core.states import UnitStatus
    from tracker.services.catalog import list_units
    from tracker.store.engine import sqlite_path

    try:
        path = sqlite_path(database_url)
        if path is not None and not path.exists():
            return None
        rows = list_units(runtime())
    except TrackerError:
        return None
    return [KnownUnit(r.code, r.name, r.emails, r.head_email, r.kind, r.parent) for r in rows
            if r.status == UnitStatus.ACTIVE] or None


def _missing_sqlite_file(url: str) -> bool:
    """A plain sqlite:///PATH URL whose file does not exist (other URLs: not decided here)."""
    if not url.startswith("sqlite:///") or "?" in url:
        return False
    path = url[len("sqlite:///"):]
    return bool(path) and path != ":memory:" and not Path(path).exists()
