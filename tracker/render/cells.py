"""Spreadsheet cells that cannot run: OWASP's rule against CSV (formula)
injection, for every table a spreadsheet opens (CSV, .xlsx). Pure.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel and LibreOffice as a formula (``=HYPERLINK(...)``,
``=cmd|' /C calc'!A0``, ``@SUM(...)``). Such a cell gets a leading single
quote: the spreadsheet shows the text as it was written, and runs nothing.
Numbers, dates and empty cells are left as they are.

Every export that writes spreadsheet cells calls ``safe_cell`` on each one:
``render/csv_export.py`` and the .xlsx exports.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` as a cell that is never a formula (OWASP: prefix ``'``); non-text unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
