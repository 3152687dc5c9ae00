"""tracker status, tracker upcoming."""

from __future__ import annotations

import click

from tracker.cli.common import Env, emit_json, fmt_local, pass_env, table
from tracker.core.states import Kind, Status

_STATE_LABEL = {"pending": "pending", "overdue": "OVERDUE", "submitted": "submitted", "late": "late",
                "waived": "waived", "received": "received (to accept)", "returned": "RETURNED"}
# The summary always counts these; received and returned only when there are some.
_ALWAYS = ("pending", "overdue", "submitted", "late", "waived")


@click.command()
@click.option("--plan", "plan", metavar="ID", help="Only this plan.")
@click.option("--unit", "unit", metavar="CODE", help="Only this unit.")
@click.option("--state", "state", type=click.Choice([s.value for s in Status]),
              help="Only assignments in this state.")
@click.option("--period", "period", metavar="P", help="Only this period (2025, 2025-H1, 2025-Q2, 2025-03, 2025-9M).")
@click.option("--due-from", "due_from", metavar="DATE", help="Only deadlines on or after this day (yyyy-mm-dd).")
@click.option("--due-to", "due_to", metavar="DATE", help="Only deadlines on or before this day (yyyy-mm-dd).")
@click.option("--not-submitted", "not_submitted", is_flag=True, help="Only work not yet sent (pending or overdue).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per assignment).")
@pass_env
def status(env: Env, plan: str | None, unit: str | None, state: str | None, period: str | None,
           due_from: str | None, due_to: str | None, not_submitted: bool, as_json: bool) -> None:
    """Every assignment of deadline obligations, with its state as of now
    (or as of --now: later submissions are not counted): pending, overdue,
    received (sent by the unit, waiting for `tracker accept`), returned (sent
    back to the unit, open again), submitted (on time), late, waived.

    \b
    Example:
      tracker status --state overdue
      tracker status --period 2025-03 --not-submitted
      tracker status --due-from 2025-06-01 --due-to 2025-06-30
      tracker --now 2021-06-03 status --unit so-ldtbxh --json
    """
    from tracker.core.schedule import end_of_day, start_of_day
    from tracker.services.runtime import parse_day
    from tracker.services.status import status as run, summarise

    tz = env.settings().tz
    rows = run(env.runtime(), env.now(), plan=plan, unit=unit, state=state, period=period,
               due_from=start_of_day(parse_day(due_from, "--due-from"), tz) if due_from else None,
               due_to=end_of_day(parse_day(due_to, "--due-to"), tz) if due_to else None,
               not_submitted=not_submitted)
    _warn_dead_letters(env)
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    if rows:
        click.echo(table(
            ["plan", "obligation", "unit", "period", "due", "state", "submitted", "days late"],
            [(r.plan, r.obligation, r.unit, r.period, fmt_local(r.due, with_time=False), _STATE_LABEL[r.state],
              fmt_local(r.submitted_at), r.days_late or "") for r in rows],
        ))
    counts = summarise(rows)
    click.echo(f"{len(rows)} assignments: " + ", ".join(f"{n} {s}" for s, n in counts.items()
                                                         if n or s in _ALWAYS))


def _warn_dead_letters(env: Env) -> None:
    """Mail that could not be delivered is part of "who is late": say so on stderr
    (stdout stays clean for --json)."""
    from tracker.services.status import dead_letters

    failed = dead_letters(env.runtime())
    if failed:
        click.echo(f"warning: {failed} message{'s' if failed != 1 else ''} could not be delivered; "
                   "see `tracker outbox list --state failed`, then `tracker outbox retry`", err=True)


@click.command()
@click.option("--days", default=30, show_default=True, type=click.IntRange(min=0), help="How far ahead to look.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per obligation and period).")
@pass_env
def upcoming(env: Env, days: int, as_json: bool) -> None:
    """Deadlines, windows and events in the next N days, with the units that
    still owe each deadline.

    \b
    Example:
      tracker upcoming --days 14
    """
    from tracker.services.status import upcoming as run

    items = run(env.runtime(), env.now(), days)
    if as_json:
        emit_json([i.to_json() for i in items])
        return
    if not items:
        click.echo(f"nothing in the next {days} days")
        return
    rows = []
    for i in items:
        when = fmt_local(i.start, with_time=False)
        if i.end:
            when += " – " + fmt_local(i.end, with_time=False)
        who = f"{len(i.units)} open" if i.kind == Kind.DEADLINE else f"{len(i.units)} units"
        rows.append((when, i.kind, i.plan, i.obligation, i.period, who, i.title))
    click.echo(table(["date", "kind", "plan", "obligation", "period", "units", "title"], rows, max_width={6: 60}))
