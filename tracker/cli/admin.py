"""tracker init."""

from __future__ import annotations

import click

from tracker.cli.common import Env, pass_env


@click.command()
@pass_env
def init(env: Env) -> None:
    """Create or upgrade the database to the newest migration, and create the
    web server's secret ([web] secret_file, mode 0600) unless TRACKER_WEB_SECRET
    is set or the file exists. Idempotent.

    \b
    Example:
      tracker --db sqlite:///var/tracker.db init
    """
    from tracker.store.engine import normalise_url, redact, sqlite_path
    from tracker.services.catalog import init_db

    try:
        path = sqlite_path(normalise_url(env.database_url()))
    except Exception:  # not a URL: the store's own error says so below
        path = None
    new_folder = path is not None and not path.parent.exists()
    new_file = path is not None and not path.exists()
    rt = env.runtime(require_schema=False)
    before, after = init_db(rt)
    where = redact(rt.store.url)
    if new_file:
        folder = f" and its folder {path.parent}" if new_folder else ""
        click.echo(f"created a new store {path}{folder}")
    if before == after:
        click.echo(f"database {where} is up to date (revision {after})")
    else:
        click.echo(f"database {where} upgraded from {before or 'empty'} to revision {after}")
    from tracker.services.links import ensure_secret_file

    made = ensure_secret_file(env.settings())
    if made is not None:
        click.echo(f"web secret created in {made} (mode 0600; keep it out of backups you share)")
