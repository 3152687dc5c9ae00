"""tracker serve: the units' and the coordinator's pages.

Starlette and uvicorn are imported inside the command: ``--help`` stays fast.
"""

from __future__ import annotations

import click

from tracker.cli.common import Env, pass_env


@click.command()
@click.option("--host", metavar="HOST", help="Address to listen on (default: [web] host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, 8080).")
@click.option("--fd", type=click.IntRange(min=0), help="Serve on this inherited listening socket instead "
              "(systemd socket activation: 3).")
@pass_env
def serve(env: Env, host: str | None, port: int | None, fd: int | None) -> None:
    """Serve the web pages: each unit's signed page (/u/TOKEN) where it
    confirms a report and uploads its file, and the coordinator's page (/c/TOKEN)
    to accept or return them. Runs in the foreground (for systemd), behind the
    office's reverse proxy for HTTPS. With --now, pages act as of that instant
    (the clock then runs on from it).

    \b
    Example:
      tracker serve
      tracker --config /etc/tracker/tracker.toml serve --port 8080
    """
    from tracker.cli.scheduler import _clock
    from tracker.web.server import run_server

    rt = env.runtime()
    settings = env.settings()
    raise SystemExit(run_server(rt, host or settings.web.host, port or settings.web.port, clock=_clock(env), fd=fd))
