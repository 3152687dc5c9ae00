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
@click.option("--encoding", "encoding", metavar="NAME",
              help="The file's encoding when detection cannot tell (UTF-8, UTF-16 with a BOM and "
                   "Windows-1258 Vietnamese are detected), e.g. cp1252.")
@pass_env
def import_(env: Env, file: str, encoding: str | None) -> None:
    """Import or update units from FILE: a table with header
    code,name,email,head_email,kind,parent (several e-mails separated by ';')
    as Excel saves it — .csv (comma or semicolon), .txt (Unicode Text:
    tab-separated), .xlsx — or .yaml with a units: list. UTF-8, UTF-16 and
    Windows-1258 (Vietnamese) are detected, and a line says how a file that
    was not UTF-8 was read. The whole file is checked before anything is
    written, and every problem is listed.

    \b
    Example:
      tracker units import examples/units.csv
      tracker units import don-vi.csv --encoding cp1252
    """
    from tracker.services.imports import import_units

    result = import_units(env.runtime(), file, env.now(), encoding=encoding)
    if result.note:
        click.echo(f"{file}: {result.note}", err=True)
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
        [(r.code, r.name, "; ".join(r.emails), r.head_email or "",
          r.status + (f" (bouncing: {', '.join(r.bouncing)})" if r.bouncing else "")) for r in rows],
        max_width={1: 48},
    ))


@units.command("retire")
@click.argument("code")
@click.option("--merged-into", "merged_into", metavar="CODE", help="The unit that absorbed it.")
@click.option("--waive", "waive_open", is_flag=True,
              help="Waive its open assignments instead of handing them to --merged-into.")
@click.option("--yes", "yes", is_flag=True, help="Do not ask for confirmation (scripts).")
@pass_env
def retire(env: Env, code: str, merged_into: str | None, waive_open: bool, yes: bool) -> None:
    """Retire unit CODE (merged, dissolved) without losing its history. Its open
    assignments go to the unit it merged into, or are waived.

    \b
    Example:
      tracker units retire phong-ldtbxh-quan --merged-into phong-noi-vu-quan --yes
    """
    import sys

    from tracker.core.errors import InputError
    from tracker.services.units import retire as run

    if not yes:
        if not sys.stdin.isatty():
            raise InputError("retiring a unit needs confirmation: add --yes (not a terminal)", "--yes")
        what = f"into {merged_into}" if merged_into else "and waive its open work"
        if not click.confirm(f"Retire {code} {what}?", default=False):
            click.echo("nothing changed")
            return
    r = run(env.runtime(), env.now(), code, merged_into=merged_into, hand_over=not waive_open)
    target = f" into {r.merged_into}" if r.merged_into else ""
    why = f" ({r.already_had} because {r.merged_into} already has that work)" if r.already_had else ""
    click.echo(f"{r.unit} retired{target}: {r.handed_over} open assignments handed over, {r.waived} waived{why}")


@units.command("restore")
@click.argument("code")
@pass_env
def restore(env: Env, code: str) -> None:
    """Bring a retired unit back: it is active again and the work waived
    because it was retired is open again (work handed to another unit stays there).

    \b
    Example:
      tracker units restore ctk
    """
    from tracker.services.undo import restore as run

    r = run(env.runtime(), env.now(), code)
    click.echo(f"{r.unit} restored: {r.reopened} assignments open again")


@units.command("link")
@click.argument("code")
@click.option("--rotate", is_flag=True, help="Make a new link; every older link of the unit stops working (404).")
@click.option("--page", type=click.Choice(["unit", "coordinator"]),
              help="Which page (default: coordinator for a unit that coordinates a plan, else unit).")
@pass_env
def link(env: Env, code: str, rotate: bool, page: str | None) -> None:
    """Print the signed link of unit CODE's page ([web] base_url + /u/TOKEN),
    or, for a coordinator, of its coordinator page (/c/TOKEN). Digests to the
    unit carry the same link when [web] base_url is set.

    \b
    Example:
      tracker units link so-ldtbxh
      tracker units link so-ldtbxh --rotate
    """
    from tracker.services.links import unit_link

    r = unit_link(env.runtime(), env.now(), code, rotate=rotate, page=page)
    if rotate:
        click.echo(f"{r.unit}: older links revoked (now version {r.version})", err=True)
    click.echo(r.url)
