"""YAML as people write it for the tracker (plan and unit files). Pure: text in,
nodes with their line numbers out; NFC text, no anchors or aliases, bounded nesting."""

from __future__ import annotations

import unicodedata
from typing import Any

from tracker.core.errors import InputError


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# The deepest nesting a plan or unit file may have (config: tracker.max_nesting).
# A real plan is 4 levels deep; thousands of levels end in a RecursionError.
MAX_DEPTH = 32


def load_yaml(text: str, filename: str, *, max_depth: int = MAX_DEPTH) -> Any:
    """YAML 1.2 with line numbers kept (ruamel round-trip nodes).

    Anchors and aliases are refused before anything is built: a file of a few
    hundred bytes can alias its way to gigabytes once values become text (the
    "billion laughs"). Plan and unit files never need them. Nesting deeper than
    ``max_depth`` is refused too, before the recursive composer sees it."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        text = nfc(text)
        _check_events(yaml, text, filename, max_depth)
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else "?"
        problem = (exc.problem or exc.context or "invalid YAML").strip()
        raise InputError(f"invalid YAML: {problem}", f"{filename}:{line}") from None
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {str(exc).splitlines()[0]}", filename) from None


def _check_events(yaml, text: str, filename: str, max_depth: int) -> None:
    """One pass over the parser's events (a flat stream, nothing built, no recursion)."""
    from ruamel.yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent

    depth = 0
    for event in yaml.parse(text):
        line = event.start_mark.line + 1 if event.start_mark is not None else "?"
        if isinstance(event, AliasEvent):
            raise InputError(f"YAML aliases (*{event.anchor}) are not allowed in plan or unit files; "
                             "write the value out", f"{filename}:{line}")
        if getattr(event, "anchor", None):
            raise InputError(f"YAML anchors (&{event.anchor}) are not allowed in plan or unit files; "
                             "write the value out", f"{filename}:{line}")
        if isinstance(event, CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise InputError(f"nested more than {max_depth} levels deep (tracker.max_nesting)",
                                 f"{filename}:{line}")
        elif isinstance(event, CollectionEndEvent):
            depth -= 1
