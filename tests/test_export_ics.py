"""tracker export ics: parse the calendar back and check what calendar programs rely on."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from tests.conftest import EXAMPLES, at, load_sample
from tests.report_support import sample_year
from tracker.services.imports import import_plan, import_units

HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def export(cli, tmp_path, *args, now="2021-05-20T09:00", name="cal.ics"):
    result = cli("--now", now, "export", "ics", *args, "-o", name)
    assert result.exit_code == 0, result.err
    raw = (tmp_path / name).read_bytes()
    return raw, Calendar.from_ical(raw)


def events(cal):
    return list(cal.walk("VEVENT"))


def find(cal, summary_start, on=None):
    found = [e for e in events(cal) if str(e["SUMMARY"]).startswith(summary_start)
             and (on is None or _day(e["DTSTART"].dt) == on)]
    assert len(found) == 1, [str(e["SUMMARY"]) for e in events(cal)]
    return found[0]


def _day(value):
    return value.date() if isinstance(value, datetime) else value


def local_alarm_times(ev):
    start = ev["DTSTART"].dt
    if not isinstance(start, datetime):  # all-day: triggers count from local midnight
        start = datetime.combine(start, datetime.min.time(), tzinfo=HCM)
    return [(start + a["TRIGGER"].dt) for a in ev.walk("VALARM")]


def test_a_deadline_is_all_day_on_its_last_day_with_alarms_at_the_send_hour(rt, cli, tmp_path):
    load_sample(rt, at("2021-03-01T09:00"))
    raw, cal = export(cli, tmp_path, "--unit", "hlhpn")
    assert cal["VERSION"] == "2.0" and cal["METHOD"] == "PUBLISH"
    ev = find(cal, "Hạn nộp: Báo cáo 06 tháng", on=date(2021, 5, 31))
    # "trước ngày 30/5/2021": the last day Sat 29/5 is off, so Monday 31/5, all day.
    assert (ev["DTSTART"].dt, ev["DTEND"].dt) == (date(2021, 5, 31), date(2021, 6, 1))
    assert b"DTSTART;VALUE=DATE:20210531" in raw
    description = str(ev["DESCRIPTION"])
    assert "Hạn cuối: 23:59 thứ Hai, 31/05/2021" in description
    assert "Theo văn bản: trước ngày 30/5/2021" in description
    assert "Trạng thái: chưa đến hạn" in description
    assert "Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ gửi trước ngày 30/5/2021." in description
    # Reminders 14, 7, 3, 1, 0 days before at 08:00 on working days; 17/5 is past
    # (now is 20/5) and 1 day before is Sunday 30/5, moved onto Friday 28/5 with the 3-day one.
    assert local_alarm_times(ev) == [datetime(2021, m, d, 8, 0, tzinfo=HCM) for m, d in ((5, 24), (5, 28), (5, 31))]
    assert [a["ACTION"] for a in ev.walk("VALARM")] == ["DISPLAY"] * 3
    assert all("31/05/2021" in str(a["DESCRIPTION"]) for a in ev.walk("VALARM"))


def test_window_and_events_are_all_day(rt, cli, tmp_path):
    load_sample(rt, at("2021-03-01T09:00"))
    _, cal = export(cli, tmp_path, "--unit", "hlhpn")
    window = find(cal, "Tháng hành động")
    assert window["DTSTART"].dt == date(2021, 11, 15)
    assert window["DTEND"].dt == date(2021, 12, 16)  # exclusive: the last day is 15/12
    assert "thứ Hai, 15/11/2021 – thứ Tư, 15/12/2021" in str(window["DESCRIPTION"])
    assert str(window["CATEGORIES"].cats[0]) == "Đợt hoạt động"
    # Window reminders 7 and 1 days before and one when it starts, at 08:00
    # (14/11 is a Sunday: the 1-day reminder moves to Friday 12/11).
    start = datetime(2021, 11, 15)
    assert [start + a["TRIGGER"].dt for a in window.walk("VALARM")] == [
        datetime(2021, 11, 8, 8), datetime(2021, 11, 12, 8), datetime(2021, 11, 15, 8)]
    women_day = find(cal, "Ngày Phụ nữ Việt Nam")
    assert women_day["DTSTART"].dt == date(2021, 10, 20) and women_day["DTEND"].dt == date(2021, 10, 21)


def test_uids_are_stable_across_exports_and_state_changes(rt, cli, tmp_path):
    load_sample(rt, at("2021-03-01T09:00"))
    _, first = export(cli, tmp_path, "--unit", "hlhpn", name="a.ics")
    assert cli("--now", "2021-05-25T09:00", "submit", "hlhpn", "bao-cao-6-thang").exit_code == 0
    _, second = export(cli, tmp_path, "--unit", "hlhpn", now="2021-06-03T09:00", name="b.ics")
    uids_a = [str(e["UID"]) for e in events(first)]
    uids_b = [str(e["UID"]) for e in events(second)]
    assert len(set(uids_a)) == len(uids_a) == 6  # the plan of 2021 only: no 2022 periods
    assert uids_a == uids_b
    # The submitted deadline keeps its UID, says so, and rings no more.
    after = find(second, "Hạn nộp: Báo cáo 06 tháng", on=date(2021, 5, 31))
    before = find(first, "Hạn nộp: Báo cáo 06 tháng", on=date(2021, 5, 31))
    assert after["UID"] == before["UID"]
    assert str(after["SUMMARY"]).endswith("(nộp đúng hạn)")
    assert list(after.walk("VALARM")) == []
    # The all-units calendar has its own stable UIDs, one event per obligation and period.
    _, everyone = export(cli, tmp_path, name="all.ics")
    _, again = export(cli, tmp_path, name="all2.ics", now="2021-07-01T09:00")
    assert [str(e["UID"]) for e in events(everyone)] == [str(e["UID"]) for e in events(again)]
    assert not set(uids_a) & {str(e["UID"]) for e in events(everyone)}


def test_all_units_calendar_lists_units_by_state(rt, cli, tmp_path):
    sample_year(rt)
    _, cal = export(cli, tmp_path, "--plan", "hn-2021-43", now="2021-06-10T09:00")
    ev = find(cal, "Hạn nộp: Báo cáo 06 tháng")
    assert str(ev["SUMMARY"]).endswith("(7/14 đơn vị chưa nộp)")
    description = str(ev["DESCRIPTION"])
    assert "- Quá hạn (7): Cục Thống kê Hà Nội; " in description
    assert "- Nộp muộn (2): Sở Giáo dục và Đào tạo; Sở Tư pháp" in description
    assert list(ev.walk("VALARM")) == []  # nothing pending, nothing to remind
    assert len(find(cal, "Hạn nộp: Báo cáo đánh giá").walk("VALARM")) == 4  # 1 day before is a Sunday


def test_waived_assignment_is_cancelled_in_the_units_calendar(rt, cli, tmp_path):
    sample_year(rt)
    _, cal = export(cli, tmp_path, "--unit", "svhtt", now="2021-06-10T09:00")
    ev = find(cal, "Hạn nộp: Kế hoạch công tác", on=date(2021, 3, 9))
    assert ev["STATUS"] == "CANCELLED"
    assert "được miễn" in str(ev["SUMMARY"])


def test_obligation_reminders_override_the_config(rt, cli, tmp_path):
    import_units(rt, EXAMPLES / "units.csv", at("2021-03-01T09:00"))
    text = (EXAMPLES / "hn-2021-43.yaml").read_text(encoding="utf-8")
    text = text.replace("    due: 30/5/2021\n", "    due: 30/5/2021\n    reminders: [10, 2]\n")
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    import_plan(rt, plan, at("2021-03-01T09:00"))
    _, cal = export(cli, tmp_path, "--unit", "hlhpn", now="2021-05-01T09:00")
    ev = find(cal, "Hạn nộp: Báo cáo 06 tháng", on=date(2021, 5, 31))
    # 10 days before is Fri 21/5; 2 days before is Sat 29/5, moved to Fri 28/5.
    assert local_alarm_times(ev) == [datetime(2021, 5, 21, 8, tzinfo=HCM), datetime(2021, 5, 28, 8, tzinfo=HCM)]


def test_no_alarm_is_written_in_the_past(rt, cli, tmp_path):
    load_sample(rt, at("2021-03-01T09:00"))
    _, cal = export(cli, tmp_path, "--unit", "hlhpn", now="2021-05-28T09:00")
    ev = find(cal, "Hạn nộp: Báo cáo 06 tháng", on=date(2021, 5, 31))
    assert local_alarm_times(ev) == [datetime(2021, 5, 31, 8, tzinfo=HCM)]
    now = datetime(2021, 5, 28, 9, tzinfo=HCM)
    for e in events(cal):
        start = e["DTSTART"].dt
        if not isinstance(start, datetime):
            start = datetime.combine(start, datetime.min.time(), tzinfo=HCM)
        assert all(start + a["TRIGGER"].dt > now for a in e.walk("VALARM"))


@pytest.mark.parametrize("args, message", [
    (("--unit", "nobody"), "unknown unit 'nobody'"),
    (("--plan", "hn-1999-1"), "unknown plan 'hn-1999-1'"),
])
def test_unknown_unit_or_plan_is_one_line_and_writes_nothing(rt, cli, tmp_path, args, message):
    load_sample(rt, at("2021-03-01T09:00"))
    result = cli("export", "ics", *args, "-o", "out.ics")
    assert result.exit_code == 1
    assert message in result.err and result.err.strip().count("\n") == 0
    assert not (tmp_path / "out.ics").exists()


def test_calendar_to_stdout_is_valid(rt, cli):
    load_sample(rt, at("2021-03-01T09:00"))
    result = cli("--now", "2021-05-20T09:00", "export", "ics", "--unit", "hlhpn", "-o", "-")
    assert result.exit_code == 0
    cal = Calendar.from_ical(result.out)
    assert "Hội Liên hiệp Phụ nữ thành phố Hà Nội" in str(cal["X-WR-CALNAME"])
    assert cal["REFRESH-INTERVAL"].dt == timedelta(hours=12)
