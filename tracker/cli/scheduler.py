"""tracker tick, tracker daemon, tracker simulate: the scheduler's commands.

Only click at module level: ``--help`` must not import SQLAlchemy or APScheduler.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

import click

from tracker.cli.common import Env, emit_json, pass_env


@click.command()
@click.option("--dry-run", is_flag=True, help="Decide and print, but write nothing (the transaction is rolled back).")
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON instead of the summary.")
@pass_env
def tick(env: Env, dry_run: bool, as_json: bool) -> None:
    """One scheduler pass now: materialise assignments up to the horizon, decide
    which reminder and escalation stages are due, record them, enqueue one digest
    per recipient and hand the outbox to the mail transport.

    Running it twice at the same instant decides nothing new. Exits 1 when
    something could not be decided, or when every delivery it tried failed.

    \b
    Example:
      tracker tick
      tracker --now 2021-05-24T08:00 tick --dry-run --json
    """
    from tracker.daemon import setup_logging
    from tracker.services.tick import tick as run

    setup_logging(level=logging.WARNING)  # a bad assignment is logged on one line, the pass goes on
    rt = env.runtime()
    # Decisions are printed batch by batch, as they are committed: a pass after a
    # mass import decides hundreds of thousands, and none of them is kept.
    first = [True]

    def write(text: str) -> None:
        click.echo(text, nl=False)

    def show(rows) -> None:
        if as_json and rows:
            write(("" if first[0] else ",\n")
                  + ",\n".join("    " + json.dumps(d.to_json(rt.tz), ensure_ascii=False) for d in rows))
            first[0] = False
        elif dry_run:
            write("".join(
                f"{d.outcome:7} {d.stage:16} {d.plan}/{d.obligation} {d.unit} {d.period}"
                f"{'  -> ' + ', '.join(d.recipients) if d.recipients else '  (' + d.reason + ')'}\n" for d in rows))

    if as_json:
        write('{\n  "decisions": [\n')
    result = run(rt, env.now(), dry_run=dry_run, on_decisions=show, decision_rows=as_json or dry_run)
    failed = result.delivery_failed  # cron and monitoring must see it: every attempt of this pass failed
    if as_json:
        delivery = json.dumps(result.delivery.to_json() if result.delivery is not None else None, ensure_ascii=False)
        write(f"\n  ],\n  \"delivery\": {delivery},\n  \"delivery_failed\": {json.dumps(failed)},\n"
              f"  \"summary\": {json.dumps(result.summary(rt.tz), ensure_ascii=False)}\n}}\n")
    else:
        click.echo(result.summary(rt.tz))
        if failed:
            click.echo("error: delivery failed for every message it tried; they stay queued (see the log)", err=True)
    if not result.decided and env.now_text:
        from tracker.services.status import last_decision_at

        last = last_decision_at(rt)
        if last is not None and last > env.now():
            # A replay of the past: what a later pass decided stays decided, once.
            click.echo(f"note: nothing decided: the store's last pass decided at "
                       f"{last.astimezone(rt.tz):%Y-%m-%d %H:%M}, after --now; each stage is decided once, "
                       "so a replay before it decides nothing (use `tracker simulate` to preview the past)",
                       err=True)
    if result.errors or failed:
        raise SystemExit(1)


@click.command()
@pass_env
def daemon(env: Env) -> None:
    """Run the scheduler in the foreground until SIGTERM or SIGINT (for systemd):
    one pass at start-up, then one every [schedule] tick_minutes. Each pass logs
    one line to stderr. On SQLite only one daemon may run per database file.

    \b
    Example:
      tracker --config /etc/tracker/tracker.toml daemon
    """
    from tracker.daemon import run_daemon

    # The schema is checked by the daemon itself, which waits for a database that is down.
    raise SystemExit(run_daemon(env.runtime(require_schema=False), clock=_clock(env)))


def _clock(env: Env):
    """The daemon's clock. With --now it starts at that instant and runs on (replays, tests)."""
    if not env.now_text:
        return None
    import time

    origin, started = env.now(), time.monotonic()
    return lambda: origin + timedelta(seconds=time.monotonic() - started)


@click.command()
@click.option("--from", "start", required=True, metavar="DATE", help="First day (yyyy-mm-dd or d/m/yyyy; or a time).")
@click.option("--to", "end", required=True, metavar="DATE", help="Last day, included (or a time).")
@click.option("--json", "as_json", is_flag=True, help="JSON: an array of one object per message, in send order.")
@click.option("--jsonl", "as_jsonl", is_flag=True, help="JSON Lines: one object per message and line, in send order.")
@pass_env
def simulate(env: Env, start: str, end: str, as_json: bool, as_jsonl: bool) -> None:
    """Every message the scheduler would send, day by day, from the current
    store, as if the daemon ran from --from and nobody submitted anything more.
    Sends nothing, writes nothing. Printed as it goes (a year of a national
    store is hundreds of thousands of messages; none is kept in memory).

    \b
    Example:
      tracker simulate --from 2021-05-01 --to 2021-06-30
      tracker simulate --from 2021-01-01 --to 2021-12-31 --json > year.json
      tracker simulate --from 2021-01-01 --to 2021-12-31 --jsonl | grep '"sldtbxh"'
    """
    from tracker.services.simulate import simulate as run

    rt = env.runtime()
    first, last = _instant(start, rt.tz, "--from", end_of_day=False), _instant(end, rt.tz, "--to", end_of_day=True)
    messages = run(rt, first, last)
    if as_json or as_jsonl:
        _stream_json(messages, rt.tz, lines=as_jsonl)
        return
    day = None
    count = items = 0
    recipients: set[str | None] = set()
    for m in messages:
        local = m.at.astimezone(rt.tz)
        if local.date() != day:
            day = local.date()
            click.echo(f"\n{local:%a %Y-%m-%d}" if count else f"{local:%a %Y-%m-%d}")
        who = m.digest.recipient_unit or "leadership"
        cc = f"  cc {', '.join(m.digest.cc)}" if m.digest.cc else ""
        lines = [f"  {local:%H:%M}  to {who} <{', '.join(m.digest.to)}>{cc}", f"         {m.subject}"]
        lines += [f"         - {i.stage:16} {i.plan}/{i.obligation}  {i.unit}  {i.period}  "
                  f"due {i.due_at.astimezone(rt.tz):%Y-%m-%d %H:%M}" for i in m.items()]
        click.echo("\n".join(lines))
        count += 1
        items += len(m.digest.items)
        recipients.add(m.digest.recipient_unit)
    click.echo(f"{'' if not count else chr(10)}{count} messages to {len(recipients)} recipients, "
               f"{items} items, {first.astimezone(rt.tz):%Y-%m-%d} to {last.astimezone(rt.tz):%Y-%m-%d}")


def _stream_json(messages, tz, *, lines: bool) -> None:
    """One message at a time: JSON Lines, or an array written element by element."""
    if lines:
        for m in messages:
            click.echo(json.dumps(m.to_json(tz), ensure_ascii=False))
        return
    click.echo("[", nl=False)
    first = True
    for m in messages:
        text = json.dumps(m.to_json(tz), ensure_ascii=False, indent=2).replace("\n", "\n  ")
        click.echo(("\n  " if first else ",\n  ") + text, nl=False)
        first = False
    click.echo("\n]" if not first else "]")


def _instant(text: str, tz, what: str, *, end_of_day: bool) -> datetime:
    """A date means its first (--from) or last (--to) second in the configured time zone."""
    from tracker.core.schedule import end_of_day as eod, start_of_day
    from tracker.services.runtime import parse_day, parse_instant

    if "T" in text or " " in text.strip():
        return parse_instant(text, tz, what)
    day = parse_day(text, what)
    return eod(day, tz) if end_of_day else start_of_day(day, tz)
