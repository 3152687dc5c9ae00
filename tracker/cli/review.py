"""tracker accept, tracker return: the coordinator's answer to a unit's own submission."""

from __future__ import annotations

import click

from tracker.cli.common import Env, fmt_local, pass_env
from tracker.cli.records import _with_common


@click.command()
@_with_common
@pass_env
def accept(env: Env, unit: str, obligation: str, plan: str | None, period: str | None) -> None:
    """Accept what UNIT sent for OBLIGATION (on its page or by mail): the
    assignment is done, on time or late by its first submission.

    \b
    Example:
      tracker accept so-ldtbxh bao-cao-6-thang --period 2021
    """
    from tracker.services.submissions import accept as run

    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): accepted, {r.state} "
               f"(sent {fmt_local(r.at)}, due {fmt_local(r.due)})")


@click.command("return")
@_with_common
@click.option("--reason", required=True, metavar="TEXT", help="Why (the unit receives it by mail).")
@pass_env
def return_(env: Env, unit: str, obligation: str, plan: str | None, period: str | None, reason: str) -> None:
    """Return what UNIT sent for OBLIGATION, with the reason: the assignment is
    open again, the unit gets a message saying why, and reminders and
    escalation resume where the deadline puts them. A report already accepted
    can be returned too (without --period: the one waiting nearest its
    deadline, else the accepted one).

    \b
    Example:
      tracker return so-ldtbxh bao-cao-6-thang --period 2021 --reason "Thiếu số liệu quý II"
    """
    from tracker.services.submissions import return_ as run

    r = run(env.runtime(), env.now(), unit, obligation, plan=plan, period=period, reason=reason)
    click.echo(f"{r.unit} {r.obligation} ({r.plan}, {r.period}): returned, open again "
               f"({r.state}, due {fmt_local(r.due)}); the unit is told by the next delivery")
