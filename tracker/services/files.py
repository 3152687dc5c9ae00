"""Write a file the user asked for (an export, a drafted plan): to stdout for
``-o -``, else atomically (temp file + rename), so a calendar program or web
server polling the file never reads half of it, and a failed write leaves the
previous file as it was."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import BinaryIO

from tracker.core.errors import InputError


def write_output(target: str, data: bytes, *, stdout: BinaryIO | None = None) -> None:
    if target == "-":
        out = stdout or sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    path = Path(target)
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise InputError("is a directory; name a file", target)
    if not directory.is_dir():
        raise InputError(f"directory {str(directory)!r} does not exist", target)
    try:
        # Same directory as the target: os.replace is atomic only within one file system.
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    except OSError as exc:
        raise InputError(f"cannot write: {exc.strerror}", target) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates 0600; an export is meant to be read (served, attached), so
        # give it the usual permissions, or keep the ones of the file it replaces.
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise InputError(f"cannot write: {exc.strerror}", target) from None
    except BaseException:
        _remove(tmp)
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
