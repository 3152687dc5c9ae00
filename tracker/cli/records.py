"""tracker submit, waive, extend: what coordinators record about one assignment."""

from __future__ import annotations

import click

from tracker.cli.common import Env, fmt_local, pass_env

_common = [
    click.argument("unit"),
    click.argument("obligation"),
    click.option("--plan", "plan", metavar="ID", help="The plan, when several share the obligation id."),
    click.option("--period", "period", metavar="P", help="The period (e.g. 2021); default: the open one "
                 "with the nearest deadline."),
]


def _with_common(f):
    for decorator in reversed(_common):
        f = decorator(f)
    return f


@click.command()
@_with_common
@click.option("--at", "at", metavar="DATETIME", help="When it arrived (ISO 8601; default now).")
@click.option("--note", "note", metavar="TEXT", help="A note kept with the submission.")
@pass_env
def submit(env: Env, unit: str, obligation: str, plan: str | None, period: str | None, at: str | None,
           note: str | None) -> None:
    """Record that UNIT submitted OBLIGATION.

    \b
    Example:
      tracker submit so-ldtbxh bao-cao-6-thang --period 2021 --at 2021-05-28T10:00
    """
    from tracker.services.records import submit as run
    from tracker.services.runtime import parse_instant

    when = parse_instant(at, env.settings().tz, "--at") if at else None
    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period, at=when, note=note)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): {r.state} at {fmt_local(r.at)}, "
               f"due {fmt_local(r.due)}")


@click.command()
@_with_common
@click.option("--reason", required=True, metavar="TEXT", help="Why the unit is excused (kept in the audit log).")
@pass_env
def waive(env: Env, unit: str, obligation: str, plan: str | None, period: str | None, reason: str) -> None:
    """Excuse UNIT from one assignment of OBLIGATION.

    \b
    Example:
      tracker waive ubnd-quan-huyen bao-cao-6-thang --period 2021 --reason "merged into UBND TP"
    """
    from tracker.services.records import waive as run

    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period, reason=reason)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): waived")


@click.command()
@_with_common
@click.option("--until", "until", required=True, metavar="DATE",
              help="The new last day (d/m/yyyy or yyyy-mm-dd); the deadline is its end.")
@click.option("--reason", required=True, metavar="TEXT", help="Why (kept in the audit log).")
@pass_env
def extend(env: Env, unit: str, obligation: str, plan: str | None, period: str | None, until: str,
           reason: str) -> None:
    """Grant UNIT a later deadline for one assignment of OBLIGATION; reminders
    and escalation follow the new date.

    \b
    Example:
      tracker extend so-yte bao-cao-nam --period 2021 --until 2021-12-10 --reason "data delayed"
    """
    from tracker.core.schedule import end_of_day
    from tracker.services.records import extend as run
    from tracker.services.runtime import parse_day

    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period,
            until=end_of_day(parse_day(until, "--until"), env.settings().tz), reason=reason)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): due {fmt_local(r.due)} ({r.state})")
