"""The small findings of issue 21: one line where one line is promised, private
directories under any umask, the dead-letter notice keeping server details to
the log, `mail test` refusing before writing and bounded in time."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta

from sqlalchemy import select

from tests.conftest import EXAMPLES, PG_URL, at, load_sample
from tests.mail_support import HostileSmtp, closed_port, digest, enqueue_digests, smtp_settings
from tests.reliability_support import clean_env
from tests.test_import import PLAN, write
from tracker.services.deadletters import notify_dead_letters, public_error
from tracker.services.delivery import deliver_due
from tracker.services.runtime import Runtime
from tracker.store.models import OutboxMessage


def test_init_and_a_tick_under_umask_000_make_var_and_the_outbox_private(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tracker", *args], cwd=tmp_path, env=clean_env(),
                              capture_output=True, text=True, timeout=120, preexec_fn=lambda: os.umask(0))

    assert run("init").returncode == 0
    assert run("mail", "test", "vanthu@syt.example.vn").returncode == 0  # file transport: var/outbox/
    for folder in ("var", "var/outbox"):
        assert stat.S_IMODE((tmp_path / folder).stat().st_mode) == 0o700, folder
    assert stat.S_IMODE((tmp_path / "var" / "tracker.db").stat().st_mode) == 0o600


def test_a_now_beyond_the_calendar_is_one_line(cli):
    result = cli("--now", "9999-12-31", "tick")
    assert (result.exit_code, result.err) == (1, "error: --now: '9999-12-31': the year must be between 1900 and 2200\n")


def test_a_reminder_beyond_ten_years_is_one_line(cli, tmp_path):
    path = write(tmp_path, "p.yaml", PLAN.format(due="30/5") + "    reminders: [99999999]\n")
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err == (f"error: {path}:23: obligation 'bao-cao': reminders must hold numbers <= 3660 "
                          "(ten years of days)\n")


def test_init_on_an_unreachable_postgresql_is_one_line(cli):
    port = closed_port()
    result = cli("init", db=f"postgresql://tracker@127.0.0.1:{port}/tracker")
    assert result.exit_code == 1 and result.err.count("\n") == 1
    assert result.err.startswith(f"error: database postgresql+psycopg://tracker@127.0.0.1:{port}/tracker: ")
    assert "internal error" not in result.err


def test_a_bad_connect_timeout_in_the_url_is_one_line(cli):
    result = cli("status", db=PG_URL + "?connect_timeout=abc")
    assert result.exit_code == 1
    assert result.err.endswith("connect_timeout must be a whole number of seconds, not 'abc'\n")
    assert "internal error" not in result.err and result.err.count("\n") == 1


def test_the_dead_letter_notice_keeps_the_smtp_host_and_login_out_of_mail(rt):
    now = at("2021-05-24T08:00")
    load_sample(rt, at("2021-03-01T09:00"))
    port = closed_port()
    down = Runtime(smtp_settings(rt.settings, port, max_attempts=1), rt.store, actor="tester")
    [failed_id] = enqueue_digests(down, [digest()], now)
    deliver_due(down, now)
    with rt.store.write() as session:
        notify_dead_letters(rt, session, now + timedelta(minutes=5))
    with rt.store.read() as session:
        notice = session.scalars(select(OutboxMessage).where(OutboxMessage.key.like("dead-letter|%"))).one()
        failed = session.get(OutboxMessage, failed_id)
    assert f"127.0.0.1:{port}" in failed.last_error  # the row (and the log) keep it
    assert "127.0.0.1" not in notice.body_text and str(port) not in notice.body_text
    assert "SMTP server: connection refused" in notice.body_text
    assert public_error("SMTP smtp.office.vn:587 (starttls): login as 'vanthu@so.vn' refused: 535 bad") == \
        "SMTP server: login refused: 535 bad"


def test_mail_test_writes_no_eml_for_an_address_it_refuses(cli, tmp_path):
    result = cli("mail", "test", "người@example.vn")
    assert result.exit_code == 1
    assert result.err == "error: ADDRESS: 'người@example.vn' cannot be sent to: invalid address\n"
    assert not (tmp_path / "outbox").exists() or list((tmp_path / "outbox").iterdir()) == []


def test_mail_test_against_a_trickling_server_ends_within_its_time_limit(cli, config_file):
    with HostileSmtp("trickle_all", interval=1.0) as server:
        config_file.write_text(
            f'[mail]\ntransport = "smtp"\nsmtp_host = "127.0.0.1"\nsmtp_port = {server.port}\n'
            'smtp_security = "none"\nmessage_timeout = 1\n', encoding="utf-8")
        result = cli("mail", "test", "vanthu@syt.example.vn")
    assert result.exit_code == 1
    assert result.err == (f"error: SMTP 127.0.0.1:{server.port} (none): no complete answer within 1 s "
                          "(mail.message_timeout)\n")


def test_a_store_held_by_a_long_import_says_busy_retry_on_one_line(rt, db_url, monkeypatch):
    import sqlite3

    import pytest

    from tracker.core.errors import StoreError
    from tracker.services.records import submit
    from tracker.store.engine import Store

    load_sample(rt, at("2021-02-01T09:00"))
    monkeypatch.setattr("tracker.store.engine.SQLITE_BUSY_TIMEOUT_MS", 200)  # not 15 s in a test
    holder = sqlite3.connect(db_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # what a long re-import holds
    store = Store(db_url)
    try:
        with pytest.raises(StoreError) as caught:
            submit(Runtime(rt.settings, store, actor="tester"), at("2021-05-27T10:00"), "snv", "bao-cao-6-thang")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        store.dispose()
    assert str(caught.value) == (f"database {db_url} is busy: another command is writing to it (waited 0.2 s); "
                                 "nothing was changed, retry in a moment")
