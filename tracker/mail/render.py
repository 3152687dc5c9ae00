"""Render a digest into a subject, a plain-text body and an HTML body. Pure.

Placeholder rendering; the mail issue replaces it with Jinja2 templates.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracker.config import Settings
from tracker.digest import Digest


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str | None


def render_digest(digest: Digest, settings: Settings) -> Rendered:
    tz = settings.tz
    items = digest.ordered()
    overdue = sum(1 for i in items if i.stage.startswith("after:"))
    subject = f"[Nhắc hạn] {len(items)} việc cần chú ý" + (f", {overdue} quá hạn" if overdue else "")
    lines = [f"Kính gửi {digest.recipient_name},", ""]
    for i in items:
        lines.append(f"- {i.title} ({i.unit_name}, {i.period}): hạn {i.due_at.astimezone(tz):%d/%m/%Y} [{i.stage}]")
    return Rendered(subject, "\n".join(lines) + "\n", None)
