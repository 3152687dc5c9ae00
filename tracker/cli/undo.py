"""tracker unsubmit, unwaive, audit: undoing a record, and reading the log of every change."""

from __future__ import annotations

import click

from tracker.cli.common import Env, emit_json, fmt_local, pass_env, table
from tracker.cli.records import _with_common


@click.command()
@_with_common
@click.option("--reason", "reason", metavar="TEXT", help="Why (kept in the audit log).")
@pass_env
def unsubmit(env: Env, unit: str, obligation: str, plan: str | None, period: str | None,
             reason: str | None) -> None:
    """Undo a submission recorded by mistake: the assignment is open again and
    its reminders resume. The audit log keeps what was recorded.

    \b
    Example:
      tracker unsubmit syt bao-cao-6-thang --period 2021 --reason "recorded for the wrong unit"
    """
    from tracker.services.undo import unsubmit as run

    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period, reason=reason)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): open again, due {fmt_local(r.due)} ({r.state})")


@click.command()
@_with_common
@click.option("--reason", "reason", metavar="TEXT", help="Why (kept in the audit log).")
@pass_env
def unwaive(env: Env, unit: str, obligation: str, plan: str | None, period: str | None,
            reason: str | None) -> None:
    """Undo a waiver: the unit owes the work again and its reminders resume.

    \b
    Example:
      tracker unwaive ctk bao-cao-nam --period 2021
    """
    from tracker.services.undo import unwaive as run

    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period, reason=reason)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): open again, due {fmt_local(r.due)} ({r.state})")


@click.command()
@click.option("--unit", "unit", metavar="CODE", help="Only this unit and its assignments.")
@click.option("--since", "since", metavar="DATE", help="Only changes on or after this day (yyyy-mm-dd).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per change, with before and after).")
@pass_env
def audit(env: Env, unit: str | None, since: str | None, as_json: bool) -> None:
    """The audit log: every import, submission, waiver, extension and undo,
    with who (the OS user), when, and what changed.

    \b
    Example:
      tracker audit --unit syt --since 2021-05-01
    """
    from tracker.core.schedule import start_of_day
    from tracker.services.auditlog import audit_log
    from tracker.services.runtime import parse_day

    rt = env.runtime()
    rows = audit_log(rt, env.now(), unit=unit,
                     since=start_of_day(parse_day(since, "--since"), rt.tz) if since else None)
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    if not rows:
        click.echo("no changes recorded")
        return
    click.echo(table(["at", "by", "action", "what", "changes"],
                     [(fmt_local(r.at), r.actor, r.action, f"{r.entity} {r.entity_id}", r.changes()) for r in rows],
                     max_width={3: 60, 4: 80}))
