"""Bring a freshly imported bench store into the state a decade of continuous
operation would have left it in, so the figures measure a real store.

After ``tracker plan import`` every assignment is open with ``next_action_at``
at its first stage. A store that has run for years looks different, and the
tick, status and simulate figures depend on that shape:

- history: every deadline more than ``HISTORY_DAYS`` ago was submitted on time
  (``next_action_at`` NULL: nothing left to do). That is ~90 % of the rows;
- open work: future deadlines stay open for every unit, with ``next_action_at``
  exactly where the policy left it after the daemon's last pass, and the
  decisions that pass history implies recorded (computed with tracker.core.policy,
  once per deadline: all units of one deadline share its ladder);
- the same fixed amount of work at both sizes: the deadlines with a stage due
  at ``now`` stay open for the first ``late_units`` units only (the others
  already submitted), chosen so that exactly ``due_items`` stages are due;
  recent deadlines (the last ``HISTORY_DAYS``) stay open for those same units
  (they are late and being escalated: what ``status --state overdue`` lists).

So the tick has the same work at 100k and 1M rows and the growth ratio measures
the store, not the workload.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from tracker.core import policy
from tracker.config import load_settings
from tracker.store.engine import Store
from tracker.services.runtime import Runtime

HISTORY_DAYS = 45


@dataclass(frozen=True)
class SteadyState:
    assignments: int
    open: int
    due: int  # assignments with a stage due at ``now``
    decisions: int
    late_units: int


@dataclass(frozen=True)
class _Replay:
    decisions: tuple[policy.StageDecision, ...]
    next_action_at: datetime | None


def replay(target: policy.Target, rt: Runtime, pol: policy.PolicySettings, until: datetime) -> _Replay:
    """What a daemon running at every stage time up to ``until`` (included) decided."""
    history: dict[str, policy.Past] = {}
    decided: list[policy.StageDecision] = []
    at = policy.initial_action_at(target, rt.calendar, pol)
    while at is not None and at <= until:
        verdict = policy.decide(target, history, rt.calendar, pol, at)
        for d in verdict.decisions:
            history[d.stage] = policy.Past(d.outcome, d.routes)
            decided.append(d)
        at = verdict.next_action_at
    return _Replay(tuple(decided), at)


def prepare(url: str, now: datetime, last_pass: datetime, due_items: int) -> SteadyState:
    """Rewrite the store at ``url`` in place (see the module docstring)."""
    rt = Runtime(load_settings(None, environ={}), Store(url), actor="bench")
    pol = policy.PolicySettings.from_settings(rt.settings)
    store = rt.store
    stamp = _stamp(store.is_sqlite)
    with store.write() as s:
        conn = s.connection()
        conn.execute(text("UPDATE assignments SET state = 'submitted', submitted_at = due_at, next_action_at = NULL "
                          "WHERE due_at < :cut"), {"cut": stamp(now - timedelta(days=HISTORY_DAYS))})
        targets = list(conn.execute(text(
            "SELECT a.obligation_id, a.period, a.kind, a.due_at, o.report_to FROM assignments a "
            "JOIN obligations o ON o.id = a.obligation_id WHERE a.state = 'open' "
            "GROUP BY a.obligation_id, a.period, a.kind, a.due_at, o.report_to ORDER BY a.due_at")))
        coordinator = conn.execute(text("SELECT coordinator_code FROM plans")).scalar()
        units = [c for (c,) in conn.execute(text("SELECT code FROM units WHERE code <> :c ORDER BY code"),
                                            {"c": coordinator})]
        plans = []
        for ob_id, period, kind, due_at, report_to in targets:
            due_at = _aware(due_at)
            target = policy.Target(kind, due_at, "", report_to or coordinator)
            done = replay(target, rt, pol, last_pass)
            plans.append((ob_id, period, due_at, done, _due_between(target, rt, pol, last_pass, now)))
        hot = sum(1 for p in plans if p[4])
        late = min(len(units), math.ceil(due_items / max(hot, 1)))
        late_codes = units[:late]
        decisions = []
        for ob_id, period, due_at, done, hot_now in plans:
            recent = due_at <= now
            # Deadlines with work due now, and recent ones: only the late units are still open.
            open_codes = late_codes if (hot_now or recent) else units
            if hot_now or recent:
                early = min(due_at, last_pass) - timedelta(days=1)
                conn.execute(text(
                    "UPDATE assignments SET state = 'submitted', submitted_at = :at, next_action_at = NULL "
                    "WHERE obligation_id = :o AND period = :p AND unit_id IN "
                    "(SELECT id FROM units WHERE code > :last)"),
                    {"at": stamp(early), "o": ob_id, "p": period, "last": late_codes[-1]})
            conn.execute(text("UPDATE assignments SET next_action_at = :n WHERE obligation_id = :o AND period = :p "
                              "AND state = 'open'"),
                         {"n": stamp(done.next_action_at) if done.next_action_at else None, "o": ob_id, "p": period})
            for d in done.decisions:
                decisions += [(ob_id, period, code, stamp(due_at), d, _routes(d, code)) for code in open_codes]
        _insert_decisions(conn, decisions, stamp(now), stamp)
        count = conn.execute(text("SELECT count(*), sum(CASE WHEN state = 'open' THEN 1 ELSE 0 END), "
                                  "sum(CASE WHEN next_action_at <= :now THEN 1 ELSE 0 END) FROM assignments"),
                             {"now": stamp(now)}).one()
        missing = conn.execute(text("SELECT count(*) FROM assignments WHERE state = 'open' AND next_action_at IS NULL "
                                    "AND due_at > :now"), {"now": stamp(now)}).scalar()
        assert missing == 0, f"{missing} open future assignments without a next stage time"
    if store.is_sqlite:
        with store.engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    else:
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    store.dispose()
    return SteadyState(count[0], count[1], count[2], len(decisions), late)


def _due_between(target: policy.Target, rt: Runtime, pol: policy.PolicySettings, after: datetime,
                 until: datetime) -> bool:
    return any(after < s.at <= until for s in policy.ladder(target, rt.calendar, pol))


def _routes(d: policy.StageDecision, unit: str) -> str | None:
    import json

    if d.outcome != policy.SENT:
        return None
    # The replayed target has no unit (its ladder is shared): name the unit in its own routes.
    return json.dumps([r + unit if r in ("unit:", "head:") else r for r in d.routes])


def _insert_decisions(conn, rows: list, decided_at, stamp) -> None:
    if not rows:
        return
    ids = {(o, p, u): i for i, o, p, u in conn.execute(text(
        "SELECT a.id, a.obligation_id, a.period, u.code FROM assignments a JOIN units u ON u.id = a.unit_id "
        "WHERE a.state = 'open' AND a.due_at <= :now"), {"now": decided_at})}
    ids.update({(o, p, u): i for i, o, p, u in conn.execute(text(
        "SELECT a.id, a.obligation_id, a.period, u.code FROM assignments a JOIN units u ON u.id = a.unit_id "
        "WHERE a.state = 'open' AND a.next_action_at IS NOT NULL"))})
    params = [
        {"a": ids[(o, p, u)], "due": due, "stage": d.stage, "sched": stamp(d.scheduled_at), "dec": stamp(d.scheduled_at),
         "out": d.outcome, "rec": rec}
        for o, p, u, due, d, rec in rows
    ]
    rec = ":rec" if conn.dialect.name == "sqlite" else "CAST(:rec AS JSON)"
    conn.execute(text("INSERT INTO decisions (assignment_id, due_at, stage, scheduled_at, decided_at, outcome, "
                      f"recipients) VALUES (:a, :due, :stage, :sched, :dec, :out, {rec})"), params)


def _aware(value) -> datetime:
    from datetime import timezone

    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _stamp(sqlite: bool):
    from datetime import timezone

    def convert(value: datetime) -> object:
        naive = value.astimezone(timezone.utc).replace(tzinfo=None)
        return naive.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else naive

    return convert
