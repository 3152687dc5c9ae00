"""What every command shares: global options resolved lazily, output helpers.

Nothing heavy is imported at module level: ``tracker --help`` must not load
SQLAlchemy or touch the database.
"""

from __future__ import annotations

import json
import unicodedata
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import click

if TYPE_CHECKING:
    from tracker.config import Settings
    from tracker.services.runtime import Runtime


class Env:
    """Global options (``--config``, ``--db``, ``--now``), resolved on first use."""

    def __init__(self, config: str | None, db: str | None, now: str | None) -> None:
        self.config_path = config
        self.db_url = db
        self.now_text = now
        self._settings: Settings | None = None
        self._now: datetime | None = None
        self._runtime: Runtime | None = None

    def close(self) -> None:
        if self._runtime is not None:
            self._runtime.store.dispose()
            self._runtime = None

    def settings(self) -> "Settings":
        if self._settings is None:
            from tracker.config import load_settings

            self._settings = load_settings(self.config_path)
        return self._settings

    def now(self) -> datetime:
        """The clock, read once per command (or ``--now``)."""
        if self._now is None:
            if self.now_text:
                from tracker.services.runtime import parse_instant

                self._now = parse_instant(self.now_text, self.settings().tz, "--now")
            else:
                self._now = datetime.now(timezone.utc)
        return self._now

    def database_url(self) -> str:
        return self.db_url or self.settings().tracker.database_url

    def runtime(self, *, require_schema: bool = True) -> "Runtime":
        if self._runtime is None:
            from tracker.store.engine import Store
            from tracker.services.runtime import Runtime

            # Only init and the daemon (which runs init's check itself) may create a store.
            store = Store(self.database_url(), create=not require_schema)
            if require_schema:
                store.require_schema()
            self._runtime = Runtime(self.settings(), store)
        return self._runtime


pass_env = click.make_pass_decorator(Env)


def emit_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def display_width(text: str) -> int:
    """Terminal columns: combining marks take none, wide characters two."""
    if text.isascii():
        return len(text)
    width = 0
    for ch in unicodedata.normalize("NFC", text):
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def truncate(text: str, width: int) -> str:
    if display_width(text) <= width:
        return text
    out = ""
    for ch in text:
        if display_width(out + ch + "…") > width:
            break
        out += ch
    return out + "…"


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, max_width: dict[int, int] | None = None) -> str:
    """An aligned plain-text table that keeps Vietnamese accents aligned."""
    max_width = max_width or {}
    cells = [[str(h) for h in headers]]
    for row in rows:
        cells.append([truncate("" if v is None else str(v), max_width.get(i, 10_000)) for i, v in enumerate(row)])
    widths = [max(display_width(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        padded = [c + " " * (widths[i] - display_width(c)) for i, c in enumerate(row)]
        lines.append("  ".join(padded).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def fmt_local(value: datetime | None, with_time: bool = True) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M" if with_time else "%Y-%m-%d")
