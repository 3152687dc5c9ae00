"""The office mailbox over IMAP, with imap-tools.

imap-tools connects (SSL, STARTTLS or plain), logs in, selects the folder,
lists UIDs and moves messages; the raw bytes are fetched on its client with
``BODY.PEEK[]`` so reading never marks a message as seen, in bulk (one round
trip per ``CHUNK`` messages), with ``INTERNALDATE`` (when the server received
it: when the unit sent its report). Nothing here deletes or flags mail.

Every failure (refused connection, wrong password, missing folder, a dropped
connection) becomes one ``MailboxError`` with a one-line reason.
"""

from __future__ import annotations

import os
import re
import socket
import ssl
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Iterator

from tracker.config import Settings, imap_password
from tracker.core.errors import ConfigError, TrackerError

KEYRING_SERVICE = "tracker-imap"
CHUNK = 100  # messages per FETCH: few round trips, bounded memory

_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')


class MailboxError(TrackerError):
    """The mailbox cannot be read now (down, refused, wrong password, no such folder)."""


@dataclass(frozen=True)
class Fetched:
    uid: int
    data: bytes
    received_at: datetime | None  # INTERNALDATE, UTC


def mailbox_name(settings: Settings) -> str:
    """How the inbox table names this mailbox: ``user@host/folder``."""
    i = settings.inbound
    return f"{i.imap_user}@{i.imap_host}/{i.folder}"[:255]


def resolve_password(settings: Settings, environ: dict[str, str] | None = None) -> str:
    """``TRACKER_IMAP_PASSWORD``, else the system keyring (service ``tracker-imap``,
    user ``inbound.imap_user``); never the config file."""
    password = imap_password(environ)
    if password:
        return password
    user = settings.inbound.imap_user
    try:
        import keyring

        password = keyring.get_password(KEYRING_SERVICE, user)
    except Exception:  # no keyring backend on a headless server: not an error here
        password = None
    if password:
        return password
    raise ConfigError(f"no IMAP password for {user!r}: set TRACKER_IMAP_PASSWORD, or store it in the system "
                      f"keyring (`keyring set {KEYRING_SERVICE} {user}`)")


class ImapMailbox:
    """One session on the configured folder: ``with ImapMailbox(settings) as box: ...``."""

    def __init__(self, settings: Settings, environ: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.inbound = settings.inbound
        self.password = resolve_password(settings, environ if environ is not None else dict(os.environ))
        self._box = None
        self.uidvalidity = 0

    def __enter__(self) -> "ImapMailbox":
        from imap_tools import MailBox, MailBoxStartTls, MailBoxUnencrypted

        i = self.inbound
        where = f"IMAP {i.imap_host}:{i.imap_port}"
        try:
            if i.imap_security == "ssl":
                box = MailBox(i.imap_host, i.imap_port, timeout=i.timeout)
            elif i.imap_security == "starttls":
                box = MailBoxStartTls(i.imap_host, i.imap_port, timeout=i.timeout)
            else:
                box = MailBoxUnencrypted(i.imap_host, i.imap_port, timeout=i.timeout)
        except (OSError, ssl.SSLError, socket.timeout) as exc:
            raise MailboxError(f"{where}: cannot connect: {_reason(exc)}") from None
        except Exception as exc:  # imaplib's errors for a server that greets badly
            raise MailboxError(f"{where}: cannot connect: {_reason(exc)}") from None
        self._box = box
        try:
            if (i.imap_user + self.password).isascii():
                box.login(i.imap_user, self.password, initial_folder=None)
            else:  # LOGIN takes ASCII only; AUTHENTICATE PLAIN carries UTF-8 (RFC 4616)
                box.login_utf8(i.imap_user, self.password, initial_folder=None)
        except Exception as exc:
            self._close()
            raise MailboxError(f"{where}: login as {i.imap_user!r} refused: {_reason(exc)}") from None
        try:
            status = box.folder.status(i.folder, ["UIDVALIDITY"])
            box.folder.set(i.folder, readonly=not i.move_to)
        except Exception as exc:
            self._close()
            raise MailboxError(f"{where}: cannot open folder {i.folder!r}: {_reason(exc)}") from None
        self.uidvalidity = int(status["UIDVALIDITY"])
        return self

    def __exit__(self, *exc) -> None:
        self._close()

    def _close(self) -> None:
        if self._box is not None:
            try:
                self._box.logout()
            except Exception:  # the connection may already be gone; nothing to keep
                pass
            self._box = None

    def uids(self) -> list[int]:
        try:
            return sorted(int(u) for u in self._box.uids("ALL"))
        except Exception as exc:
            raise MailboxError(f"IMAP {self.inbound.imap_host}: cannot list messages: {_reason(exc)}") from None

    def fetch(self, uids: list[int]) -> Iterator[Fetched]:
        """The raw messages, CHUNK at a time, without marking them seen."""
        client = self._box.client
        for start in range(0, len(uids), CHUNK):
            chunk = uids[start:start + CHUNK]
            try:
                typ, data = client.uid("FETCH", ",".join(map(str, chunk)), "(UID INTERNALDATE BODY.PEEK[])")
            except Exception as exc:
                raise MailboxError(f"IMAP {self.inbound.imap_host}: fetch failed: {_reason(exc)}") from None
            if typ != "OK":
                raise MailboxError(f"IMAP {self.inbound.imap_host}: fetch failed: {typ}")
            for part in data:
                if isinstance(part, tuple) and len(part) == 2:
                    uid = _UID.search(part[0])
                    if uid is not None:
                        yield Fetched(int(uid.group(1)), part[1], _internaldate(part[0]))

    def move(self, uids: list[int], folder: str) -> None:
        """Move processed messages (``inbound.move_to``), creating the folder once."""
        if not uids:
            return
        try:
            if not self._box.folder.exists(folder):
                self._box.folder.create(folder)
            self._box.move([str(u) for u in uids], folder)
        except Exception as exc:
            raise MailboxError(f"IMAP {self.inbound.imap_host}: cannot move to {folder!r}: {_reason(exc)}") from None


def _internaldate(head: bytes) -> datetime | None:
    import imaplib
    import time as _time

    match = _INTERNALDATE.search(head)
    if not match:
        return None
    parsed = imaplib.Internaldate2tuple(b'INTERNALDATE "' + match.group(1) + b'"')
    return datetime.fromtimestamp(_time.mktime(parsed), timezone.utc) if parsed else None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:  # "Connection refused", not errno 111
        return exc.strerror
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if isinstance(text, list):
        text = " ".join(t.decode("utf-8", "replace") if isinstance(t, bytes) else str(t) for t in text)
    text = " ".join(str(text).split()) or type(exc).__name__
    return text[:300]
