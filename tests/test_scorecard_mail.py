"""The end-of-period scorecard mail (issue 20): at the first working day after a
quarter, a half-year or a year, each coordinator gets one message with the
period's scorecard; decided once under a unique key; nothing when nothing was
due; never before the send time."""

from datetime import date

from sqlalchemy import select

from tests.test_scorecard import PLAN, year  # noqa: F401  (the fixture: a year of four units)
from tracker.core.calendar import WorkCalendar
from tracker.core.scorecard import periods_ending, scorecards_due
from tracker.store.tables import outbox

VN = WorkCalendar()
ALL = {"quarter", "half-year", "year"}


def test_year_end_mails_q4_h2_and_the_year_on_the_first_working_day():
    # 1/1/2026 is a public holiday: Friday 2/1 at the send time.
    assert scorecards_due(date(2026, 1, 1), True, VN.is_working_day, ALL) is None
    assert scorecards_due(date(2026, 1, 2), False, VN.is_working_day, ALL) is None
    assert scorecards_due(date(2026, 1, 2), True, VN.is_working_day, ALL) == (
        date(2025, 12, 31), ["2025-Q4", "2025-H2", "2025"])
    # After downtime, a week late at most.
    assert scorecards_due(date(2026, 1, 9), False, VN.is_working_day, ALL) is not None
    assert scorecards_due(date(2026, 1, 10), True, VN.is_working_day, ALL) is None


def test_mid_year_and_quarter_ends():
    assert scorecards_due(date(2025, 7, 1), True, VN.is_working_day, ALL) == (
        date(2025, 6, 30), ["2025-Q2", "2025-H1"])
    assert scorecards_due(date(2025, 4, 1), True, VN.is_working_day, ALL) == (date(2025, 3, 31), ["2025-Q1"])
    assert periods_ending(date(2025, 12, 31), {"year"}) == ["2025"]
    assert scorecards_due(date(2025, 4, 1), True, VN.is_working_day, {"year"}) is None


def _rows(rt):
    with rt.store.reader() as conn:
        return conn.execute(select(outbox).where(outbox.c.key.like("scorecard:%"))).all()


def test_tick_queues_one_scorecard_message_per_coordinator_once(year, rt, tmp_path):  # noqa: F811
    before = year("--now", "2026-01-02T07:55", "tick")
    assert "scorecard" not in before.out and _rows(rt) == []
    # (The fixture records its waivers on Monday 5/1 at 09:00; a pass before would count them
    # as not yet waived.) Four days after the first working day: still within the week.
    first = year("--now", "2026-01-05T09:00", "tick")
    assert first.exit_code == 0, first.err
    assert ", 1 scorecard messages" in first.out
    again = year("--now", "2026-01-05T09:05", "tick")
    assert "scorecard" not in again.out
    (row,) = _rows(rt)
    assert row.key == "scorecard:2025-12-31:sldtbxh"
    assert row.to_addrs == ["vanthu@sldtbxh.example.vn"]
    assert row.subject == ("[Xếp hạng] Kết quả thực hiện chế độ báo cáo Quý IV/2025, 6 tháng cuối năm 2025, "
                           "năm 2025")
    assert row.state == "sent"
    assert "== năm 2025 (hạn nộp từ 01/01/2025 đến 31/12/2025) ==\n" in row.body_text
    assert ("Phải nộp: 14; đúng hạn: 9; trễ hạn: 3; chưa nộp: 2; được miễn: 6; tỷ lệ đúng hạn: 64,3%"
            in row.body_text)
    assert "Dẫn đầu: UBND phường A (100,0%); UBND phường B (50,0%); UBND phường C (40,0%)" in row.body_text


def test_nothing_due_in_the_period_sends_nothing(cli, rt, tmp_path):
    path = tmp_path / "plan.yaml"
    path.write_text(PLAN, encoding="utf-8")
    cli("--now", "2025-01-02T09:00", "plan", "import", str(path))
    # 2024's last quarter: the plan starts in 2025.
    assert "scorecard" not in cli("--now", "2025-01-02T09:00", "tick").out
    assert _rows(rt) == []


def test_mail_periods_empty_mails_none(year, rt, config_file):  # noqa: F811
    config_file.write_text(config_file.read_text() + "\n[scorecard]\nmail_periods = []\n", encoding="utf-8")
    assert "scorecard" not in year("--now", "2026-01-02T08:00", "tick").out
    assert _rows(rt) == []


def test_unknown_mail_period_is_a_config_error(year, config_file):  # noqa: F811
    config_file.write_text(config_file.read_text() + "\n[scorecard]\nmail_periods = [\"month\"]\n",
                           encoding="utf-8")
    result = year("--now", "2026-01-02T08:00", "tick")
    assert result.exit_code == 1
    assert result.err == (f"error: {config_file}: scorecard.mail_periods: 'month' is not one of quarter, "
                          "half-year, year\n")


def test_the_scorecard_message_carries_the_workbook(year, tmp_path):  # noqa: F811
    import io
    from email import message_from_bytes, policy

    from openpyxl import load_workbook

    from tests.test_scorecard import UNITS

    year("--now", "2026-01-05T09:00", "tick")
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    (mail,) = [m for m in mails if str(m["Subject"]).startswith("[Xếp hạng]")]
    assert str(mail["To"]) == "vanthu@sldtbxh.example.vn"
    assert "(tệp xep-hang-2025.xlsx: xếp hạng theo tỷ lệ nộp đúng hạn" in mail.get_body(("plain",)).get_content()
    (part,) = list(mail.iter_attachments())
    assert part.get_filename() == "xep-hang-2025.xlsx"
    assert part.get_content_type() == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(io.BytesIO(part.get_content()))
    assert wb.sheetnames == [f"{sheet} {p}" for p in ("2025-Q4", "2025-H2", "2025")
                             for sheet in ("Đơn vị", "Báo cáo", "Thông tin")]
    assert [tuple(c.value for c in row) for row in wb["Đơn vị 2025"].iter_rows(min_row=2)] == UNITS
    assert wb["Đơn vị 2025-Q4"]["B2"].value == "phuong-a"


def test_leadership_is_copied_when_configured(year, rt, config_file):  # noqa: F811
    config_file.write_text(config_file.read_text() + '\n[escalation]\nleadership = ["ld@ubnd.example.vn"]\n',
                           encoding="utf-8")
    year("--now", "2026-01-05T09:00", "tick")
    (row,) = _rows(rt)
    assert (row.to_addrs, row.cc_addrs) == (["vanthu@sldtbxh.example.vn"], ["ld@ubnd.example.vn"])
