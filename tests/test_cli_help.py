"""Every command has help with an example, and --help stays light."""

import json
import os
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tests.conftest import EXAMPLES
from tracker.cli import cli


def all_command_paths():
    ctx = click.Context(cli)
    paths = []
    for name in cli.list_commands(ctx):
        command = cli.get_command(ctx, name)
        paths.append([name])
        if isinstance(command, click.Group):
            paths.extend([name, sub] for sub in command.list_commands(ctx))
    return paths


@pytest.mark.parametrize("path", all_command_paths(), ids=" ".join)
def test_every_command_has_help_with_an_example(path):
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output


def test_contract_commands_exist():
    names = {" ".join(p) for p in all_command_paths()}
    assert {"init", "units import", "units list", "plan import", "plan list", "status", "upcoming", "submit",
            "waive", "extend"} <= names


def test_help_imports_neither_sqlalchemy_nor_the_database():
    code = (
        "import sys\n"
        "from tracker.cli import run\n"
        "run(['--help'])\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'apscheduler', 'yagmail', 'jinja2', 'holidays') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("HEAVY []")


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2


def _tracker(*args: str, cwd) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    return subprocess.run([sys.executable, "-m", "tracker", *args], capture_output=True, text=True, cwd=cwd, env=env)


def test_a_command_process_prints_everything_and_exits_with_its_status(tmp_path):
    # The process skips the interpreter's teardown (tracker.cli.main): output
    # must still be complete and the exit status the command's.
    db = f"sqlite:///{tmp_path}/t.db"
    assert _tracker("--db", db, "init", cwd=tmp_path).returncode == 0
    imported = _tracker("--db", db, "units", "import", str(EXAMPLES / "units.csv"), cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr
    listed = _tracker("--db", db, "units", "list", "--json", cwd=tmp_path)
    assert (listed.returncode, listed.stderr) == (0, "")
    assert len(json.loads(listed.stdout)) == 15
    missing = _tracker("--db", db, "submit", "nope", "ke-hoach", cwd=tmp_path)
    assert (missing.returncode, missing.stdout) == (1, "")
    assert missing.stderr == "error: unknown unit 'nope' (see `tracker units list`)\n"
    usage = _tracker("--db", db, "frobnicate", cwd=tmp_path)
    assert usage.returncode == 2
