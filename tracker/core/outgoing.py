"""Messages between the layers: the words of a rendered message, and the
message ready for a transport (what render builds and a transport sends)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Outgoing:
    """A message ready for a transport: envelope plus the bytes on the wire."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]  # envelope RCPT TO; may be fewer than To+Cc after rejections
    data: bytes
    rejected: dict[str, str] = field(default_factory=dict)  # address -> why, found before sending
    file_stem: str = ""  # the file transport's name for it


@dataclass(frozen=True)
class Rendered:
    """A message's words: what the templates made of a digest."""

    subject: str
    text: str
    html: str | None
