"""Periods in words, as Vietnamese offices write them. Pure.

(issue17 owns this module; issue20 created ``period_words`` first, with exactly
the shape the guide gives, so whichever branch lands second merges the two.)
"""

from __future__ import annotations

from tracker.core.dataperiod import period_months

_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


def period_words(period: str) -> str:
    """``2025-Q1`` -> ``Quý I/2025``; ``2025-H1`` -> ``6 tháng đầu năm 2025``; ``2025-H2`` ->
    ``6 tháng cuối năm 2025``; ``2025`` -> ``năm 2025``; ``2025-01`` -> ``tháng 1/2025``;
    ``2025-9M`` -> ``9 tháng năm 2025``. Raises ValueError for anything else."""
    year, first, last = period_months(period)
    if first == last:
        return f"tháng {first}/{year}"
    if last - first == 2:
        return f"Quý {_ROMAN[last // 3]}/{year}"
    if (first, last) == (1, 6):
        return f"6 tháng đầu năm {year}"
    if (first, last) == (7, 12):
        return f"6 tháng cuối năm {year}"
    if (first, last) == (1, 9):
        return f"9 tháng năm {year}"
    return f"năm {year}"
