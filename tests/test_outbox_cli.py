"""tracker outbox list|retry, and dead letters in tracker status."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from tests.mail_support import closed_port, digest, enqueue_digests, outbox_rows, smtp_settings
from tracker.services.delivery import deliver_due
from tracker.services.runtime import Runtime

UTC = timezone.utc
NOW = datetime(2021, 5, 24, 1, 0, tzinfo=UTC)


def _one_failed_one_sent(rt) -> tuple[int, int]:
    failed_id, sent_id = enqueue_digests(rt, [digest("syt"), digest("stc", unit="stc", to=("vt@stc.example.vn",))],
                                         NOW)
    down = Runtime(smtp_settings(rt.settings, closed_port(), max_attempts=1), rt.store)
    assert deliver_due(down, NOW, limit=1).failed == 1  # the first one only
    assert deliver_due(rt, NOW).sent == 1  # the other one, through the file transport
    return failed_id, sent_id


def test_outbox_list_and_json(cli, rt):
    failed_id, sent_id = _one_failed_one_sent(rt)
    table = cli("outbox", "list")
    assert table.exit_code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split() == ["id", "state", "tries", "to", "when", "subject", "problem"]
    assert lines[2].split()[:3] == [str(failed_id), "failed", "1"] and "connection refused" in lines[2]
    assert lines[3].split()[:4] == [str(sent_id), "sent", "1", "vt@stc.example.vn"]
    assert "2021-05-24 08:00" in lines[3]  # local time

    failed = cli("outbox", "list", "--state", "failed", "--json")
    data = json.loads(failed.out)
    assert [d["id"] for d in data] == [failed_id]
    assert data[0]["state"] == "failed" and data[0]["attempts"] == 1 and data[0]["next_attempt_at"] is None
    assert data[0]["to"] == ["vanthu@syt.example.vn"] and data[0]["reply_to"] == ["vanthu@sldtbxh.example.vn"]
    assert data[0]["items"][0]["stage"] == "before:7" and data[0]["items"][0]["due"] == "2021-05-31T23:59:59+07:00"
    assert data[0]["message_id"].startswith(f"<outbox-{failed_id}-")
    assert "password" not in failed.out.lower()
    assert cli("outbox", "list", "--state", "queued").out == "no queued messages\n"


def test_status_warns_about_dead_letters(cli, rt):
    assert "could not be delivered" not in cli("status").err
    _one_failed_one_sent(rt)
    result = cli("status")
    assert result.exit_code == 0
    assert result.err == ("warning: 1 message could not be delivered; see `tracker outbox list --state failed`, "
                          "then `tracker outbox retry`\n")
    as_json = cli("status", "--json")
    assert json.loads(as_json.out) == [] and "could not be delivered" in as_json.err


def test_outbox_retry(cli, rt, tmp_path):
    failed_id, sent_id = _one_failed_one_sent(rt)

    refused = cli("outbox", "retry", str(sent_id))
    assert refused.exit_code == 1
    assert refused.err == f"error: only failed, unconfirmed or queued messages can be retried: {sent_id} is sent\n"
    missing = cli("outbox", "retry", "999")
    assert missing.exit_code == 1 and missing.err == "error: no outbox message 999\n"

    result = cli("--now", "2021-05-24T09:00", "outbox", "retry")
    assert result.exit_code == 0, result.err
    assert result.out == f"requeued 1 message: {failed_id}\n"
    row = outbox_rows(rt)[failed_id]
    assert (row.state, row.attempts, row.next_attempt_at) == ("queued", 0, datetime(2021, 5, 24, 2, 0, tzinfo=UTC))
    assert cli("outbox", "retry").out == "no failed messages\n"

    sent = cli("--now", "2021-05-24T09:00", "outbox", "retry", str(failed_id), "--send")
    assert sent.exit_code == 0, sent.err
    assert sent.out.splitlines()[-1] == "sent 1, retrying 0, failed 0"
    assert outbox_rows(rt)[failed_id].state == "sent"
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    assert cli("status").err == ""
