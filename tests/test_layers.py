"""The layers of docs/architecture.md hold: import-linter's contracts in
pyproject.toml pass on the tree, and fail when a layer is broken."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(root: Path) -> subprocess.CompletedProcess:
    # lint-imports finds the package on sys.path; running it from ``root`` with
    # PYTHONPATH=root makes it read that tree, not the installed one.
    return subprocess.run([str(LINT), "--no-cache"], cwd=root, env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


def _copy_tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "tracker", root / "tracker", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    return root


def test_the_layer_contracts_hold_on_the_tree(tmp_path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_a_core_module_that_imports_the_store_breaks_the_contracts(tmp_path):
    root = _copy_tree(tmp_path)
    calendar = root / "tracker" / "core" / "calendar.py"
    calendar.write_text(calendar.read_text(encoding="utf-8") + "\nfrom tracker.store import tables  # noqa\n",
                        encoding="utf-8")
    result = _lint(root)
    assert result.returncode == 1
    assert "tracker.core.calendar -> tracker.store" in result.stdout


def test_a_renderer_that_queries_the_store_breaks_the_contracts(tmp_path):
    root = _copy_tree(tmp_path)
    csv_export = root / "tracker" / "render" / "csv_export.py"
    csv_export.write_text(csv_export.read_text(encoding="utf-8") + "\nimport sqlalchemy  # noqa\n", encoding="utf-8")
    result = _lint(root)
    assert result.returncode == 1
    assert "tracker.render.csv_export -> sqlalchemy" in result.stdout


_CLOCK = re.compile(r"\b(datetime\.now|datetime\.utcnow|date\.today|time\.time|time\.monotonic)\(")


def test_the_core_and_the_extractor_never_read_the_clock():
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for package in ("core", "extract", "render")
        for path in sorted((REPO / "tracker" / package).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if _CLOCK.search(line)
    ]
    assert offenders == []
