"""Periodic reports as offices define them (issue 20): monthly and 9-month
recurrence, deadlines counted from the data cut-off, data periods per Decree
09/2019/NĐ-CP art. 12, with real dates."""

from datetime import date
from zoneinfo import ZoneInfo

import pytest

from tracker.core.calendar import WorkCalendar
from tracker.core.dataperiod import DataPeriodRule, decree09, period_span
from tracker.core.periods import period_words
from tracker.core.schedule import ObligationDates, data_period, occurrence, occurrences

VN = WorkCalendar()
HCM = ZoneInfo("Asia/Ho_Chi_Minh")
DECREE = DataPeriodRule("decree-09")


def test_monthly_report_has_twelve_periods_named_by_month():
    rule = ObligationDates("deadline", date(2025, 1, 20), None, "monthly", 2025)
    occs = occurrences(rule, until=date(2025, 12, 31), calendar=VN, tz=HCM)
    assert [o.period for o in occs] == [f"2025-{m:02d}" for m in range(1, 13)]


def test_monthly_report_due_before_the_20th_moves_when_the_20th_is_a_sunday():
    # "trước ngày 20 hằng tháng": the last acceptable day is the 19th. In April
    # 2025 the 20th is a Sunday and the 19th a Saturday: the day off moves the
    # deadline to Monday 21/4 (Civil Code art. 148(5)). In May the 19th is a Monday.
    rule = ObligationDates("deadline", date(2025, 1, 20), None, "monthly", 2025, strict_before=True)
    assert occurrence(rule, "2025-04", VN, HCM).day == date(2025, 4, 21)
    assert occurrence(rule, "2025-04", VN, HCM).due_at.astimezone(HCM).isoformat() == "2025-04-21T23:59:59+07:00"
    assert occurrence(rule, "2025-05", VN, HCM).day == date(2025, 5, 19)
    assert occurrence(rule, "2025-01", VN, HCM).day == date(2025, 1, 20)  # Monday 20/1, before is Sunday 19 -> 20


def test_monthly_due_on_the_20th_that_is_a_sunday_moves_to_monday():
    rule = ObligationDates("deadline", date(2025, 1, 20), None, "monthly", 2025)
    assert occurrence(rule, "2025-07", VN, HCM).day == date(2025, 7, 21)  # 20/7/2025 is a Sunday


def test_monthly_day_past_a_month_end_takes_its_last_day_when_allowed():
    rule = ObligationDates("deadline", date(2025, 1, 31), None, "monthly", 2025, shift="none")
    assert [occurrence(rule, p, VN, HCM).day for p in ("2025-02", "2025-04", "2025-05")] == [
        date(2025, 2, 28), date(2025, 4, 30), date(2025, 5, 31)]


def test_decree_09_data_periods_for_every_kind_of_period():
    assert decree09("2025-01").words() == "Số liệu tính từ 15/12/2024 đến 14/1/2025"
    assert decree09("2025-03").words() == "Số liệu tính từ 15/2/2025 đến 14/3/2025"
    assert decree09("2025-Q1").words() == "Số liệu tính từ 15/12/2024 đến 14/3/2025"
    assert decree09("2025-Q3").words() == "Số liệu tính từ 15/6/2025 đến 14/9/2025"
    assert decree09("2025-H1").words() == "Số liệu tính từ 15/12/2024 đến 14/6/2025"
    assert decree09("2025-H2").words() == "Số liệu tính từ 15/6/2025 đến 14/12/2025"
    assert decree09("2025-9M").words() == "Số liệu tính từ 15/12/2024 đến 14/9/2025"
    assert decree09("2025").words() == "Số liệu tính từ 15/12/2024 đến 14/12/2025"


def test_three_working_days_after_the_cut_off_14_6_skip_the_weekend_and_a_day_off():
    # 14/6/2025 is a Saturday: Monday 16, Tuesday 17, Wednesday 18.
    rule = ObligationDates("deadline", date(2025, 6, 14), None, "half-yearly", 2025, after_cutoff=3, data=DECREE)
    assert occurrence(rule, "2025-H1", VN, HCM).day == date(2025, 6, 18)
    # A day off the province adds (calendar.extra_days_off) pushes it one more day.
    province = WorkCalendar(extra_days_off=frozenset({date(2025, 6, 17)}))
    assert occurrence(rule, "2025-H1", province, HCM).day == date(2025, 6, 19)
    # H2: cut-off Sunday 14/12/2025 -> 15, 16, 17 December.
    assert occurrence(rule, "2025-H2", VN, HCM).day == date(2025, 12, 17)
    assert occurrence(rule, "2025-H2", VN, HCM).due_at.astimezone(HCM).isoformat() == "2025-12-17T23:59:59+07:00"


def test_tet_inside_a_monthly_period_and_after_its_cut_off():
    rule = ObligationDates("deadline", date(2026, 1, 14), None, "monthly", 2026, after_cutoff=3, data=DECREE)
    # Tết 2026 (16-20/2) falls inside March's figures, which still run 15/2 - 14/3 ...
    assert data_period(rule, "2026-03").words() == "Số liệu tính từ 15/2/2026 đến 14/3/2026"
    # ... and right after February's cut-off (Saturday 14/2): the three working
    # days are 23, 24 and 25 February.
    assert occurrence(rule, "2026-02", VN, HCM).day == date(2026, 2, 25)
    assert occurrence(rule, "2026-01", VN, HCM).day == date(2026, 1, 19)  # cut-off Wed 14/1: 15, 16, 19


def test_tet_2025_inside_february_figures_leaves_a_fixed_day_deadline_alone():
    rule = ObligationDates("deadline", date(2025, 1, 20), None, "monthly", 2025, strict_before=True, data=DECREE)
    assert data_period(rule, "2025-02").words() == "Số liệu tính từ 15/1/2025 đến 14/2/2025"  # Tết 28/1 - 2/2
    assert occurrence(rule, "2025-02", VN, HCM).day == date(2025, 2, 19)


def test_nine_month_report_once_a_year():
    rule = ObligationDates("deadline", date(2025, 9, 20), None, "nine-monthly", 2025, strict_before=True,
                           data=DECREE)
    occs = occurrences(rule, until=date(2026, 12, 31), calendar=VN, tz=HCM)
    # 19/9/2025 is a Friday; 19/9/2026 a Saturday -> Monday 21/9/2026.
    assert [(o.period, o.day) for o in occs] == [("2025-9M", date(2025, 9, 19)), ("2026-9M", date(2026, 9, 21))]
    assert data_period(rule, "2026-9M").words() == "Số liệu tính từ 15/12/2025 đến 14/9/2026"


def test_explicit_data_period_follows_the_first_by_the_period_length():
    rule = ObligationDates("deadline", date(2025, 6, 20), None, "half-yearly", 2025,
                           data=DataPeriodRule("explicit", date(2024, 12, 15), date(2025, 6, 14)))
    assert data_period(rule, "2025-H1").words() == "Số liệu tính từ 15/12/2024 đến 14/6/2025"
    assert data_period(rule, "2025-H2").words() == "Số liệu tính từ 15/6/2025 đến 14/12/2025"
    assert data_period(rule, "2026-H1").words() == "Số liệu tính từ 15/12/2025 đến 14/6/2026"


def test_obligation_without_a_data_period_has_none():
    assert data_period(ObligationDates("deadline", date(2025, 1, 20), None, "monthly", 2025), "2025-02") is None


@pytest.mark.parametrize("period, words", [
    ("2025-Q1", "Quý I/2025"), ("2025-Q4", "Quý IV/2025"), ("2025-H1", "6 tháng đầu năm 2025"),
    ("2025-H2", "6 tháng cuối năm 2025"), ("2025", "năm 2025"), ("2025-01", "tháng 1/2025"),
    ("2025-12", "tháng 12/2025"), ("2025-9M", "9 tháng năm 2025"),
])
def test_period_words(period, words):
    assert period_words(period) == words


def test_period_span_is_the_calendar_days_of_a_period():
    assert period_span("2025-Q1") == (date(2025, 1, 1), date(2025, 3, 31))
    assert period_span("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert period_span("2025") == (date(2025, 1, 1), date(2025, 12, 31))
    with pytest.raises(ValueError, match="'2025-H3' is not a period"):
        period_span("2025-H3")
