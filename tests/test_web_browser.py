"""The whole loop in a real browser (headless Chromium over the DevTools
protocol): a unit opens its link from a delivered .eml, uploads a PDF and sees
the confirmation; the coordinator opens its page and returns the report with a
reason; the unit receives the return message; the reminders resume.

Set TRACKER_SCREENSHOTS=docs to refresh the screenshots of docs/ (phone width)."""

from __future__ import annotations

import contextlib
import json
import os
import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.conftest import EXAMPLES
from tests.report_support import find_chromium
from tests.web_support import SECRET, serving
from tracker.store.engine import Store
from tracker.store.tables import assignments, obligations, units

CHROMIUM = find_chromium()
# Read at import: the cli fixture clears TRACKER_* variables before the test runs.
SHOTS = os.environ.get("TRACKER_SCREENSHOTS")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def mails(folder: Path) -> list:
    return [message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(folder.glob("*.eml"))]


def plain(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium); "
                                              "CI installs it")
def test_a_unit_uploads_from_its_mail_link_and_the_coordinator_returns_it(cli, config_file, db_url, tmp_path,
                                                                        monkeypatch):
    from tests.browser_support import Browser

    monkeypatch.setenv("TRACKER_WEB_SECRET", SECRET)
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    base = config_file.read_text()

    def configure(url: str) -> None:
        config_file.write_text(base + f'\n[web]\nbase_url = "{url}"\n\n[inbound]\nfiles_dir = "{tmp_path / "files"}"\n')

    logs: list[str] = []
    shots = Path(SHOTS).resolve() if SHOTS else None
    # The server and the browser stop however the test ends (the server first
    # started, last stopped): no process outlives it.
    with contextlib.ExitStack() as stack:
        server = stack.enter_context(serving(db_url, config_file, tmp_path, "2021-05-25T09:00",
                                             before_start=configure, logs=logs))
        browser = stack.enter_context(contextlib.closing(Browser(CHROMIUM, tmp_path / "profile")))
        store = Store(db_url)
        stack.callback(store.dispose)
        # Monday 24/5 08:00: the 7-day reminders go out, each with its unit's link.
        assert cli("--now", "2021-05-24T08:00", "tick").exit_code == 0
        to_syt = next(m for m in mails(tmp_path / "outbox") if "vanthu@syt.example.vn" in m["To"])
        link = re.search(r"^(http://127\.0\.0\.1:\d+/u/\S+)$", plain(to_syt), re.M).group(1)
        assert link.startswith(server.url)
        with store.reader() as conn:
            a_id = conn.scalar(select(assignments.c.id).join(units).join(obligations).where(
                units.c.code == "syt", obligations.c.code == "bao-cao-6-thang"))

        browser.open(link)
        assert "Sở Y tế" in browser.text() and "Báo cáo 06 tháng" in browser.text()
        if shots:
            browser.screenshot(shots / "web-unit.png")
        report = tmp_path / "Báo cáo 6 tháng - Sở Y tế.pdf"
        report.write_bytes(PDF)
        browser.set_file(f"#a{a_id} input[type=file]", report)
        browser.type_into(f"#a{a_id} textarea", "Kính gửi bản có chữ ký")
        browser.click(f"#a{a_id} button")
        text = browser.text()
        assert "Đã ghi nhận báo cáo" in text and "Báo cáo 6 tháng - Sở Y tế.pdf" in text
        assert "Đã gửi, chờ xác nhận" in text

        coordinator = cli("units", "link", "sldtbxh").out.strip()
        browser.open(coordinator)
        assert "Chờ xác nhận (1)" in browser.text() and "Báo cáo 6 tháng - Sở Y tế.pdf" in browser.text()
        if shots:
            browser.screenshot(shots / "web-coordinator.png")
        browser.type_into(f"#q{a_id} textarea", "Thiếu số liệu phụ lục 2")
        browser.click(f"#q{a_id} button.secondary")
        assert "Đã trả lại báo cáo; đơn vị sẽ nhận thư nêu lý do." in browser.text()
        assert "Chờ xác nhận (0)" in browser.text()
        with store.reader() as conn:
            row = conn.execute(select(assignments.c.state, assignments.c.returned_at)
                               .where(assignments.c.id == a_id)).one()
        assert row.state == "open" and row.returned_at is not None
    assert "Traceback" not in logs[0]

    # The next delivery brings the unit the return message, with the reason and its link.
    before = {p.name for p in (tmp_path / "outbox").glob("*.eml")}
    assert cli("--now", "2021-05-25T09:30", "tick").exit_code == 0
    [message] = [message_from_bytes(p.read_bytes(), policy=policy.default)
                 for p in sorted((tmp_path / "outbox").glob("*.eml")) if p.name not in before]
    assert message["To"] == "vanthu@syt.example.vn"
    assert str(message["Subject"]) == ("[Trả lại] Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ "
                                       "phụ nữ – năm 2021")
    body = plain(message)
    assert "Lý do trả lại: Thiếu số liệu phụ lục 2" in body and f"Gửi lại báo cáo tại: {link}" in body
    # And the reminders resume: Friday 28/5 08:00 (the day-before reminder, moved off Sunday 30/5,
    # wins over the 3-day one of the same morning), syt is reminded again like every open unit.
    decided = json.loads(cli("--now", "2021-05-28T08:00", "tick", "--json").out)["decisions"]
    assert sorted((d["stage"], d["outcome"], tuple(d["recipients"])) for d in decided
                  if d["obligation"] == "bao-cao-6-thang" and d["unit"] == "syt") == [
        ("before:1", "sent", ("unit:syt",)), ("before:3", "skipped", ())]
