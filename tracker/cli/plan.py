"""tracker plan import|list|extract."""

from __future__ import annotations

import click

from tracker.cli.common import Env, emit_json, pass_env, table


@click.group()
def plan() -> None:
    """Plans: the annual documents that assign obligations to units.

    \b
    Example:
      tracker plan import examples/hn-2021-43.yaml
      tracker plan list
    """


@plan.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_env
def import_(env: Env, file: str) -> None:
    """Import or update a plan file (YAML). Re-importing the same file changes
    nothing; a changed file updates what changed and keeps every submission.
    Every problem of the file, unknown units included, is listed in one run.
    A Word document or PDF is named, with the plan extract command to run.

    \b
    Example:
      tracker plan import examples/hn-2021-43.yaml
    """
    from tracker.services.imports import import_plan

    result = import_plan(env.runtime(), file, env.now())
    if result.note:
        click.echo(f"{file}: {result.note}", err=True)
    click.echo(f"{file}: {result.summary('plans')}")


@plan.command("show")
@click.argument("plan_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@pass_env
def show(env: Env, plan_id: str, as_json: bool) -> None:
    """Show one plan: its number and date, validity, own units, and each
    obligation with its id, date rule, periods and responsible units.

    \b
    Example:
      tracker plan show hn-2021-43
    """
    from tracker.services.planview import show_plan

    view = show_plan(env.runtime(), plan_id)
    if as_json:
        emit_json(view.to_json())
        return
    ref = " ".join(x for x in (view.number and f"số {view.number}",
                               view.issued_on and f"ngày {view.issued_on:%d/%m/%Y}") if x)
    click.echo(f"{view.id}: {view.title}")
    click.echo(f"  issued by {view.issuer}{f' ({ref})' if ref else ''}; coordinator {view.coordinator}")
    span = (f"{view.year}-{view.valid_until.year}, multi-year" if view.multi_year else str(view.year))
    click.echo(f"  valid until {view.valid_until:%Y-%m-%d} ({span})")
    click.echo(f"  units ({len(view.units)}): {', '.join(view.units) or 'none'}")
    rows = [(o.id + (" (removed)" if o.retired else ""), o.kind, o.rule, o.recurrence, _span(o.periods),
             len(o.units), o.responsible, o.title) for o in view.obligations]
    click.echo(table(["obligation", "kind", "date", "recurrence", "periods", "units", "responsible", "title"],
                     rows, max_width={2: 30, 6: 30, 7: 50}))


def _span(periods: tuple[str, ...]) -> str:
    if not periods:
        return "none yet"
    return periods[0] if len(periods) == 1 else f"{periods[0]} .. {periods[-1]} ({len(periods)})"


@plan.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """List plans with their obligation and assignment counts.

    \b
    Example:
      tracker plan list --json
    """
    from tracker.services.catalog import list_plans

    rows = list_plans(env.runtime())
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    click.echo(table(
        ["id", "number", "year", "coordinator", "obligations", "assignments", "title"],
        [(r.id, r.number or "", r.year, r.coordinator, r.obligations, r.assignments, r.title) for r in rows],
        max_width={6: 60},
    ))


@plan.command("extract")
@click.argument("doc", type=click.Path(dir_okay=False))
@click.option("-o", "--output", "output", metavar="FILE", help="Write the draft here instead of stdout.")
@click.option("--id", "plan_id", metavar="ID", help="The plan id to use (default: derived from the document).")
@click.option("--units", "units_file", metavar="FILE",
              help="Known units (.csv or .yaml unit file) to match the document's unit names to "
                   "(default: the units in the store, when there is one).")
@pass_env
def extract(env: Env, doc: str, output: str | None, plan_id: str | None, units_file: str | None) -> None:
    """Draft a plan file from a plan document (Vietnamese; .docx, .pdf with a
    text layer, .txt, or .doc when LibreOffice is installed) for a person to
    review: header, deadlines, windows, events, quarterly items and responsible
    units. Unit names are matched to the known units (--units FILE, else the
    store's), whose codes and e-mail addresses the draft then carries; what
    the extractor is unsure of, and every unit it could not match, is listed
    under review:.

    \b
    Example:
      tracker plan extract ke-hoach-43.docx --units units.csv -o hn-2021-43.yaml
    """
    from tracker.extract import extract_plan, render_yaml
    from tracker.extract.unitmatch import match_units
    from tracker.services.documents import load_document, units_from_file, units_in_store
    from tracker.services.files import write_output

    reading = load_document(doc)
    if units_file:
        known, source = units_from_file(units_file), units_file
    else:
        known, source = units_in_store(env.database_url(), env.runtime), "the store"
    draft = extract_plan(reading.text, plan_id=plan_id)
    if reading.notes:
        draft["review"] = reading.notes + list(draft.get("review") or [])
    if known:
        draft = match_units(draft, known, source)
    text = render_yaml(draft)
    if output in (None, "-"):
        click.echo(text, nl=False)
        return
    write_output(output, text.encode("utf-8"))
    counts = {k: len(draft.get(k) or []) for k in ("obligations", "units", "review")}
    click.echo(f"{output}: draft with {counts['obligations']} obligations, {counts['units']} units, "
               f"{counts['review']} points to review")
