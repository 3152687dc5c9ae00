"""Checking the fields of an input file's nodes (plan, unit and submission
files): each check reads one key, and every problem is collected with the file
and line it is at, so the whole file is reported in one run. Pure.
"""

from __future__ import annotations

import re
from typing import Any

from tracker.core.addresses import is_email
from tracker.core.errors import InputError, ValidationErrors
from tracker.core.yamltext import nfc

CODE = re.compile(r"^[a-z0-9][a-z0-9-]*$")  # plan, unit and obligation codes


class Collector:
    """Gathers problems with their locations; raises them all at once."""

    def __init__(self, filename: str) -> None:
        self.filename = filename
        self.errors: list[InputError] = []

    def at(self, node: Any, key: Any = None) -> str:
        line = line_of(node, key)
        return f"{self.filename}:{line}" if line else self.filename

    def add(self, message: str, node: Any = None, key: Any = None) -> None:
        self.errors.append(InputError(message, self.at(node, key)))

    def raise_if_any(self) -> None:
        if self.errors:
            raise ValidationErrors(self.errors)


def line_of(node: Any, key: Any = None) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        if key is None:
            return lc.line + 1
        if isinstance(key, int):
            return lc.item(key)[0] + 1
        return lc.key(key)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return lc.line + 1


def check_keys(c: Collector, node: dict, allowed: set[str], what: str) -> None:
    for key in node:
        if key not in allowed:
            c.add(f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})", node, key)


# Control characters (C0, DEL, C1): NUL bytes PostgreSQL refuses, terminal
# escape sequences that would reach the CLI's output, line breaks that would
# split an ICS line or a header. Names, titles and numbers are one line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # tab and line breaks allowed
_MULTILINE_KEYS = {"source"}  # the plan's own phrase, quoted as it was written


def control_character(value: str, *, one_line: bool = True) -> str | None:
    """The first forbidden control character of ``value``, named (e.g. ``U+001B``); None if clean."""
    found = (_CONTROL if one_line else _CONTROL_IN_TEXT).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def text_field(c: Collector, node: dict, key: str, what: str, *, required: bool = True) -> str | None:
    value = node.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            c.add(f"{what}: missing {key}", node, key if key in node else None)
        return None
    if isinstance(value, (dict, list)):
        c.add(f"{what}: {key} must be text", node, key)
        return None
    text = nfc(str(value)).strip()
    bad = control_character(text, one_line=key not in _MULTILINE_KEYS)
    if bad:
        c.add(f"{what}: {key} contains a control character ({bad}); names and titles are one line of text",
              node, key)
        return None
    return text


def code_field(c: Collector, node: dict, key: str, what: str, *, required: bool = True) -> str | None:
    value = text_field(c, node, key, what, required=required)
    if value is not None and not CODE.match(value):
        c.add(f"{what}: {key} {value!r} must be lowercase letters, digits and hyphens", node, key)
        return None
    return value


def emails_field(c: Collector, node: dict, key: str, what: str) -> tuple[str, ...]:
    value = node.get(key)
    if value is None or value == "" or value == []:
        return ()
    items = value if isinstance(value, list) else [value]
    out = []
    for item in items:
        for addr in re.split(r"[;,]", str(item)):
            addr = addr.strip()
            if not addr:
                continue
            if not is_email(addr):
                c.add(f"{what}: {addr!r} is not a valid e-mail address", node, key)
            else:
                out.append(addr)
    return tuple(out)
