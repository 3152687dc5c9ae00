"""Small things a new user meets first: a pipe closed early, a mistyped store,
init saying what it created, a re-import saying what it removed."""

import subprocess
import sys

from tests.conftest import EXAMPLES


def test_status_piped_into_head_exits_quietly(cli, db_url, config_file, tmp_path):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    proc = subprocess.Popen([sys.executable, "-m", "tracker", "--db", db_url, "--config", str(config_file),
                             "--now", "2021-06-01T09:00", "status"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader leaves before the first line
    err = proc.stderr.read()
    assert proc.wait() == 0
    assert err == b""


def test_a_reading_command_on_a_store_that_does_not_exist_creates_nothing(cli, tmp_path):
    missing = tmp_path / "nowhere" / "tracker.db"
    result = cli("status", db=f"sqlite:///{missing}")
    assert (result.exit_code, result.err) == (
        1, f"error: database sqlite:///{missing} does not exist: run `tracker init` first (or check --db)\n")
    assert not missing.parent.exists()


def test_init_says_when_it_creates_a_new_store_and_its_folder(cli, tmp_path):
    store = tmp_path / "var" / "tracker.db"
    first = cli("init", db=f"sqlite:///{store}")
    assert first.out.splitlines()[0] == f"created a new store {store} and its folder {store.parent}"
    again = cli("init", db=f"sqlite:///{store}")
    assert again.out.startswith(f"database sqlite:///{store} is up to date")


def test_reimporting_a_plan_without_an_obligation_says_what_was_removed_and_waived(cli, tmp_path):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    text = (EXAMPLES / "hn-2021-43.yaml").read_text(encoding="utf-8")
    start = text.index("  - id: bao-cao-nam")
    end = text.index("  - id:", start + 5)
    smaller = tmp_path / "hn-2021-43.yaml"
    smaller.write_text(text[:start] + text[end:], encoding="utf-8")
    result = cli("--now", "2021-03-02T09:00", "plan", "import", str(smaller))
    assert result.out == (f"{smaller}: 0 plans created, 1 updated, 0 unchanged, "
                          "1 obligations removed, 14 assignments waived\n")
