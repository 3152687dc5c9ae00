"""Ruled tables on a PDF page: border lines -> a grid of cells, merged cells resolved.

A PDF has no tables, only text and the lines drawn around it.  The borders
are taken from the page's path objects (each straight, axis-parallel segment;
a thin filled rectangle, as Word draws some borders, is a line too) and
grouped into tables by which lines touch.  A table's distinct x and y
positions make a grid; where a border between two neighbouring grid cells is
missing, the cells are one merged cell.  Each merged cell's text is read once
from its whole area, then placed as `word.py` places a .docx's: in its first
column, repeated under a header cell that spans columns, and repeated down the
rows it spans (the "Đơn vị chủ trì" written once for five tasks).
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any, Callable

_SNAP = 2.0  # points: borders this close are one border
_MIN_EDGE = 3.0  # points: shorter strokes (a rectangle's thin ends, dots) are not borders


@dataclass(frozen=True)
class Grid:
    bbox: tuple[float, float, float, float]  # x0, top, x1, bottom (top-down coordinates)
    rows: tuple[tuple[str, ...], ...]


def path_edges(page: Any, height: float) -> tuple[list[tuple[float, float, float]], list[tuple[float, float, float]]]:
    """Horizontal (y, x0, x1) and vertical (x, y0, y1) border segments, top-down coordinates."""
    import pypdfium2.raw as raw

    hs: list[tuple[float, float, float]] = []
    vs: list[tuple[float, float, float]] = []
    for obj in page.get_objects(filter=[raw.FPDF_PAGEOBJ_PATH], max_depth=1):
        m = obj.get_matrix()
        a, b, c, d, e, f = m.get()
        n = raw.FPDFPath_CountSegments(obj.raw)
        start = prev = None
        x, y = ctypes.c_float(), ctypes.c_float()
        for i in range(n):
            seg = raw.FPDFPath_GetPathSegment(obj.raw, i)
            raw.FPDFPathSegment_GetPoint(seg, ctypes.byref(x), ctypes.byref(y))
            point = (a * x.value + c * y.value + e, height - (b * x.value + d * y.value + f))
            kind = raw.FPDFPathSegment_GetType(seg)
            if kind == raw.FPDF_SEGMENT_MOVETO:
                start = prev = point
                continue
            if prev is not None and kind == raw.FPDF_SEGMENT_LINETO:
                _add_edge(prev, point, hs, vs)
            prev = point
            if raw.FPDFPathSegment_GetClose(seg) and start is not None:
                _add_edge(point, start, hs, vs)
                prev = start
    return hs, vs


def _add_edge(p: tuple[float, float], q: tuple[float, float], hs: list, vs: list) -> None:
    (x0, y0), (x1, y1) = p, q
    if abs(y1 - y0) < 1.0 and abs(x1 - x0) >= _MIN_EDGE:
        hs.append(((y0 + y1) / 2, min(x0, x1), max(x0, x1)))
    elif abs(x1 - x0) < 1.0 and abs(y1 - y0) >= _MIN_EDGE:
        vs.append(((x0 + x1) / 2, min(y0, y1), max(y0, y1)))


def find_grids(hs: list[tuple[float, float, float]], vs: list[tuple[float, float, float]],
               text_in: Callable[[tuple[float, float, float, float]], str]) -> list[Grid]:
    """Tables of at least two rows and two columns; `text_in(x0, top, x1, bottom)` reads an area."""
    if not hs or not vs:
        return []
    parent = list(range(len(hs) + len(vs)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, (y, hx0, hx1) in enumerate(hs):
        for j, (x, vy0, vy1) in enumerate(vs):
            if hx0 - _SNAP <= x <= hx1 + _SNAP and vy0 - _SNAP <= y <= vy1 + _SNAP:
                parent[root(i)] = root(len(hs) + j)
    groups: dict[int, tuple[list, list]] = {}
    for i, h in enumerate(hs):
        groups.setdefault(root(i), ([], []))[0].append(h)
    for j, v in enumerate(vs):
        groups.setdefault(root(len(hs) + j), ([], []))[1].append(v)
    grids = [_grid(gh, gv, text_in) for gh, gv in groups.values() if gh and gv]
    return sorted((g for g in grids if g is not None), key=lambda g: g.bbox[1])


def _positions(values: list[float]) -> list[float]:
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _SNAP:
            out.append(v)
    return out


def _grid(hs: list, vs: list, text_in: Callable[[tuple[float, float, float, float]], str]) -> Grid | None:
    ys = _positions([h[0] for h in hs])
    xs = _positions([v[0] for v in vs])
    nrows, ncols = len(ys) - 1, len(xs) - 1
    if nrows < 2 or ncols < 2:
        return None

    def has_v(x: float, ya: float, yb: float) -> bool:
        mid = (ya + yb) / 2
        return any(abs(vx - x) <= _SNAP and vy0 - _SNAP <= mid <= vy1 + _SNAP for vx, vy0, vy1 in vs)

    def has_h(y: float, xa: float, xb: float) -> bool:
        mid = (xa + xb) / 2
        return any(abs(hy - y) <= _SNAP and hx0 - _SNAP <= mid <= hx1 + _SNAP for hy, hx0, hx1 in hs)

    # Each grid cell's merged cell: the top-left grid cell of the area without inner borders.
    owner = [[(r, c) for c in range(ncols)] for r in range(nrows)]
    for r in range(nrows):
        for c in range(ncols):
            if c and not has_v(xs[c], ys[r], ys[r + 1]):
                owner[r][c] = owner[r][c - 1]
            elif r and not has_h(ys[r], xs[c], xs[c + 1]):
                owner[r][c] = owner[r - 1][c]
    extent: dict[tuple[int, int], list[int]] = {}
    for r in range(nrows):
        for c in range(ncols):
            e = extent.setdefault(owner[r][c], [r, c, r, c])
            e[2], e[3] = max(e[2], r), max(e[3], c)
    text = {key: text_in((xs[e[1]], ys[e[0]], xs[e[3] + 1], ys[e[2] + 1])) for key, e in extent.items()}
    rows = []
    for r in range(nrows):
        row = []
        for c in range(ncols):
            top_r, first_c = owner[r][c]
            if (top_r, first_c) == (r, c) or c == first_c or r == 0:
                row.append(text[(top_r, first_c)])  # the cell, a header's span, or a cell merged down
            else:
                row.append("")  # a body cell's span to the right: written once
        rows.append(tuple(row))
    if not any(cell.strip() for row in rows for cell in row):
        return None
    return Grid((xs[0], ys[0], xs[-1], ys[-1]), tuple(rows))
