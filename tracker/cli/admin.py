"""tracker init."""

from __future__ import annotations

import click

from tracker.cli.common import Env, pass_env


@click.command()
@pass_env
def init(env: Env) -> None:
    """Create or upgrade the database to the newest migration. Idempotent.

    \b
    Example:
      tracker --db sqlite:///var/tracker.db init
    """
    from tracker.store.engine import redact
    from tracker.services.catalog import init_db

    rt = env.runtime(require_schema=False)
    before, after = init_db(rt)
    where = redact(rt.store.url)
    if before == after:
        click.echo(f"database {where} is up to date (revision {after})")
    else:
        click.echo(f"database {where} upgraded from {before or 'empty'} to revision {after}")
