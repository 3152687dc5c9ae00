"""Configuration: defaults, file, environment, and errors naming the key."""

from datetime import date

import pytest

from tracker.config import load_settings
from tracker.core.errors import ConfigError


def write(tmp_path, text):
    path = tmp_path / "t.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(None, environ={})
    assert (s.tracker.database_url, s.tracker.timezone, s.schedule.reminders, s.schedule.escalation) == (
        "sqlite:///var/tracker.db", "Asia/Ho_Chi_Minh", (14, 7, 3, 1, 0), (1, 3, 7))
    assert s.source == "built-in defaults"


def test_shipped_config_file_is_valid_and_equals_the_defaults():
    from pathlib import Path

    shipped = load_settings(Path(__file__).parent.parent / "config" / "tracker.toml", environ={})
    assert shipped.schedule == load_settings(None, environ={"TRACKER_CONFIG": ""}).schedule
    assert shipped.mail.max_attachment_bytes == 5 * 1024 * 1024


def test_unknown_key_is_an_error_naming_it(tmp_path):
    path = write(tmp_path, "[schedule]\nsend_att = '07:00'\n")
    with pytest.raises(ConfigError, match=r"t.toml: unknown key schedule.send_att$"):
        load_settings(path, environ={})


def test_unknown_section_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match=r"unknown section \[smtp\]"):
        load_settings(write(tmp_path, "[smtp]\nhost='x'\n"), environ={})


def test_broken_toml_names_the_file(tmp_path):
    with pytest.raises(ConfigError, match=r"t.toml: invalid TOML: "):
        load_settings(write(tmp_path, "[schedule\n"), environ={})


def test_environment_overrides_the_file(tmp_path):
    path = write(tmp_path, "[schedule]\nsend_at = '07:00'\n[calendar]\nextra_days_off = ['2026-02-14']\n")
    s = load_settings(path, environ={"TRACKER_SCHEDULE_SEND_AT": "09:30", "TRACKER_DATABASE_URL": "sqlite:///x.db",
                                     "TRACKER_SCHEDULE_REMINDERS": "7,1"})
    assert (s.schedule.send_at, s.tracker.database_url, s.schedule.reminders) == ("09:30", "sqlite:///x.db", (7, 1))
    assert s.calendar.extra_days_off == (date(2026, 2, 14),)


@pytest.mark.parametrize("text, message", [
    ("[tracker]\ntimezone = 'Mars/Base'\n", "unknown time zone"),
    ("[schedule]\nsend_at = '25:00'\n", "send_at must be HH:MM"),
    ("[escalation]\nleadership = ['not-an-address']\n", "is not an e-mail address"),
    ("[mail]\ntransport = 'pigeon'\n", "mail.transport must be"),
    ("[calendar]\nextra_days_off = ['31/2']\n", "is not a date"),
    ("[mail]\nmax_attachment_bytes = 1000\n", r"t.toml: mail.max_attachment_bytes must be at least 4096 \(room for "),
])
def test_bad_values_are_named(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text), environ={})


def test_cli_reports_config_errors_on_one_line(cli, tmp_path):
    path = write(tmp_path, "[schedule]\nbogus = 1\n")
    from click.testing import CliRunner

    from tracker.cli import cli as group

    result = CliRunner().invoke(group, ["--config", str(path), "status"])
    assert (result.exit_code, result.stderr) == (1, f"error: {path}: unknown key schedule.bogus\n")
