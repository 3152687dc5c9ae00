"""A long digest cut to what a person reads: the most urgent items listed, the
rest summarised by plan and obligation. Pure.

After a mass import or a long outage a coordinator's digest can carry hundreds
of thousands of items. The message lists at most ``[mail] max_items`` of them
(the most urgent first: overdue before due today before upcoming, the oldest
deadline first), and says of the others, per plan and obligation, how many
units they concern and how many days late the latest of them is; the full list
travels as an attachment (tracker/render/digest_csv.py).

The cutter takes the items one at a time and keeps only the listed ones, a few
counters per obligation and the size of the current unit's run: memory follows
``max_items`` and the number of obligations, never the number of items. That
is why it needs the items of one unit and obligation to come together (the
composer reads them ordered by obligation and unit): a unit is counted once per
run.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from tracker.core.digest import DigestItem

GROUPS = ("overdue", "today", "upcoming", "resolved")  # DigestItem.urgency's values, by name


@dataclass(frozen=True)
class SummaryLine:
    """The items of one obligation that the message does not list."""

    plan: str
    plan_title: str
    obligation: str
    title: str
    items: int
    units: int
    max_days_late: int | None  # None: none of them is late


@dataclass(frozen=True)
class DigestCut:
    listed: tuple[DigestItem, ...]  # the most urgent items, at most max_items, most urgent first
    rest: tuple[SummaryLine, ...]  # the others, by obligation, in the order they came
    total: int  # every item of the digest
    counts: dict[str, int]  # every item of the digest by urgency group (GROUPS)

    @property
    def rest_total(self) -> int:
        return self.total - len(self.listed)


def urgency_key(item: DigestItem, at: datetime) -> tuple[Any, ...]:
    """Most urgent first; the tail makes the order total, so a cut never depends on arrival order."""
    return (item.urgency(at), item.due_at, item.plan, item.obligation, item.unit, item.period, item.stage)


def days_late(item: DigestItem, today: date, tz) -> int:
    """Whole local days since the item's date (0 or less: not late)."""
    return (today - item.due_at.astimezone(tz).date()).days


class _Least:
    """A heap entry ordered backwards: heapq's smallest is then the least urgent item kept."""

    __slots__ = ("key", "item")

    def __init__(self, key: tuple[Any, ...], item: DigestItem) -> None:
        self.key, self.item = key, item

    def __lt__(self, other: "_Least") -> bool:
        return self.key > other.key


@dataclass
class _Group:
    plan: str
    plan_title: str
    obligation: str
    title: str
    units: int = 0  # distinct units among all its items
    rest_items: int = 0
    max_days_late: int | None = None
    run_sizes: dict[str, int] = field(default_factory=dict)  # unit -> items, for units with a listed item


class DigestCutter:
    """Feed ``add`` the items of one digest (a unit's items of one obligation
    together), then ``finish``."""

    def __init__(self, at: datetime, tz, max_items: int) -> None:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        self.at, self.tz, self.max_items = at, tz, max_items
        self.today = at.astimezone(tz).date()
        self._heap: list[_Least] = []
        self._groups: dict[tuple[str, str], _Group] = {}
        self._counts = dict.fromkeys(GROUPS, 0)
        self._total = 0
        self._run: tuple[tuple[str, str], str] | None = None
        self._run_size = 0
        self._listed_by_run: dict[tuple[tuple[str, str], str], int] = {}  # at most max_items entries

    def add(self, item: DigestItem) -> None:
        self._total += 1
        key = urgency_key(item, self.at)
        self._counts[GROUPS[key[0]]] += 1
        gkey = (item.plan, item.obligation)
        group = self._groups.get(gkey)
        if group is None:
            group = self._groups[gkey] = _Group(item.plan, item.plan_title, item.obligation, item.title)
        run = (gkey, item.unit)
        if run != self._run:
            self._end_run()
            self._run, self._run_size = run, 0
            group.units += 1
        self._run_size += 1
        heap = self._heap
        if len(heap) < self.max_items:
            heapq.heappush(heap, _Least(key, item))
            self._listed(run)
        elif key < heap[0].key:
            out = heapq.heapreplace(heap, _Least(key, item)).item
            self._listed(run)
            self._unlisted(out)
            self._to_rest(out)
        else:
            self._to_rest(item)

    def _listed(self, run: tuple[tuple[str, str], str]) -> None:
        self._listed_by_run[run] = self._listed_by_run.get(run, 0) + 1

    def _unlisted(self, item: DigestItem) -> None:
        run = ((item.plan, item.obligation), item.unit)
        left = self._listed_by_run[run] - 1
        if left:
            self._listed_by_run[run] = left
        else:  # nothing of that run is listed any more: its size no longer matters
            del self._listed_by_run[run]
            self._groups[run[0]].run_sizes.pop(run[1], None)

    def _to_rest(self, item: DigestItem) -> None:
        group = self._groups[(item.plan, item.obligation)]
        group.rest_items += 1
        late = days_late(item, self.today, self.tz)
        if item.urgency(self.at) == 0 and late > 0 and (group.max_days_late is None or late > group.max_days_late):
            group.max_days_late = late

    def _end_run(self) -> None:
        if self._run is not None and self._run in self._listed_by_run:
            gkey, unit = self._run
            self._groups[gkey].run_sizes[unit] = self._run_size

    def finish(self) -> DigestCut:
        self._end_run()
        self._run = None
        listed = sorted(self._heap, key=lambda e: e.key)
        # A unit is in the rest unless every item of its run is listed.
        shown = self._listed_by_run
        rest = []
        for gkey, g in self._groups.items():
            if not g.rest_items:
                continue
            fully_listed = sum(1 for unit, size in g.run_sizes.items() if shown.get((gkey, unit)) == size)
            rest.append(SummaryLine(g.plan, g.plan_title, g.obligation, g.title, g.rest_items,
                                    g.units - fully_listed, g.max_days_late))
        return DigestCut(tuple(e.item for e in listed), tuple(rest), self._total, dict(self._counts))
