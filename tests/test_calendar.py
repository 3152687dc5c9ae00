"""Working days and deadline instants, with the seeds' real dates."""

import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tracker.core.calendar import WorkCalendar
from tracker.core.errors import ConfigError
from tracker.core.schedule import (
    DateError, ObligationDates, end_of_day, is_late, last_acceptable_day, occurrence, occurrences, parse_date,
    shift_months,
)

VN = WorkCalendar()
HCM = ZoneInfo("Asia/Ho_Chi_Minh")


def test_weekends_are_not_working_days():
    assert VN.is_working_day(date(2021, 5, 28))  # Friday
    assert not VN.is_working_day(date(2021, 5, 29))  # Saturday
    assert not VN.is_working_day(date(2021, 5, 30))  # Sunday


def test_tet_2021_is_off_from_10_to_16_february():
    assert [VN.is_working_day(date(2021, 2, d)) for d in range(9, 18)] == [
        True, False, False, False, False, False, False, False, True]


def test_government_swapped_saturday_is_a_working_day():
    # 26/4/2025 (Saturday) was worked to make 2/5/2025 a day off.
    assert VN.is_working_day(date(2025, 4, 26))
    assert not VN.is_working_day(date(2025, 5, 2))


def test_configured_extra_days_off_and_working_days_win():
    cal = WorkCalendar(extra_days_off=frozenset({date(2026, 3, 2)}),
                       extra_working_days=frozenset({date(2026, 3, 7)}))
    assert not cal.is_working_day(date(2026, 3, 2))
    assert cal.is_working_day(date(2026, 3, 7))


@pytest.mark.parametrize("country", ["VN", "TH"])
def test_a_country_loaded_alone_has_the_same_days_off_as_the_holidays_package(country):
    import holidays

    from tracker.core.calendar import _country_holidays

    for year in range(2019, 2031):
        official = holidays.country_holidays(country, years=[year])
        swapped = frozenset(d for d in getattr(official, "weekend_workdays", ()) if d.year == year)
        assert _country_holidays(country, year) == (frozenset(official.keys()), swapped)


def test_the_holiday_table_loads_one_country_not_all_of_them():
    # Start-up cost: the package's own lookup imports ~250 countries (0.1 s).
    code = ("import sys; from datetime import date; from tracker.core.calendar import WorkCalendar; "
            "WorkCalendar().is_working_day(date(2026, 2, 17)); "
            "print(sorted(m for m in sys.modules if m.startswith('holidays.countries')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['holidays.countries.vietnam']"


def test_an_unknown_country_code_is_a_config_error_naming_the_key():
    with pytest.raises(ConfigError, match=r"^calendar.country: 'XX' is not a country code of the holidays package"):
        WorkCalendar(country="XX").is_working_day(date(2026, 2, 17))


def test_strict_deadline_on_sunday_30_5_2021_ends_monday_31_5():
    # "trước ngày 30/5/2021": last day Sat 29/5, a day off -> Mon 31/5.
    day = last_acceptable_day(date(2021, 5, 30), strict_before=True, shift="next_working_day", calendar=VN)
    assert day == date(2021, 5, 31)


def test_at_the_latest_on_sunday_15_11_2020_moves_to_monday_16_11():
    day = last_acceptable_day(date(2020, 11, 15), strict_before=False, shift="next_working_day", calendar=VN)
    assert day == date(2020, 11, 16)


def test_saturday_15_2_2025_moves_to_monday_17_2():
    day = last_acceptable_day(date(2025, 2, 15), strict_before=False, shift="next_working_day", calendar=VN)
    assert day == date(2025, 2, 17)


def test_no_shift_keeps_a_deadline_on_a_day_off():
    day = last_acceptable_day(date(2021, 5, 30), strict_before=True, shift="none", calendar=VN)
    assert day == date(2021, 5, 29)


def test_deadline_in_tet_moves_past_the_whole_holiday():
    day = last_acceptable_day(date(2021, 2, 12), strict_before=False, shift="next_working_day", calendar=VN)
    assert day == date(2021, 2, 17)


def test_deadline_instant_is_the_last_second_of_the_day_in_hanoi_stored_as_utc():
    instant = end_of_day(date(2021, 5, 31), HCM)
    assert instant.isoformat() == "2021-05-31T16:59:59+00:00"
    assert instant.astimezone(HCM).isoformat() == "2021-05-31T23:59:59+07:00"


def test_submission_in_the_last_second_is_on_time_and_one_second_later_is_late():
    due = end_of_day(date(2021, 5, 31), HCM)
    assert not is_late(datetime(2021, 5, 31, 23, 59, 59, tzinfo=HCM), due)
    assert is_late(datetime(2021, 6, 1, 0, 0, 0, tzinfo=HCM), due)


@pytest.mark.parametrize("text, expected", [
    ("30/5", date(2021, 5, 30)), ("10/3/2022", date(2022, 3, 10)), ("2021-11-30", date(2021, 11, 30)),
    (" 1/ 6 /2021 ", date(2021, 6, 1)),
])
def test_dates_are_d_m_d_m_yyyy_or_iso(text, expected):
    assert parse_date(text, 2021) == expected


@pytest.mark.parametrize("text", ["31/2", "29/2/2021", "32/1", "0/5", "2021-13-01", "mai", "30-5"])
def test_impossible_or_malformed_dates_are_errors(text):
    with pytest.raises(DateError):
        parse_date(text, 2021)


def test_29_february_falls_on_28_february_in_common_years():
    assert shift_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert shift_months(date(2024, 2, 29), 48) == date(2028, 2, 29)


def test_quarterly_deadline_has_four_periods_a_year_three_months_apart():
    rule = ObligationDates("deadline", date(2021, 3, 31), None, "quarterly", 2021)
    occs = occurrences(rule, until=date(2021, 12, 31), calendar=VN, tz=HCM)
    # Counted from the anchor each time: 30/6 and 30/9 (those months lack a 31st), then 31/12.
    assert [(o.period, o.day) for o in occs] == [
        ("2021-Q1", date(2021, 3, 31)), ("2021-Q2", date(2021, 6, 30)),
        ("2021-Q3", date(2021, 9, 30)), ("2021-Q4", date(2021, 12, 31))]


def test_half_yearly_report_before_the_15th_of_june_and_december():
    rule = ObligationDates("deadline", date(2022, 6, 15), None, "half-yearly", 2022, strict_before=True)
    occs = occurrences(rule, until=date(2023, 6, 30), calendar=VN, tz=HCM)
    assert [(o.period, o.day) for o in occs] == [
        ("2022-H1", date(2022, 6, 14)), ("2022-H2", date(2022, 12, 14)), ("2023-H1", date(2023, 6, 14))]
    assert occurrence(rule, "2023-H2", VN, HCM).day == date(2023, 12, 14)


def test_yearly_obligation_materialises_one_period_per_year_up_to_the_horizon():
    rule = ObligationDates("deadline", date(2021, 5, 30), None, "yearly", 2021, strict_before=True)
    occs = occurrences(rule, until=date(2023, 5, 29), calendar=VN, tz=HCM)
    assert [(o.period, o.day) for o in occs] == [("2021", date(2021, 5, 31)), ("2022", date(2022, 5, 30))]


def test_one_off_obligation_has_only_the_plan_year():
    rule = ObligationDates("deadline", date(2021, 3, 10), None, "none", 2021, strict_before=True)
    assert [o.period for o in occurrences(rule, until=date(2030, 1, 1), calendar=VN, tz=HCM)] == ["2021"]


def test_window_occurrence_spans_start_of_first_day_to_end_of_last():
    rule = ObligationDates("window", date(2021, 11, 15), date(2021, 12, 15), "yearly", 2021)
    occ = occurrence(rule, 2022, VN, HCM)
    assert occ.due_at.astimezone(HCM).isoformat() == "2022-11-15T00:00:00+07:00"
    assert occ.ends_at.astimezone(HCM).isoformat() == "2022-12-15T23:59:59+07:00"
