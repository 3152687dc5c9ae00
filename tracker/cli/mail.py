"""tracker mail test, tracker outbox list|retry."""

from __future__ import annotations

import click

from tracker.cli.common import Env, emit_json, fmt_local, pass_env, table
from tracker.core.states import OutboxState


@click.group()
def mail() -> None:
    """Mail delivery: check the configured transport.

    \b
    Example:
      tracker mail test vanthu@sldtbxh.example.vn
    """


@mail.command("test")
@click.argument("address")
@pass_env
def test(env: Env, address: str) -> None:
    """Send one test message to ADDRESS through the configured transport
    (mail.transport) and print what the server answered, or the .eml file
    written. Needs no database.

    \b
    Example:
      tracker mail test vanthu@sldtbxh.example.vn
    """
    from tracker.services.mailtest import send_test_message

    click.echo(send_test_message(env.settings(), address, env.now()))


@click.group()
def outbox() -> None:
    """Queued, sent and failed messages.

    \b
    Example:
      tracker outbox list --state failed
      tracker outbox retry
    """


@outbox.command("list")
@click.option("--state", "state", type=click.Choice([s.value for s in OutboxState]),
              help="Only messages in this state.")
@click.option("--limit", type=click.IntRange(min=1), help="Only the newest N messages.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per message).")
@pass_env
def list_(env: Env, state: str | None, limit: int | None, as_json: bool) -> None:
    """Messages in the outbox, oldest first: state, attempts, recipients,
    next attempt or send time, and the last error.

    \b
    Example:
      tracker outbox list --state failed
    """
    from tracker.store.outbox import list_messages

    rt = env.runtime()
    with rt.store.read() as session:
        rows = list_messages(session, state, limit)
    if as_json:
        emit_json([message_json(r, rt.tz) for r in rows])
        return
    if not rows:
        click.echo("outbox is empty" if not state else f"no {state} messages")
        return
    tz = rt.tz

    def when(r) -> str:
        moment = r.sent_at if r.state == OutboxState.SENT else r.next_attempt_at if r.state == OutboxState.QUEUED else r.claimed_at
        return fmt_local(moment.astimezone(tz)) if moment else ""

    click.echo(table(
        ["id", "state", "tries", "to", "when", "subject", "problem"],
        [(r.id, r.state, r.attempts, ", ".join(r.to_addrs or []), when(r), r.subject,
          _problem(r)) for r in rows],
        max_width={3: 40, 5: 50, 6: 60},
    ))


def _problem(row) -> str:
    if row.failed_recipients:
        rejected = "rejected: " + ", ".join(row.failed_recipients)
        return rejected if row.state == OutboxState.SENT else f"{row.last_error or ''} [{rejected}]".strip()
    return row.last_error or ""


@outbox.command("retry")
@click.argument("ids", nargs=-1, type=int, metavar="[ID]...")
@click.option("--send", is_flag=True, help="Deliver them now instead of at the daemon's next tick.")
@pass_env
def retry(env: Env, ids: tuple[int, ...], send: bool) -> None:
    """Put failed messages back in the queue with a fresh set of attempts
    (every failed message when no ID is given). An unconfirmed message (the
    server's answer lost twice; it most likely arrived) is retried only by ID,
    with the same Message-ID.

    \b
    Example:
      tracker outbox retry
      tracker outbox retry 12 15 --send
    """
    from tracker.services.delivery import deliver_due
    from tracker.store.outbox import requeue

    rt = env.runtime()
    done = requeue(rt, env.now(), list(ids) or None)
    if not done:
        click.echo("no failed messages")
        return
    click.echo(f"requeued {len(done)} message{'s' if len(done) != 1 else ''}: {', '.join(map(str, done))}")
    if send:
        report = deliver_due(rt, env.now())
        click.echo(f"sent {report.sent}, retrying {report.retrying}, failed {report.failed}")
        for line in ([report.error] if report.error else []) + report.errors:
            click.echo(f"warning: {line}", err=True)


def message_json(row, tz) -> dict:
    """One row for ``tracker outbox list --json`` (local times, like every JSON shape)."""
    def local(value) -> str | None:
        return value.astimezone(tz).isoformat() if value else None

    return {
        "id": row.id, "key": row.key, "state": row.state, "recipient_unit": row.recipient_unit,
        "to": list(row.to_addrs or []), "cc": list(row.cc_addrs or []), "reply_to": list(row.reply_to or []),
        "subject": row.subject, "attempts": row.attempts, "next_attempt_at": local(row.next_attempt_at),
        "created_at": local(row.created_at), "sent_at": local(row.sent_at), "message_id": row.message_id,
        "last_error": row.last_error, "failed_recipients": list(row.failed_recipients or []),
        "items": row.items,
    }
