"""tracker units import|list."""

from __future__ import annotations

import click

from tracker.cli.common import Env, emit_json, pass_env, table


@click.group()
def units() -> None:
    """Responsible units: departments, committees, organisations.

    \b
    Example:
      tracker units import examples/units.csv
      tracker units list --json
    """


@units.command("import")
@click.argument("file", type=click.Path(dir_okay=False))
@pass_env
def import_(env: Env, file: str) -> None:
    """Import or update units from FILE (.csv with header
    code,name,email,head_email,kind,parent — several e-mails separated by ';' —
    or .yaml with a units: list). The whole file is checked before anything is
    written.

    \b
    Example:
      tracker units import examples/units.csv
    """
    from tracker.services.imports import import_units

    result = import_units(env.runtime(), file, env.now())
    click.echo(f"{file}: {result.summary('units')}")


@units.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_env
def list_(env: Env, as_json: bool) -> None:
    """List units.

    \b
    Example:
      tracker units list
    """
    from tracker.services.catalog import list_units

    rows = list_units(env.runtime())
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    click.echo(table(
        ["code", "name", "email", "head", "status"],
        [(r.code, r.name, "; ".join(r.emails), r.head_email or "", r.status) for r in rows],
        max_width={1: 48},
    ))
