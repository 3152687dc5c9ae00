"""What counts as an e-mail address in plan files, unit files and the config."""

from __future__ import annotations

import re

_EMAIL = re.compile(r"^[^@\s<>,;\"']+@[^@\s<>,;\"']+\.[^@\s<>,;\"']+$")


def is_email(value: str) -> bool:
    """A deliberately plain check: one @, a dot in the domain, no spaces or header punctuation."""
    return bool(_EMAIL.match(value)) and "\n" not in value and "\r" not in value
