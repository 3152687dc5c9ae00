"""Files received from units (attachments), stored by content hash, never by name.

``<files_dir>/ab/abcdef…`` holds the bytes of the file whose SHA-256 is
``abcdef…``: a file sent twice is stored once, a name chosen by a sender never
reaches the file system, and writing is idempotent (a crash half-way leaves a
temporary file, never a wrong one: the final name appears by rename).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


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
