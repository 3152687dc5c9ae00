"""Files received from units (web uploads, mail attachments), stored by content
hash, never by name.

``<files_dir>/ab/abcdef…`` holds the bytes of the file whose SHA-256 is
``abcdef…``: a file sent twice is stored once, a name chosen by a sender never
reaches the file system (it is kept as data, in ``submission_files`` or the
inbox row), and writing is idempotent (a crash half-way leaves a temporary
file, never a wrong one: the final name appears by rename). A file is written
before the row that names it is committed, so a committed row always finds its
bytes; a transaction that fails after the write leaves an unreferenced blob,
harmless.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tracker.core.errors import NotFound, StoreError
from tracker.core.submissions import display_name

_HEX = re.compile(r"[0-9a-f]{64}")


def put(files_dir: str | Path, data: bytes) -> str:
    """Store ``data``; returns its SHA-256 (hex)."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_of(files_dir, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return digest


def path_of(files_dir: str | Path, digest: str) -> Path:
    return Path(files_dir) / digest[:2] / digest


@dataclass(frozen=True)
class StoredFile:
    """A stored file: its content hash, and what the sender said about it."""

    sha256: str
    size: int
    name: str  # the original name, cleaned (display_name): data only
    content_type: str


def store_file(root: str | Path, data: bytes, name: str, content_type: str) -> StoredFile:
    """Keep ``data`` under its SHA-256 in ``root`` (idempotent), with its name and type as data."""
    try:
        digest = put(root, data)
    except OSError as exc:
        raise StoreError(f"files folder {root}: cannot store a file: {exc.strerror}") from None
    return StoredFile(digest, len(data), display_name(name), content_type_of(content_type))


def blob_path(root: str | Path, sha256: str) -> Path:
    """Where the bytes of ``sha256`` live; anything but 64 hex digits is refused."""
    if not _HEX.fullmatch(sha256 or ""):
        raise NotFound(f"no stored file {str(sha256)[:80]!r}")
    return path_of(root, sha256)


def read_file(root: str | Path, sha256: str) -> bytes:
    try:
        return blob_path(root, sha256).read_bytes()
    except FileNotFoundError:
        raise NotFound(f"stored file {sha256} is missing from {root}") from None


def content_type_of(value: str | None) -> str:
    """A plain ``type/subtype`` as the sender declared it, else application/octet-stream."""
    value = (value or "").split(";", 1)[0].strip().lower()
    return value if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", value) and len(value) <= 128 \
        else "application/octet-stream"
