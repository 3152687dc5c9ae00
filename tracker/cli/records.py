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
@click.argument("unit", required=False)
@click.argument("obligation", required=False)
@click.option("--plan", "plan", metavar="ID", help="The plan, when several share the obligation id.")
@click.option("--period", "period", metavar="P", help="The period (e.g. 2021); default: the open one "
              "with the nearest deadline.")
@click.option("--at", "at", metavar="DATETIME", help="When it arrived (ISO 8601; default now).")
@click.option("--note", "note", metavar="TEXT", help="A note kept with the submission.")
@click.option("--from", "from_file", metavar="FILE",
              help="Record many: a .csv/.txt/.xlsx with columns unit,obligation[,period,at,note,plan]; "
                   "checked in full first, all or nothing.")
@click.option("--encoding", "encoding", metavar="NAME", help="With --from: the file's encoding when detection cannot tell "
                   "(UTF-8, UTF-16 with a BOM and Windows-1258 are detected).")
@pass_env
def submit(env: Env, unit: str | None, obligation: str | None, plan: str | None, period: str | None,
           at: str | None, note: str | None, from_file: str | None, encoding: str | None) -> None:
    """Record that UNIT submitted OBLIGATION, or every submission listed in a
    file (--from).

    \b
    Example:
      tracker submit so-ldtbxh bao-cao-6-thang --period 2021 --at 2021-05-28T10:00
      tracker submit --from da-nhan-thang-5.xlsx
    """
    from tracker.core.errors import InputError
    from tracker.services.records import submit as run
    from tracker.services.runtime import parse_instant

    if from_file:
        if unit or obligation or at or note or period or plan:
            raise InputError("give either UNIT OBLIGATION or --from FILE (its rows carry period, at and note)",
                             "--from")
        from tracker.services.records import submit_from_file

        done = submit_from_file(env.runtime(), env.now(), from_file, encoding)
        if done.note:
            click.echo(f"{from_file}: {done.note}", err=True)
        for r in done:
            click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): {r.state} at {fmt_local(r.at)}")
        click.echo(f"{from_file}: {len(done)} submissions recorded")
        return
    if not unit or not obligation:
        raise click.UsageError("give UNIT and OBLIGATION, or --from FILE")

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
