"""The loop of a submission: a unit sends its report itself, the coordinator
accepts it or returns it with a reason; reminders stop and resume with it."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import at, load_sample
from tracker.core.submissions import AlreadyClosed, FileRefused, NotOwed, NothingToDecide, Replayed
from tracker.services.status import status
from tracker.services.submissions import Upload, accept, return_, submit_by_unit
from tracker.services.tick import tick
from tracker.store.tables import assignments, audit_log, decisions, outbox, submission_files, submissions, units

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def loop(rt, tmp_path):
    """The sample plan, with files kept in tmp_path/files."""
    rt.settings = replace(rt.settings, inbound=replace(rt.settings.inbound, files_dir=str(tmp_path / "files")))
    load_sample(rt, at("2021-03-01T09:00"))
    return rt


def assignment_id(rt, unit: str, obligation: str = "bao-cao-6-thang") -> int:
    from tracker.store.tables import obligations

    with rt.store.reader() as conn:
        return conn.scalar(
            select(assignments.c.id).join(units, assignments.c.unit_id == units.c.id)
            .join(obligations, assignments.c.obligation_id == obligations.c.id)
            .where(units.c.code == unit, obligations.c.code == obligation, assignments.c.period == "2021"))


def row_of(rt, unit: str):
    with rt.store.reader() as conn:
        return conn.execute(select(assignments).where(assignments.c.id == assignment_id(rt, unit))).one()


def counts(rt) -> tuple[int, int, int, int]:
    with rt.store.reader() as conn:
        return tuple(conn.scalar(select(func.count()).select_from(t))
                     for t in (submissions, submission_files, audit_log, outbox))


def state_of(rt, unit: str, now) -> tuple[str, int]:
    row = next(r for r in status(rt, now, unit=unit) if r.obligation == "bao-cao-6-thang")
    return row.state, row.days_late


def test_a_units_own_submission_waits_for_acceptance_and_stops_its_reminders(loop, tmp_path):
    a_id = assignment_id(loop, "syt")
    r = submit_by_unit(loop, "syt", a_id, [Upload("Báo cáo 6 tháng.pdf", "application/pdf", PDF)], "  gửi kèm  ",
                       "web", at("2021-05-25T10:00"), client="203.0.113.7", key="web:n1")
    assert (r.state, r.late, [f.name for f in r.files]) == ("received", False, ["Báo cáo 6 tháng.pdf"])
    assert state_of(loop, "syt", at("2021-06-05T10:00")) == ("received", 0)
    # Stored by content: the name is data, the path is the hash.
    blob = tmp_path / "files" / r.files[0].sha256[:2] / r.files[0].sha256
    assert blob.read_bytes() == PDF
    # The 08:00 reminders of 27/5 (before:3) reach the other units, not syt.
    result = tick(loop, at("2021-05-27T08:00"))
    assert "syt" not in {d.unit for d in result.decisions if d.obligation == "bao-cao-6-thang"}
    assert {d.unit for d in result.decisions if d.obligation == "bao-cao-6-thang"} >= {"snv", "stc"}
    with loop.store.reader() as conn:
        sub = conn.execute(select(submissions)).one()
        entry = conn.execute(select(audit_log).where(audit_log.c.action == "submit")).one()
    assert (sub.state, sub.source, sub.client, sub.note, sub.source_key) == (
        "received", "web", "203.0.113.7", "gửi kèm", "web:n1")
    assert entry.actor == "unit:syt via link from 203.0.113.7"


def test_accepting_judges_on_time_by_the_first_submission(loop):
    a_id = assignment_id(loop, "syt")
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-05-28T10:00"))
    # A second upload while waiting (a corrected file) keeps the first time.
    submit_by_unit(loop, "syt", a_id, [Upload("b.pdf", "application/pdf", PDF)], None, "web", at("2021-06-02T09:00"))
    r = accept(loop, at("2021-06-03T15:00"), "syt", "bao-cao-6-thang")
    assert (r.state, r.at) == ("submitted", at("2021-05-28T10:00").astimezone(loop.tz))
    assert state_of(loop, "syt", at("2021-06-05T10:00")) == ("submitted", 0)
    with loop.store.reader() as conn:
        assert [s.state for s in conn.execute(select(submissions).order_by(submissions.c.id))] == ["accepted"] * 2
    with pytest.raises(AlreadyClosed):
        submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-06-04T09:00"))


def test_a_returned_report_reopens_tells_the_unit_and_escalation_resumes(loop, tmp_path):
    a_id = assignment_id(loop, "syt")
    tick(loop, at("2021-05-27T08:00"))  # before:3 to everyone
    submit_by_unit(loop, "syt", a_id, [], None, "web", at("2021-05-28T10:00"))
    r = return_(loop, at("2021-06-02T10:00"), "syt", "bao-cao-6-thang", reason="Thiếu số liệu quý II")
    assert r.state == "returned"
    row = row_of(loop, "syt")
    assert (row.state, row.submitted_at, row.returned_at) == ("open", None, at("2021-06-02T10:00"))
    assert state_of(loop, "syt", at("2021-06-02T10:00")) == ("returned", 2)
    with loop.store.reader() as conn:
        msg = conn.execute(select(outbox).where(outbox.c.key.like("returned:%"))).one()
    assert msg.to_addrs == ["vanthu@syt.example.vn"] and msg.subject == (
        "[Trả lại] Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ – năm 2021")
    assert "Lý do trả lại: Thiếu số liệu quý II" in msg.body_text
    # The next pass: the deadline (31/5, the Monday after Sunday 30/5) has passed,
    # so escalation level 1 (1/6) goes out for syt at once; the missed reminders stay quiet.
    result = tick(loop, at("2021-06-02T10:05"))
    mine = [(d.stage, d.outcome, d.recipients) for d in result.decisions
            if d.unit == "syt" and d.obligation == "bao-cao-6-thang"]
    assert mine == [("before:3", "skipped", ()), ("before:1", "skipped", ()), ("before:0", "skipped", ()),
                    ("after:1", "sent", ("unit:syt", "head:syt"))]
    # The return message and the escalation were delivered (file transport).
    subjects = sorted(m.read_text().split("Subject: ", 1)[1].split("\n", 1)[0]
                      for m in (tmp_path / "outbox").glob("*.eml"))
    assert any(s.startswith("=?utf-8?") or "Tr" in s for s in subjects) and len(subjects) >= 2
    # Level 2 follows on its day (3 working days after: Thursday 3/6), to the coordinator.
    later = tick(loop, at("2021-06-03T08:00"))
    assert [(d.stage, d.recipients) for d in later.decisions if d.unit == "syt"] == [("after:2", ("unit:sldtbxh",))]


def test_the_coordinators_own_submit_is_accepted_at_once(loop, cli):
    cli("--now", "2021-05-28T10:00", "submit", "syt", "bao-cao-6-thang")
    with loop.store.reader() as conn:
        sub = conn.execute(select(submissions)).one()
    assert (sub.state, sub.source) == ("accepted", "coordinator")


def test_without_required_acceptance_a_units_submission_counts_at_once(loop):
    loop.settings = replace(loop.settings, web=replace(loop.settings.web, require_acceptance=False))
    submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [], None, "web", at("2021-06-02T10:00"))
    assert state_of(loop, "syt", at("2021-06-05T10:00")) == ("late", 2)


@pytest.mark.parametrize("upload, status_code", [
    (Upload("big.pdf", "application/pdf", b"x" * (1_048_576 + 1)), 413),
    (Upload("script.exe", "application/octet-stream", b"MZ"), 415),
    (Upload("noext", "application/pdf", PDF), 415),
    (Upload("empty.pdf", "application/pdf", b""), 415),
])
def test_a_refused_file_writes_nothing(loop, tmp_path, upload, status_code):
    loop.settings = replace(loop.settings, web=replace(loop.settings.web, max_upload_mb=1))
    before = counts(loop)
    with pytest.raises(FileRefused) as exc:
        submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [upload], None, "web", at("2021-05-28T10:00"))
    assert exc.value.status == status_code
    assert counts(loop) == before and not (tmp_path / "files").exists()
    assert row_of(loop, "syt").state == "open"


def test_a_replayed_form_another_units_assignment_and_a_waived_one_write_nothing(loop, tmp_path):
    submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [], None, "web", at("2021-05-28T10:00"), key="web:k")
    before = counts(loop)
    with pytest.raises(Replayed):
        submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [Upload("a.pdf", "application/pdf", PDF)], None,
                       "web", at("2021-05-28T10:01"), key="web:k")
    with pytest.raises(NotOwed):
        submit_by_unit(loop, "syt", assignment_id(loop, "stc"), [], None, "web", at("2021-05-28T10:01"))
    with pytest.raises(NotOwed):
        submit_by_unit(loop, "syt", 10**9, [], None, "web", at("2021-05-28T10:01"))
    assert counts(loop) == before and not (tmp_path / "files").exists()


def test_the_same_bytes_are_stored_once_under_their_hash(loop, tmp_path):
    a = submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [Upload("../../etc/passwd.pdf", "text/html", PDF)],
                       None, "web", at("2021-05-28T10:00"))
    b = submit_by_unit(loop, "stc", assignment_id(loop, "stc"), [Upload("khác.pdf", "application/pdf", PDF)],
                       None, "web", at("2021-05-28T10:00"))
    assert a.files[0].sha256 == b.files[0].sha256
    assert a.files[0].name == "passwd.pdf"
    assert [p.name for p in (tmp_path / "files").rglob("*") if p.is_file()] == [a.files[0].sha256]


def test_accept_and_return_need_a_waiting_submission(loop):
    with pytest.raises(NothingToDecide):
        return_(loop, at("2021-06-02T10:00"), "syt", "bao-cao-6-thang", period="2021", reason="x")


def test_cli_accept_and_return(loop, cli):
    submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [], None, "web", at("2021-05-28T10:00"))
    submit_by_unit(loop, "stc", assignment_id(loop, "stc"), [], None, "web", at("2021-06-02T10:00"))
    out = cli("--now", "2021-06-03T09:00", "status", "--state", "received", "--json")
    assert [(r["unit"], r["state"], r["days_late"]) for r in json.loads(out.out)] == [
        ("stc", "received", 2), ("syt", "received", 0)]
    ok = cli("--now", "2021-06-03T09:00", "accept", "syt", "bao-cao-6-thang")
    assert (ok.exit_code, ok.out) == (0, "syt bao-cao-6-thang (hn-2021-43, 2021): accepted, submitted "
                                         "(sent 2021-05-28 10:00, due 2021-05-31 23:59)\n")
    back = cli("--now", "2021-06-03T09:00", "return", "stc", "bao-cao-6-thang", "--reason", "Thiếu phụ lục")
    assert (back.exit_code, back.out) == (0, "stc bao-cao-6-thang (hn-2021-43, 2021): returned, open again "
                                             "(returned, due 2021-05-31 23:59); the unit is told by the next delivery\n")
    again = cli("--now", "2021-06-03T09:00", "accept", "stc", "bao-cao-6-thang")
    assert again.exit_code == 1 and again.err.startswith("error: unit 'stc' has no assignment in state received")
    blank = cli("--now", "2021-06-03T09:00", "return", "syt", "bao-cao-6-thang", "--period", "2021", "--reason", " ")
    assert (blank.exit_code, blank.err) == (1, "error: --reason: a reason is required (the unit reads it)\n")
    summary = cli("--now", "2021-06-03T09:00", "status").out.splitlines()[-1]
    assert summary.endswith("1 returned, 1 submitted, 0 late, 0 waived")


def test_exports_and_the_report_show_the_new_states(loop, cli, tmp_path):
    submit_by_unit(loop, "syt", assignment_id(loop, "syt"), [], None, "web", at("2021-05-28T10:00"))
    submit_by_unit(loop, "stc", assignment_id(loop, "stc"), [], None, "web", at("2021-05-28T10:00"))
    return_(loop, at("2021-06-02T10:00"), "stc", "bao-cao-6-thang", reason="Thiếu phụ lục")
    assert cli("--now", "2021-06-03T09:00", "export", "csv", "-o", "s.csv").exit_code == 0
    csv = (tmp_path / "s.csv").read_text(encoding="utf-8-sig")
    syt = next(line for line in csv.splitlines() if ",syt,Sở Y tế," in line and "06 tháng" in line)
    stc = next(line for line in csv.splitlines() if ",stc,Sở Tài chính," in line and "06 tháng" in line)
    assert syt.endswith(',năm 2021,2021-05-31,"đã gửi, chờ xác nhận",2021-05-28 10:00,,,')
    assert ",năm 2021,2021-05-31,bị trả lại," in stc
    assert cli("--now", "2021-06-03T09:00", "report", "html", "-o", "r.html").exit_code == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "đã gửi, chờ xác nhận" in html and "bị trả lại 3 ngày" in html
    assert cli("--now", "2021-06-03T09:00", "export", "ics", "-o", "c.ics").exit_code == 0
