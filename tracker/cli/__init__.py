"""The ``tracker`` command: a thin shell that parses, calls one service, prints.

Errors of ours (``TrackerError``) become one line on stderr and exit 1;
usage errors exit 2 (click); anything else is a bug, reported on one line
(set TRACKER_DEBUG=1 for the traceback).
"""

from __future__ import annotations

import gc
import importlib
import os
import sys

import click

from tracker.cli.common import Env

# name -> "module:attribute"; modules are imported only when their command runs
# (or when --help lists them: they import nothing heavy at module level).
COMMANDS = {
    "init": "tracker.cli.admin:init",
    "units": "tracker.cli.units:units",
    "plan": "tracker.cli.plan:plan",
    "status": "tracker.cli.status:status",
    "upcoming": "tracker.cli.status:upcoming",
    "submit": "tracker.cli.records:submit",
    "waive": "tracker.cli.records:waive",
    "extend": "tracker.cli.records:extend",
    "unsubmit": "tracker.cli.undo:unsubmit",
    "unwaive": "tracker.cli.undo:unwaive",
    "audit": "tracker.cli.undo:audit",
    "tick": "tracker.cli.scheduler:tick",
    "daemon": "tracker.cli.scheduler:daemon",
    "simulate": "tracker.cli.scheduler:simulate",
    "mail": "tracker.cli.mail:mail",
    "outbox": "tracker.cli.mail:outbox",
    "inbox": "tracker.cli.inbox:inbox",
    "export": "tracker.cli.export:export",
    "report": "tracker.cli.export:report",
    "accept": "tracker.cli.review:accept",
    "return": "tracker.cli.review:return_",
    "serve": "tracker.cli.web:serve",
}


class TrackerGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        target = COMMANDS.get(name)
        if target is None:
            return None
        module, attr = target.split(":")
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context):
        from tracker.core.errors import TrackerError

        try:
            return super().invoke(ctx)
        except TrackerError as exc:
            for line in str(exc).splitlines() or [type(exc).__name__]:
                click.echo(f"error: {line}", err=True)
            ctx.exit(1)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            ctx.exit(130)
        except BrokenPipeError:
            # `tracker status | head`: the reader has what it wanted; no error, and
            # nothing more written to the closed pipe when Python flushes at exit.
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())
            except (OSError, ValueError):
                pass
            ctx.exit(0)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except Exception as exc:  # a bug: say so on one line, traceback on request
            if os.environ.get("TRACKER_DEBUG"):
                raise
            detail = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(f"error: internal error ({type(exc).__name__}: {detail}); "
                       "rerun with TRACKER_DEBUG=1 for details", err=True)
            ctx.exit(1)


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config", metavar="PATH",
              help="Config file (else $TRACKER_CONFIG, else ./config/tracker.toml, else built-in defaults).")
@click.option("--db", "db", metavar="URL",
              help="SQLAlchemy database URL (else $TRACKER_DATABASE_URL, else the config's).")
@click.option("--now", "now", metavar="DATETIME",
              help="Act as if it were this instant (ISO 8601; no offset = the configured time zone).")
@click.version_option(package_name="tracker", prog_name="tracker")
@click.pass_context
def cli(ctx: click.Context, config: str | None, db: str | None, now: str | None) -> None:
    """Compliance deadline tracker: reminds each responsible unit before its
    deadlines and escalates what is overdue.

    \b
    Example:
      tracker init
      tracker units import examples/units.csv
      tracker plan import examples/hn-2021-43.yaml
      tracker status --state overdue
    """
    ctx.obj = Env(config, db, now)
    ctx.call_on_close(ctx.obj.close)  # the database connections are closed, not left to exit


def run(args: list[str] | None = None) -> int:
    """Run one command (``args``, else the process's arguments); its exit status."""
    try:
        cli.main(args=args, prog_name="tracker")
    except SystemExit as exc:
        if isinstance(exc.code, str):
            click.echo(exc.code, err=True)
            return 1
        return exc.code or 0
    return 0


def tune_collector() -> None:
    """Collect young garbage every 20,000 allocations instead of 700: start-up
    creates ~150,000 long-lived objects (modules, SQLAlchemy's constructs) that
    the default walks over again and again (40 ms of a 0.9 s tick measured).
    Cycles are still collected, only less often."""
    gc.set_threshold(20_000, 10, 10)


def main() -> None:
    """The console script. A command's process ends right after its work: the
    interpreter's teardown would free every SQLAlchemy object one by one (60 ms
    measured, 7 % of a tick), for memory the OS takes back anyway. The database
    connections are closed by then (``Env.close``) and output is flushed here;
    the daemon has stopped its scheduler before ``run`` returns."""
    tune_collector()
    code = run()
    import logging

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):  # `tracker status | head`: the reader left
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
