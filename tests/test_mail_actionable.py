"""Mail a unit can act on: the period in words, the plan's number and date,
where to send, a subject that tells the truth, receipts that are not work,
coordinator digests grouped by obligation, the last reminder said as such."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone

from tests.mail_support import digest, item
from tracker.render.mail import render_digest

UTC = timezone.utc


def test_the_period_is_written_in_words_in_mail(settings):
    d = digest(items=(replace(item(), period="2025-Q1"),))
    assert "   Kỳ: Quý I/2025\n" in render_digest(d, settings).text
    d = digest(items=(replace(item(), period="2025-H1"),))
    assert "   Kỳ: 6 tháng đầu năm 2025\n" in render_digest(d, settings).text


def test_mail_names_the_plan_by_its_number_and_date(settings):
    d = digest(items=(replace(item(), plan_number="486/KH-SYT", plan_issued_on=date(2025, 2, 21)),))
    text = render_digest(d, settings).text
    assert "== Triển khai công tác bình đẳng giới năm 2021 (hn-2021-43) ==\nKế hoạch số 486/KH-SYT ngày 21/02/2025\n" in text


def test_mail_says_where_and_how_to_send_the_report(settings):
    d = digest(items=(replace(item(), report_to="Sở Lao động - Thương binh và Xã hội",
                              submit_to="Bản giấy và bản điện tử qua hệ thống quản lý văn bản"),))
    text = render_digest(d, settings).text
    assert ("   Gửi về: Sở Lao động - Thương binh và Xã hội\n"
            "   Cách gửi: Bản giấy và bản điện tử qua hệ thống quản lý văn bản\n") in text


def test_the_subject_says_due_today_only_when_something_is_due_today(settings):
    # A window starting Sunday 15/11/2026 announced on Friday 13/11 (its start moved to the working day before).
    window = item("thang-hanh-dong", kind="window", stage="window:start", title="Tháng hành động",
                  due=datetime(2026, 11, 14, 17, 0, tzinfo=UTC), ends_at=datetime(2026, 12, 15, 16, 59, 59, tzinfo=UTC))
    friday = datetime(2026, 11, 13, 1, 0, tzinfo=UTC)
    r = render_digest(digest(at=friday, items=(window,)), settings)
    assert r.subject.startswith("[Nhắc hạn] Tháng hành động")
    # A deadline on Sunday (shift: none) whose day-0 reminder moved to Friday is not due today either.
    sunday = item(stage="before:0", due=datetime(2026, 11, 15, 16, 59, 59, tzinfo=UTC))
    assert render_digest(digest(at=friday, items=(sunday,)), settings).subject.startswith("[Nhắc hạn]")
    # On its day it is.
    monday = item(stage="before:0", due=datetime(2026, 11, 16, 16, 59, 59, tzinfo=UTC))
    assert render_digest(digest(at=datetime(2026, 11, 16, 1, 0, tzinfo=UTC), items=(monday,)),
                         settings).subject.startswith("[Hạn hôm nay]")


def test_receipts_are_not_work_needing_attention(settings):
    resolved = [replace(item(unit=u, unit_name=n, stage="resolved"), submitted_at=datetime(2021, 6, 3, 3, 0, tzinfo=UTC))
                for u, n in (("syt", "Sở Y tế"), ("stc", "Sở Tài chính"))]
    r = render_digest(digest(unit="sldtbxh", name="Sở LĐTBXH", items=tuple(resolved)), settings)
    assert r.subject == "[Đã nhận] Đã nhận 2 báo cáo"
    assert "cần chú ý" not in r.text
    assert "Hệ thống nhắc hạn xin thông báo đã nhận 2 báo cáo (tính đến" in r.text


def test_a_coordinator_digest_groups_items_by_obligation(settings):
    items = tuple(item(unit=u, unit_name=n, stage="after:2") for u, n in
                  (("syt", "Sở Y tế"), ("stc", "Sở Tài chính"), ("snv", "Sở Nội vụ")))
    r = render_digest(digest(unit="sldtbxh", name="Sở LĐTBXH", at=datetime(2021, 6, 3, 1, 0, tzinfo=UTC),
                             items=items), settings)
    assert r.text.count("Báo cáo 06 tháng công tác bình đẳng giới") == 1
    assert "   Đơn vị thực hiện (3): Sở Nội vụ, Sở Tài chính, Sở Y tế\n" in r.text


def test_level_three_without_a_leadership_list_says_it_is_the_last_reminder(settings):
    d = digest(unit="sldtbxh", name="Sở LĐTBXH", at=datetime(2021, 6, 9, 1, 0, tzinfo=UTC),
               items=(item(stage="after:3"),))
    assert "   Việc cần làm: Lần nhắc cuối cùng: đơn vị vẫn chưa gửi dù đã quá hạn" in render_digest(d, settings).text
    lead = digest(unit=None, name="Lãnh đạo", at=datetime(2021, 6, 9, 1, 0, tzinfo=UTC), items=(item(stage="after:3"),))
    assert "Lần nhắc cuối" not in render_digest(lead, settings).text


def test_an_extended_deadline_says_it_was_extended(settings):
    d = digest(items=(replace(item(stage="before:3", due=datetime(2021, 6, 14, 16, 59, 59, tzinfo=UTC)), extended=True),))
    assert "   Hạn: đã gia hạn đến Thứ Hai, 14/06/2021 (còn 21 ngày)\n" in render_digest(d, settings).text
