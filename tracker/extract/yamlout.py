"""Rendering the draft as YAML 1.2 text, without a YAML library.

The draft is plain data (dicts, lists, strings, numbers, booleans, None), so a
small emitter is enough and keeps the pure core free of dependencies.  Strings
are written as JSON-style double-quoted scalars unless they are plainly safe
(codes, ids, kinds): JSON strings are valid YAML 1.2 (and 1.1) scalars, so no
Vietnamese text or ISO date can be re-typed by a reader (e.g. "2021-05-30"
stays a string, "no" never becomes false).
"""

from __future__ import annotations

import json
import re

_PLAIN = re.compile(r"^[a-z][a-z0-9_-]*$")
_RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null"}

HEADER = (
    "# DRAFT plan file written by `tracker plan extract`: review every entry before\n"
    "# `tracker plan import`. Items the extractor was unsure of are listed under\n"
    "# `review:` at the end (import ignores that key). Unit e-mails must be filled in.\n"
)


def scalar(v: object) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    s = str(v)
    if _PLAIN.match(s) and s not in _RESERVED:
        return s
    return json.dumps(s, ensure_ascii=False)


def _emit(v: object, indent: int, out: list[str]) -> None:
    pad = "  " * indent
    if isinstance(v, dict):
        for k, x in v.items():
            if isinstance(x, dict) and x:
                out.append(f"{pad}{k}:")
                _emit(x, indent + 1, out)
            elif isinstance(x, list) and x and not all(_is_scalar(i) for i in x):
                out.append(f"{pad}{k}:")
                _emit(x, indent + 1, out)
            elif isinstance(x, list) and x and _is_scalar(x[0]) and k not in ("review",):
                out.append(f"{pad}{k}: [" + ", ".join(scalar(i) for i in x) + "]")
            elif isinstance(x, list) and x:
                out.append(f"{pad}{k}:")
                _emit(x, indent + 1, out)
            elif isinstance(x, list):
                out.append(f"{pad}{k}: []")
            elif isinstance(x, dict):
                out.append(f"{pad}{k}: {{}}")
            else:
                out.append(f"{pad}{k}: {scalar(x)}")
    elif isinstance(v, list):
        for item in v:
            if isinstance(item, dict) and item:
                sub: list[str] = []
                _emit(item, indent + 1, sub)
                first = sub[0].lstrip()
                out.append(f"{pad}- {first}")
                out.extend(sub[1:])
            else:
                out.append(f"{pad}- {scalar(item)}")
    else:
        out.append(f"{pad}{scalar(v)}")


def _is_scalar(v: object) -> bool:
    return v is None or isinstance(v, (str, int, float, bool))


def render_yaml(draft: dict) -> str:
    """YAML 1.2 text of the draft, with a header comment saying it is a draft."""
    out: list[str] = []
    for i, (k, v) in enumerate(draft.items()):
        if i:
            out.append("")
        _emit({k: v}, 0, out)
    return HEADER + "\n" + "\n".join(out) + "\n"
