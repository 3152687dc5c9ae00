"""The README's Quick start: exactly two commands, the second the one CI runs,
and the first leaves no sample data in the store real work goes to."""

import re

from tests.conftest import REPO


def quick_start() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"## Quick start\n\n```sh\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second():
    commands = quick_start()
    assert len(commands) == 2
    assert commands[1] in (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()


def test_quick_start_leaves_no_sample_data_in_the_real_store():
    first = quick_start()[0]
    assert "tracker init" in first and first.endswith("tracker daemon")
    assert "import" not in first and "examples/" not in first
