"""The draft's units matched to units already known (a unit file, the store).

A plan names its units as the office writes them ("Sở LĐTBXH", "UBND các
xã", "Sở Y tế" in a Bắc Ninh plan); the store knows them by code with their
full name and e-mail addresses ("Sở Y tế tỉnh Bắc Ninh").  A draft that uses
the known codes, and carries the known unit's record, imports without anyone
typing an address.  Names are compared on `name_key` (diacritics and tone
placement unified, "UBND", "LĐTBXH", "TB&XH" expanded), first whole, then
without the locality that one side writes and the other leaves out ("tỉnh
Bắc Ninh", "thành phố", "quận 10") when that locality is the plan's place or
is missing.  A name that matches no known unit, or several, is left as the
draft had it and listed for review with the closest known units, by
similarity of the keys.

Pure: the draft dict and the known units in, a new draft out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Sequence

from .names import name_key

# A locality at the end of a name: "huyện Thanh Sơn", "thành phố", "quận 10" ("xã hội" is no place).
_LOCALITY = re.compile(
    r"\s+(?:của\s+)?(?:tỉnh|thành phố|quận|huyện|thị xã|xã(?!\s+hội)|phường|thị trấn)(?:\s+\w+){0,4}$")
_GENERIC_NOTE = "unit e-mail addresses are not in the document"


@dataclass(frozen=True)
class KnownUnit:
    code: str
    name: str
    emails: tuple[str, ...]
    head_email: str | None = None
    kind: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class Match:
    unit: KnownUnit | None
    candidates: tuple[KnownUnit, ...]  # the closest known units when there is no single match


def match_name(name: str, known: Sequence[KnownUnit], place: str | None) -> Match:
    """The known unit `name` stands for, or the closest candidates."""
    key = name_key(name)
    exact = [k for k in known if name_key(k.name) == key or k.code == name]
    if len(exact) == 1:
        return Match(exact[0], ())
    place_key = name_key(place) if place else ""
    core = _core(key, place_key)
    same_core = [k for k in known if _core(name_key(k.name), place_key) == core and
                 _locality_fits(name_key(k.name), key, place_key)]
    if len(same_core) == 1:
        return Match(same_core[0], ())
    if len(same_core) > 1:
        here = [k for k in same_core if place_key and place_key in name_key(k.name)]
        if len(here) == 1:
            return Match(here[0], ())
        return Match(None, tuple(same_core[:3]))
    scored = sorted(known, key=lambda k: -_similarity(core, _core(name_key(k.name), place_key)))
    close = [k for k in scored[:3] if _similarity(core, _core(name_key(k.name), place_key)) >= 0.5]
    return Match(None, tuple(close))


def _core(key: str, place_key: str) -> str:
    """The name without its locality: "sở y tế tỉnh bắc ninh" -> "sở y tế".

    "và" goes too: offices write "Văn hóa và Thông tin" and "Văn hóa - Thông tin" alike."""
    key = key.replace(" và ", " ")
    if place_key and key.endswith(" " + place_key):
        key = key[: -len(place_key) - 1]
    return _LOCALITY.sub("", key).strip() or key


_PLACE_WORDS = {"của", "tỉnh", "thành", "phố", "quận", "huyện", "thị", "xã", "phường", "trấn"}


def _locality_fits(known_key: str, key: str, place_key: str) -> bool:
    """Same core name: a locality either side writes must be the plan's place (or absent),
    and when both name the level, the same level ("UBND tỉnh" is not "UBND huyện ...")."""
    levels = []
    for k in (known_key, key):
        m = _LOCALITY.search(k)
        rest = k[m.start():].split() if m else []
        words = set(rest) - _PLACE_WORDS
        if words and (not place_key or not words <= set(place_key.split())):
            return False
        levels.append(next((w for w in rest if w in _PLACE_WORDS - {"của"}), None))
    return not (levels[0] and levels[1] and levels[0] != levels[1])


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b).ratio()


def match_units(draft: dict, known: Sequence[KnownUnit], source: str) -> dict:
    """The draft with matched units' codes and records; the others listed under review."""
    place = (draft.get("plan") or {}).get("place")
    renames: dict[str, str] = {}
    units: list[dict] = []
    placed: set[str] = set()
    review: list[str] = []
    unmatched: list[str] = []
    for u in draft.get("units") or []:
        m = match_name(u["name"], known, place)
        if m.unit is None:
            units.append(u)
            unmatched.append(u["code"])
            if m.candidates:
                close = "; ".join(f"{k.code} ({k.name})" for k in m.candidates)
                review.append(f"unit {u['code']} \"{u['name']}\" matches no unit of {source} by name; "
                              f"closest: {close}. If it is one of these, use its code; else fill in its email")
            else:
                review.append(f"unit {u['code']} \"{u['name']}\" is not in {source} and no name there is "
                              "close; fill in its email")
            continue
        renames[u["code"]] = m.unit.code
        if m.unit.code in placed:
            continue  # two spellings of one unit in the document
        placed.add(m.unit.code)
        units.append(_record(m.unit))
    out = dict(draft)
    out["units"] = units
    out["plan"] = dict(draft.get("plan") or {})
    if out["plan"].get("coordinator") in renames:
        out["plan"]["coordinator"] = renames[out["plan"]["coordinator"]]
    out["obligations"] = [_renamed(ob, renames) for ob in draft.get("obligations") or []]
    notes = [_rename_text(r, renames) for r in draft.get("review") or [] if _GENERIC_NOTE not in r]
    distinct = len(set(renames.values()))
    twice = f"; {len(renames) - distinct} of them another spelling of a unit already matched" \
        if len(renames) > distinct else ""
    lines = [f"line 1: {len(renames)} of {len(draft.get('units') or [])} units matched to {source} "
             f"(codes and e-mail addresses filled in{twice})"]
    lines += [f"line 1: {r}" for r in review]
    out["review"] = lines + notes
    return out


def _record(k: KnownUnit) -> dict:
    d: dict = {"code": k.code, "name": k.name, "email": list(k.emails)}
    if k.head_email:
        d["head_email"] = k.head_email
    if k.kind:
        d["kind"] = k.kind
    if k.parent:
        d["parent"] = k.parent
    return d


def _renamed(ob: dict, renames: dict[str, str]) -> dict:
    ob = dict(ob)
    resp = ob.get("responsible")
    if isinstance(resp, list):
        ob["responsible"] = list(dict.fromkeys(renames.get(c, c) for c in resp))
    if ob.get("report_to") in renames:
        ob["report_to"] = renames[ob["report_to"]]
    return ob


def _rename_text(text: str, renames: dict[str, str]) -> str:
    if not renames:
        return text
    pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(c) for c in sorted(renames, key=len, reverse=True))
                         + r")(?![\w-])")
    return pattern.sub(lambda m: renames[m.group(1)], text)
