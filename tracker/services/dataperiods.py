"""The data period of an (obligation, period), for the read paths (status,
exports, reminders, the unit's page). The obligations that carry a rule are
read once per request; each (obligation, period) is resolved once, so a
million status rows cost a dictionary lookup each."""

from __future__ import annotations

from sqlalchemy import select

from tracker.core.dataperiod import DataPeriod, DataPeriodRule
from tracker.core.schedule import ObligationDates, data_period
from tracker.core.states import Kind
from tracker.store.tables import obligations as O, plans as P


class DataPeriods:
    def __init__(self, conn) -> None:
        self._rules: dict[int, ObligationDates] = {
            ob_id: ObligationDates(Kind.DEADLINE, first, None, recurrence, year, data=DataPeriodRule.from_json(rule))
            for ob_id, first, recurrence, year, rule in conn.execute(
                select(O.c.id, O.c.first_date, O.c.recurrence, P.c.year, O.c.data_period)
                .join(P, O.c.plan_id == P.c.id).where(O.c.data_period.is_not(None)))
            if rule  # JSON null
        }
        self._seen: dict[tuple[int, str], DataPeriod | None] = {}

    def __call__(self, obligation_id: int, period: str) -> DataPeriod | None:
        rule = self._rules.get(obligation_id)
        if rule is None:
            return None
        key = (obligation_id, period)
        if key not in self._seen:
            self._seen[key] = data_period(rule, period)
        return self._seen[key]

