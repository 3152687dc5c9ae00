"""tracker inbox fetch|list|show|assign|dismiss: the office mailbox and its review queue."""

from __future__ import annotations

import click

from tracker.cli.common import Env, emit_json, fmt_local, pass_env, table


@click.group()
def inbox() -> None:
    """The office mailbox ([inbound] in the config): replies to reminders record
    submissions, bounces mark addresses, the rest waits in the review queue.

    \b
    Example:
      tracker inbox fetch
      tracker inbox list
      tracker inbox assign 12 so-y-te bao-cao-6-thang --period 2021
    """


@inbox.command("fetch")
@pass_env
def fetch(env: Env) -> None:
    """Read the mailbox once now (the daemon does it at every pass).

    \b
    Example:
      tracker inbox fetch
    """
    from tracker.services.inbox import fetch as run

    report = run(env.runtime(), env.now())
    click.echo(report.summary())
    for error in report.errors:
        click.echo(f"warning: {error}", err=True)


@inbox.command("list")
@click.option("--all", "all_states", is_flag=True, help="Every message read, not only those waiting for review.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_env
def list_(env: Env, all_states: bool, as_json: bool) -> None:
    """The review queue: messages the tracker could not record on its own.

    \b
    Example:
      tracker inbox list --json
    """
    from tracker.services.inbox import queue

    rt = env.runtime()
    entries = queue(rt, all_states=all_states)
    if as_json:
        emit_json([e.to_json(rt.tz) for e in entries])
        return
    if not entries:
        click.echo("the review queue is empty" if not all_states else "no message read yet")
        return
    click.echo(table(
        ["id", "received", "from", "unit", "state", "reason"],
        [(e.id, fmt_local(e.received_at.astimezone(rt.tz)), e.from_addr or "", e.unit or "", e.state,
          e.reason or "") for e in entries],
        max_width={2: 32, 5: 60},
    ))


@inbox.command("show")
@click.argument("inbox_id", metavar="ID", type=int)
@pass_env
def show(env: Env, inbox_id: int) -> None:
    """One message: who sent it, what it answers, why it waits, its files.

    \b
    Example:
      tracker inbox show 12
    """
    from tracker.services.inbox import show as run

    rt = env.runtime()
    e = run(rt, inbox_id)
    lines = [f"id: {e.id}", f"state: {e.state}", f"kind: {e.kind}",
             f"received: {fmt_local(e.received_at.astimezone(rt.tz))}", f"from: {e.from_addr or ''}",
             f"subject: {e.subject or ''}", f"unit: {e.unit or ''}",
             f"answers: outbox {e.outbox_id}" if e.outbox_id else "answers: -", f"reason: {e.reason or ''}"]
    for f in (e.detail or {}).get("files", []):
        lines.append(f"file: {f['name']} ({f['size']} bytes, sha256 {f['sha256']})")
    click.echo("\n".join(lines))


@inbox.command("assign")
@click.argument("inbox_id", metavar="ID", type=int)
@click.argument("unit")
@click.argument("obligation")
@click.option("--period", "period", metavar="P", help="The period (e.g. 2021); default: the open one with the "
              "nearest deadline.")
@click.option("--plan", "plan", metavar="ID", help="The plan, when several share the obligation id.")
@pass_env
def assign(env: Env, inbox_id: int, unit: str, obligation: str, period: str | None, plan: str | None) -> None:
    """Record message ID as UNIT's submission of OBLIGATION (at the time it arrived).

    \b
    Example:
      tracker inbox assign 12 so-y-te bao-cao-6-thang --period 2021
    """
    from tracker.services.inbox import assign as run

    r = run(env.runtime(), env.now(), inbox_id, unit, obligation, period=period, plan=plan)
    click.echo(f"inbox {inbox_id}: {r.unit} {r.obligation} ({r.plan}, {r.period}): {r.state} at {fmt_local(r.at)}")


@inbox.command("dismiss")
@click.argument("inbox_id", metavar="ID", type=int)
@pass_env
def dismiss(env: Env, inbox_id: int) -> None:
    """Take message ID out of the review queue without recording anything.

    \b
    Example:
      tracker inbox dismiss 12
    """
    from tracker.services.inbox import dismiss as run

    run(env.runtime(), env.now(), inbox_id)
    click.echo(f"inbox {inbox_id}: dismissed")
