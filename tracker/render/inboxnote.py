"""The line a coordinator's digest gets when mail waits in the review queue. Pure."""

from __future__ import annotations

from dataclasses import replace
from html import escape

from tracker.core.outgoing import Rendered

_NOTE = {
    "vi": "Có {n} thư của đơn vị trong hộp thư chờ cơ quan thường trực xem xét (tracker inbox list).",
    "en": "{n} message(s) from units wait in the mailbox's review queue (tracker inbox list).",
}


def with_queue_note(rendered: Rendered, waiting: int, language: str) -> Rendered:
    """``rendered`` with a closing line saying how many messages wait for review (none: unchanged)."""
    if waiting <= 0:
        return rendered
    line = _NOTE.get(language, _NOTE["vi"]).format(n=waiting)
    html = rendered.html
    if html is not None:
        paragraph = f"<p>{escape(line)}</p>"
        html = html.replace("</body>", paragraph + "</body>", 1) if "</body>" in html else html + paragraph
    return replace(rendered, text=rendered.text.rstrip("\n") + "\n\n" + line + "\n", html=html)
