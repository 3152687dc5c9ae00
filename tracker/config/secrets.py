"""What stays private: the passwords come from the environment only (never the
file, never a log), and the directories the tracker creates (the store, the
.eml outbox) are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700 (the store, the .eml outbox):
    under ``umask 000`` a plain mkdir would leave them world-writable. Existing
    directories are left as the operator made them."""
    missing = []
    for p in (path, *path.parents):
        if p.exists():
            break
        missing.append(p)
    for p in reversed(missing):
        try:
            os.mkdir(p, 0o700)
        except FileExistsError:  # made meanwhile by another process
            continue
        os.chmod(p, 0o700)  # mkdir's mode is masked by the umask; be exact


def smtp_password(environ: dict[str, str] | None = None) -> str | None:
    """The SMTP password from the environment; the keyring is the transport's fallback (transports/mail.py)."""
    environ = os.environ if environ is None else environ
    return environ.get("TRACKER_SMTP_PASSWORD") or None


def imap_password(environ: dict[str, str] | None = None) -> str | None:
    """The IMAP password from the environment; the keyring is the IMAP transport's fallback."""
    environ = os.environ if environ is None else environ
    return environ.get("TRACKER_IMAP_PASSWORD") or None
