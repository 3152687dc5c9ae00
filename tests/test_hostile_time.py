"""Time limits and the small promises of issue 21: SIGTERM obeyed within the
systemd unit's timeout while a server trickles, `tick` failing loudly when
every delivery failed, the one-daemon lock through a symlink."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from tests.conftest import at, load_sample
from tests.mail_support import HostileSmtp, closed_port
from tests.reliability_support import WAIT, Daemon, national_sample
from tracker.daemon import AlreadyRunning, SingleInstance

SYSTEMD_TIMEOUT_STOP = 120  # config/tracker.service: TimeoutStopSec


def hostile_config(path, port: int, **extra) -> str:
    lines = ["[mail]", 'transport = "smtp"', 'smtp_host = "127.0.0.1"', f"smtp_port = {port}",
             'smtp_security = "none"', 'smtp_user = ""', "smtp_timeout = 5"]
    lines += [f"{k} = {v}" for k, v in extra.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_unit_file_timeout_leaves_room_for_one_message():
    from tracker.config import MailSection

    text = (__import__("tests.conftest", fromlist=["REPO"]).REPO / "config" / "tracker.service").read_text()
    assert f"TimeoutStopSec={SYSTEMD_TIMEOUT_STOP}" in text
    assert MailSection().message_timeout <= SYSTEMD_TIMEOUT_STOP / 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_a_daemon_delivering_to_a_trickling_server_after_the_current_message(rt, tmp_path):
    national_sample(rt, tmp_path / "in", at("2017-01-02T09:00"))
    rt.store.dispose()
    with HostileSmtp("trickle", interval=1.0) as server:
        config = hostile_config(tmp_path / "t.toml", server.port, message_timeout=3)
        daemon = Daemon(rt.store.url, config, "2017-03-01T08:00", tmp_path)
        try:
            daemon.wait_for("started (pid")
            assert server.received.wait(WAIT)  # mid-delivery: 41 messages, 25 s each at a byte a second
            daemon.proc.send_signal(signal.SIGTERM)
            # The message in hand is given up at its time limit (3 s); the other 40 stay queued.
            assert daemon.proc.wait(timeout=15) == 0
        finally:
            daemon.kill()
    assert len(server.messages) == 1


def test_tick_exits_non_zero_when_every_delivery_failed(cli, config_file, tmp_path):
    from tests.conftest import EXAMPLES

    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-02-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    hostile_config(config_file, closed_port())
    out = cli("--now", "2021-05-17T08:00", "tick")
    assert out.exit_code == 1
    assert out.err.endswith("error: delivery failed for every message it tried; they stay queued (see the log)\n")
    again = cli("--now", "2021-05-17T08:05", "tick", "--json")  # the retry after the backoff
    data = json.loads(again.out)
    assert again.exit_code == 1 and data["delivery_failed"] is True and data["delivery"]["sent"] == 0


def test_the_one_daemon_lock_holds_through_a_symlinked_path(tmp_path, db_url):
    real = db_url.removeprefix("sqlite:///")
    link = tmp_path / "linked.store"
    link.symlink_to(real)
    with SingleInstance.for_url(db_url):
        with pytest.raises(AlreadyRunning):
            SingleInstance.for_url(f"sqlite:///{link}").acquire()
