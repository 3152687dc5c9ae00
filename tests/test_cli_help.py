"""Every command has help with an example, and --help stays light."""

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from tracker.cli import COMMANDS, cli


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
        "from tracker.cli import main\n"
        "sys.argv = ['tracker', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'alembic', 'apscheduler', 'yagmail', 'jinja2', 'holidays') "
        "if m in sys.modules]\n"
        "print('HEAVY', heavy)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().endswith("HEAVY []")


def test_unknown_command_is_a_usage_error():
    result = CliRunner().invoke(cli, ["frobnicate"])
    assert result.exit_code == 2
