"""The documentation is the contract and lives in the repository: every command
has a row in the README's command table and in docs/cli.md, every configuration
key is in docs/config.md, and no link of the README leaves the repository."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from tests.test_cli_help import all_command_paths
from tracker.config import _SECTIONS

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
COMMANDS = [" ".join(p) for p in all_command_paths()]
GROUPS = {p[0] for p in all_command_paths() if len(p) == 2}


def _command_rows(text: str) -> str:
    """The first cells of the table rows that name a command (`tracker …`)."""
    return "\n".join(line.split("|")[1] for line in text.splitlines()
                     if line.startswith("| `tracker ") or line.startswith("| `"))


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in GROUPS])
def test_every_command_has_a_row_in_the_readme_and_in_docs_cli(command):
    pattern = re.compile(r"`(tracker )?" + re.escape(command) + r"( |`)")
    readme_rows = _command_rows(README)
    # A group's subcommands may share one row: `units import FILE` / `units list`.
    found = pattern.search(readme_rows) or re.search(
        r"`" + re.escape(command.split()[-1]) + r"( |`)", "\n".join(
            row for row in readme_rows.splitlines() if f"{command.split()[0]} " in row))
    assert found, f"README's command table has no row for 'tracker {command}'"
    cli_md = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert pattern.search(_command_rows(cli_md)), f"docs/cli.md has no row for 'tracker {command}'"


def test_every_configuration_key_is_in_docs_config():
    text = (REPO / "docs" / "config.md").read_text(encoding="utf-8")
    missing = []
    for section, cls in _SECTIONS.items():
        part = text.split(f"## [{section}]", 1)
        if len(part) == 1:
            missing.append(f"[{section}]")
            continue
        body = part[1].split("\n## ", 1)[0]
        missing += [f"{section}.{f.name}" for f in dataclasses.fields(cls) if f"| `{f.name}` |" not in body]
    assert missing == []


def test_the_readme_links_only_inside_the_repository():
    links = re.findall(r"\]\(([^)]+)\)", README)
    outside = [link for link in links if link.startswith(("..", "/")) or "://" in link]
    assert outside == []
    broken = [link for link in links if not (REPO / link.split("#")[0]).exists()]
    assert broken == []


def test_the_docs_the_readme_points_to_exist():
    for name in ("architecture.md", "cli.md", "config.md", "plan-file.md"):
        assert (REPO / "docs" / name).is_file(), name
        assert f"docs/{name}" in README, f"README does not point to docs/{name}"
