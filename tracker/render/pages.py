"""The web pages, from plain data (services/pages.py): Jinja2 templates with
autoescaping, no inline script or style (the Content-Security-Policy forbids
both), Vietnamese, readable on a phone. Pure: no store, no clock."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

_TEMPLATES = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(_TEMPLATES), encoding="utf-8"),
                              autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True,
                              lstrip_blocks=True)


def render_page(name: str, **context: Any) -> str:
    """``web_<name>.html.j2`` with ``context``."""
    return _env().get_template(f"web_{name}.html.j2").render(matrix_cells=matrix_cells, **context)


def matrix_cells(cells) -> Markup:
    """One matrix row's cells (``None`` for no assignment). A 200-unit plan's year is
    thousands of cells of a dozen distinct kinds: each kind is escaped and formatted
    once, not once per cell by the template."""
    return Markup("".join(_td(c.state, c.text) if c is not None else "<td></td>" for c in cells))


@lru_cache(maxsize=2048)
def _td(state: str, text: str) -> str:
    return f'<td class="b-{escape(state)}">{escape(text)}</td>'


@lru_cache(maxsize=1)
def stylesheet() -> bytes:
    return (_TEMPLATES / "web_app.css.j2").read_bytes()


def size_text(size: int) -> str:
    return f"{size / 1_048_576:.1f} MB" if size >= 1_048_576 else f"{max(1, round(size / 1024))} KB"
