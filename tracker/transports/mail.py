"""Transports: how a finished message leaves the process.

One small interface (``open`` / ``send`` / ``close``) with three
implementations chosen by ``mail.transport``:

- ``smtp``: yagmail over SMTP, one connection per delivery batch
  (transports/smtp.py, imported only when it is the configured transport).
- ``file``: each message becomes an ``.eml`` file in ``mail.outbox_dir``,
  written atomically (temporary file, fsync, rename), so a reader never sees
  half a message and a full disk leaves the message queued.
- ``none``: accepts and discards (a store that should not send anything).
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tracker.config import Settings, private_dir, smtp_password
from tracker.core.errors import ConfigError, DeliveryError
from tracker.core.outgoing import Outgoing
from tracker.core.retry import is_permanent_code

KEYRING_SERVICE = "tracker"


class ConnectionLost(DeliveryError):
    """The server is unreachable or went away: nothing more can be sent in this batch."""


class OutcomeUnknown(DeliveryError):
    """The whole message, final dot included, was handed over and no answer came
    (the connection dropped, or the reply came after the time limit): the server
    may have it. Not a failure to retry at once."""


@dataclass
class SendResult:
    accepted: list[str] = field(default_factory=list)
    refused: dict[str, tuple[int | None, str]] = field(default_factory=dict)  # address -> (code, reply)
    reply: str = ""  # the server's answer to DATA, or where the file went
    deferred: bool = False  # nothing was sent because a recipient asked us to come back later

    def permanent_refusals(self) -> dict[str, str]:
        return {a: r for a, (c, r) in self.refused.items() if is_permanent_code(c)}

    def transient_refusals(self) -> dict[str, str]:
        return {a: r for a, (c, r) in self.refused.items() if not is_permanent_code(c)}


class Transport(Protocol):
    name: str

    def open(self) -> None: ...

    def send(self, message: Outgoing, *, allow_partial: bool = True) -> SendResult: ...

    def close(self) -> None: ...


def make_transport(settings: Settings, environ: dict[str, str] | None = None) -> Transport:
    """The configured transport. For SMTP, the credentials are checked here, at
    start-up, so a missing password is a clear error instead of a prompt."""
    kind = settings.mail.transport
    if kind == "file":
        return FileTransport(Path(settings.mail.outbox_dir))
    if kind == "none":
        return NoneTransport()
    from tracker.transports.smtp import SmtpTransport

    return SmtpTransport(settings, resolve_password(settings, environ))


def resolve_password(settings: Settings, environ: dict[str, str] | None = None) -> str | None:
    """``TRACKER_SMTP_PASSWORD``, else the system keyring (service ``tracker``, then
    ``yagmail``, user ``mail.smtp_user``). None when no login is configured."""
    user = settings.mail.smtp_user.strip()
    if not user:
        return None
    password = smtp_password(environ)
    if password:
        return password
    password = _keyring_password(user)
    if password:
        return password
    raise ConfigError(
        f"mail.smtp_user is {user!r} but no SMTP password was found: set TRACKER_SMTP_PASSWORD, or store it "
        f"in the system keyring (`keyring set {KEYRING_SERVICE} {user}`); leave mail.smtp_user empty for a "
        "server that needs no login")


def _keyring_password(user: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except Exception:  # keyring not importable: treat as "no keyring"
        return None
    for service in (KEYRING_SERVICE, "yagmail"):
        try:
            value = keyring.get_password(service, user)
        except (KeyringError, RuntimeError, OSError):  # no backend (headless server): not an error here
            return None
        if value:
            return value
    return None


# --- none ----------------------------------------------------------------------

class NoneTransport:
    name = "none"

    def open(self) -> None:
        pass

    def send(self, message: Outgoing, *, allow_partial: bool = True) -> SendResult:
        return SendResult(accepted=list(message.recipients), reply="discarded (mail.transport = none)")

    def close(self) -> None:
        pass


# --- file ----------------------------------------------------------------------

class FileTransport:
    name = "file"

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def open(self) -> None:
        try:
            private_dir(self.directory)
        except OSError as exc:
            raise ConnectionLost(f"mail.outbox_dir {self.directory}: cannot create it: {exc.strerror}") from None

    def send(self, message: Outgoing, *, allow_partial: bool = True) -> SendResult:
        # Named after the Message-ID: a resend after a crash overwrites the same file.
        stem = message.file_stem or message.message_id.strip("<>").replace("@", "_")
        path = self.directory / f"{stem}.eml"
        write_atomically(path, message.data)
        return SendResult(accepted=list(message.recipients), reply=str(path))

    def close(self) -> None:
        pass


def write_atomically(path: Path, data: bytes) -> None:
    """Temporary file in the same directory, fsync, rename: all or nothing."""
    fd, tmp = -1, ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".eml", dir=path.parent)
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
        os.close(fd)
        fd = -1
        os.replace(tmp, path)
        tmp = ""
    except OSError as exc:
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise ConnectionLost(f"mail.outbox_dir {path.parent}: disk full ({exc.strerror}); "
                                 "the message stays queued") from None
        raise ConnectionLost(f"mail.outbox_dir {path.parent}: cannot write {path.name}: {exc.strerror}") from None
    finally:
        if fd >= 0:
            os.close(fd)
        if tmp:
            try:
                os.unlink(tmp)
            except OSError:
                pass
