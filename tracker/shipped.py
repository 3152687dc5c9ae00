"""Where the files shipped beside the code are: the Alembic migrations and the mail templates.

The project keeps them at the top of the repository (``migrations/``,
``config/templates/``). A wheel carries copies inside the package, under
``tracker/_shipped/`` (pyproject.toml maps them there), so a plain
``pip install`` works without the checkout. The packaged copy wins when it
exists; in a checkout, whose ``tracker/`` holds no ``_shipped/``, the
repository's own files are used, so an edit shows at once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent


def _first(packaged: Path, checkout: Path) -> Path:
    return packaged if packaged.is_dir() else checkout


@cache
def migrations_dir() -> Path:
    """Alembic's script location: env.py and versions/."""
    return _first(_PACKAGE / "_shipped" / "migrations", _CHECKOUT / "migrations")


@cache  # looked up once per process: the mail renderer asks for every message
def templates_dir() -> Path:
    """The shipped mail templates, one folder per language."""
    return _first(_PACKAGE / "_shipped" / "templates", _CHECKOUT / "config" / "templates")
