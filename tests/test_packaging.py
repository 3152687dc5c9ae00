"""A wheel is a whole tracker: it migrates a store and renders mail without the checkout."""

from __future__ import annotations

import fnmatch
import os
import shutil
import subprocess
import sys
import tomllib
from email import message_from_bytes, policy
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SETUPTOOLS = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_the_wheel_lists_every_package_of_the_tree():
    on_disk = {".".join(p.parent.relative_to(REPO).parts) for p in (REPO / "tracker").rglob("__init__.py")}
    mapped = set(SETUPTOOLS["package-dir"])
    assert set(SETUPTOOLS["packages"]) == on_disk | mapped | {"tracker._shipped.migrations.versions"}


def test_the_wheel_carries_every_shipped_file():
    for package, folder in SETUPTOOLS["package-dir"].items():
        globs = SETUPTOOLS["package-data"][package]
        for path in (REPO / folder).rglob("*"):
            name = path.relative_to(REPO / folder).as_posix()
            if path.is_file() and "__pycache__" not in name and not name.endswith(".py"):
                assert any(fnmatch.fnmatch(name, g) for g in globs), f"{folder}/{name} is not in the wheel"


def _run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_an_installed_wheel_migrates_a_store_and_writes_mail_outside_the_checkout(tmp_path):
    # Build from a copy of the sources, without the network (setuptools comes from the test extra).
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("tracker", "migrations", "config"):
        shutil.copytree(REPO / name, src / name, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, src / name)
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "-q")
    _run(*pip, "wheel", "--no-deps", "--no-index", "--no-build-isolation", "-w", str(tmp_path / "dist"), str(src),
         cwd=tmp_path)
    (wheel,) = (tmp_path / "dist").glob("tracker-*.whl")
    site = tmp_path / "site"
    _run(*pip, "install", "--no-deps", "--no-index", "--target", str(site), str(wheel), cwd=tmp_path)

    # An office's working directory: no repository, no alembic.ini, no config/.
    office = tmp_path / "office"
    office.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["PYTHONPATH"] = str(site)
    tracker = (sys.executable, "-m", "tracker")
    where = _run(sys.executable, "-c", "import tracker; print(tracker.__file__)", cwd=office, env=env)
    assert Path(where.strip()).is_relative_to(site)
    # The revision is the newest migration's, whichever branch added it last.
    assert _run(*tracker, "init", cwd=office, env=env).startswith(
        "created a new store var/tracker.db and its folder var\n"
        "database sqlite:///var/tracker.db upgraded from empty to revision ")
    assert (office / "var" / "web.secret").stat().st_mode & 0o777 == 0o600
    _run(*tracker, "units", "import", str(REPO / "examples" / "units.csv"), cwd=office, env=env)
    _run(*tracker, "plan", "import", str(REPO / "examples" / "hn-2021-43.yaml"), cwd=office, env=env)
    out = _run(*tracker, "--now", "2021-05-24T08:00", "tick", cwd=office, env=env)
    assert "15 messages enqueued, 15 delivered" in out
    mails = sorted((office / "var" / "outbox").glob("*.eml"))
    assert len(mails) == 15
    mail = message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    assert mail.get_body(("plain",)).get_content().startswith("Kính gửi: ")  # the packaged templates
    assert mail.get_body(("html",)) is not None
