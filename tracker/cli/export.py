"""tracker export csv|ics, tracker report html.

Only click is imported here at module level: the renderers (icalendar, Jinja2,
SQLAlchemy) load when a command runs, so ``tracker --help`` stays fast.
"""

from __future__ import annotations

import click

from tracker.cli.common import Env, pass_env

_OUTPUT = click.option("-o", "--output", "output", required=True, metavar="FILE",
                       help="Where to write (replaced atomically); '-' for standard output.")
_PLAN = click.option("--plan", "plan", metavar="ID", help="Only this plan (default: every plan).")


@click.group()
def export() -> None:
    """Export the store for other programs: the status table as CSV, deadlines
    as a calendar (iCalendar).

    \b
    Example:
      tracker export csv -o status.csv
      tracker export ics --unit hlhpn -o hlhpn.ics
    """


@export.command("csv")
@_PLAN
@_OUTPUT
@click.option("--columns", "columns", type=click.Choice(["vi", "raw"]), default="vi", show_default=True,
              help="vi: Vietnamese headers, periods in words, dates a spreadsheet reads; raw: the "
                   "`status --json` fields (for scripts).")
@pass_env
def export_csv(env: Env, plan: str | None, output: str, columns: str) -> None:
    """The status table as CSV, UTF-8 with a byte-order mark so spreadsheet
    programs show Vietnamese: Vietnamese headers and real dates, or with
    --columns raw the fields of `tracker status --json`.

    \b
    Example:
      tracker export csv --plan hn-2021-43 -o status.csv
      tracker --now 2021-06-03 export csv --columns raw -o - | head
    """
    from tracker.render.csv_export import render_csv
    from tracker.render.status_table import render_csv_vi
    from tracker.services.files import write_output
    from tracker.services.status import status

    rows = status(env.runtime(), env.now(), plan=plan)
    write_output(output, render_csv(rows) if columns == "raw" else render_csv_vi(rows))
    _done(output, f"{len(rows)} rows")


@export.command("xlsx")
@_PLAN
@_OUTPUT
@pass_env
def export_xlsx(env: Env, plan: str | None, output: str) -> None:
    """The status table as an Excel workbook: Vietnamese headers, periods in
    words, deadlines and submission times as date cells.

    \b
    Example:
      tracker export xlsx --plan hn-2021-43 -o tinh-hinh.xlsx
    """
    from tracker.render.status_table import render_xlsx
    from tracker.services.files import write_output
    from tracker.services.status import status

    rows = status(env.runtime(), env.now(), plan=plan)
    write_output(output, render_xlsx(rows))
    _done(output, f"{len(rows)} rows")


@export.command("ics")
@click.option("--unit", "unit", metavar="CODE", help="Only this unit's assignments (default: all units).")
@_PLAN
@_OUTPUT
@pass_env
def export_ics(env: Env, unit: str | None, plan: str | None, output: str) -> None:
    """Deadlines, windows and events as an iCalendar file (RFC 5545), with
    alarms at the reminder days. Event UIDs are stable, so importing again or
    refreshing a subscription updates events instead of duplicating them.

    To let a unit subscribe, regenerate the file on a timer (cron or a systemd
    timer) into a directory a web server publishes, and give the unit its URL.

    \b
    Example:
      tracker export ics --unit hlhpn -o /srv/www/lich/hlhpn.ics
      tracker export ics --plan hn-2021-43 -o all.ics
    """
    from tracker.services.reportdata import collect
    from tracker.render.ics import render_ics
    from tracker.services.files import write_output

    data = collect(env.runtime(), env.now(), plan=plan, unit=unit)
    write_output(output, render_ics(data))
    _done(output, f"{len(data.rows)} assignments")


@click.group()
def report() -> None:
    """Reports for people: a self-contained HTML page with charts.

    \b
    Example:
      tracker report html -o bao-cao.html
    """


@report.command("html")
@_PLAN
@click.option("--period", "period", metavar="PERIOD",
              help="The period view instead: the scorecard of 2025-Q1, 2025-H1, 2025 (as report scorecard -o FILE.html).")
@_OUTPUT
@pass_env
def report_html(env: Env, plan: str | None, period: str | None, output: str) -> None:
    """One self-contained page in Vietnamese (no network needed, fit to attach
    to an e-mail or print on A4): the on-time rate per unit, the year's
    deadlines, windows and events per unit, what is overdue, and the plan's
    source phrases.

    \b
    Example:
      tracker report html --plan hn-2021-43 -o bao-cao.html
      tracker --now 2021-06-10 report html -o bao-cao-10-6.html
      tracker report html --period 2025-Q1 -o quy-1.html
    """
    from tracker.services.files import write_output

    if period:
        from tracker.render.scorecard_html import render_scorecard_html
        from tracker.services.scorecard import scorecard

        card = scorecard(env.runtime(), env.now(), period, plan=plan)
        write_output(output, render_scorecard_html(card))
        _done(output, f"the period view of {card.period}, {len(card.units)} units")
        return
    from tracker.services.reportdata import collect
    from tracker.render.html_report import render_html

    data = collect(env.runtime(), env.now(), plan=plan)
    write_output(output, render_html(data))
    _done(output, f"{len(data.deadlines)} deadline assignments")


def _done(output: str, what: str) -> None:
    # Stdout may be the export itself; the confirmation goes to stderr then.
    if output != "-":
        click.echo(f"{output}: {what} written")


@report.command("scorecard")
@click.option("--period", "period", required=True, metavar="PERIOD",
              help="2025-Q1, 2025-H1, 2025 (also 2025-01, 2025-9M): reports due on its days.")
@_PLAN
@click.option("--json", "as_json", is_flag=True, help="Print JSON (units, obligations, total).")
@click.option("-o", "--output", "output", metavar="FILE",
              help="Write .xlsx, .csv or .html (replaced atomically) instead of printing a table.")
@pass_env
def report_scorecard(env: Env, period: str, plan: str | None, as_json: bool, output: str | None) -> None:
    """The scorecard of a period for the emulation review: per unit and per
    report, how many were expected, submitted, on time, late, missing and
    waived, the on-time rate and the rank. Before the period ends it is
    provisional (said on stderr, in the file and in the JSON).

    \b
    Example:
      tracker report scorecard --period 2025-Q1
      tracker report scorecard --period 2025 --plan bcdk-2025 -o xep-hang-2025.xlsx
      tracker report scorecard --period 2025-H1 --json
    """
    from tracker.core.errors import InputError

    suffix = output.rsplit(".", 1)[-1].lower() if output and "." in output else ""
    if output and suffix not in ("xlsx", "csv", "html"):
        raise InputError("write .xlsx, .csv or .html", output)
    from tracker.services.scorecard import scorecard

    card = scorecard(env.runtime(), env.now(), period, plan=plan)
    if card.provisional:
        click.echo(f"note: {card.words} ends on {card.end:%d/%m/%Y}: this scorecard is provisional", err=True)
    if as_json:
        from tracker.cli.common import emit_json

        emit_json(card.to_json())
    if output:
        from tracker.services.files import write_output

        if suffix == "xlsx":
            from tracker.render.scorecard_files import render_xlsx as render
        elif suffix == "csv":
            from tracker.render.scorecard_files import render_csv as render
        else:
            from tracker.render.scorecard_html import render_scorecard_html as render
        write_output(output, render(card))
        click.echo(f"{output}: {len(card.units)} units, {len(card.obligations)} reports written", err=as_json)
        return
    if not as_json:
        _print_scorecard(card)


def _print_scorecard(card) -> None:
    from tracker.cli.common import table
    from tracker.render.scorecard_html import percent

    click.echo(f"{card.words} ({card.start:%d/%m/%Y} - {card.end:%d/%m/%Y})"
               + (" — provisional" if card.provisional else ""))
    if card.units:
        click.echo(table(
            ["rank", "unit", "expected", "submitted", "on time", "late", "missing", "waived", "on-time rate"],
            [(line.rank or "-", line.key, c.expected, c.submitted, c.on_time, c.late, c.missing, c.waived,
              percent(c.on_time_rate)) for line in card.units for c in [line.counts]],
        ))
    t = card.total
    click.echo(f"{len(card.units)} units: {t.expected} expected, {t.on_time} on time, {t.late} late, "
               f"{t.missing} missing, {t.waived} waived, on-time rate {percent(t.on_time_rate)}")
