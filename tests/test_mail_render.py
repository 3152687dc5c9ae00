"""Rendering digests: Vietnamese and English wording, dates, overrides. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import pytest

from tests.mail_support import digest, item, with_language
from tracker.core.errors import ConfigError
from tracker.render.mail import clean_header, render_digest, weekday_date
from tracker.core.retry import backoff

UTC = timezone.utc


def test_vietnamese_weekday_names():
    monday = date(2021, 5, 31)
    names = [weekday_date(monday + timedelta(days=n), "vi").split(",")[0] for n in range(7)]
    assert names == ["Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật"]
    assert weekday_date(date(2021, 5, 30), "en") == "Sunday, 30/05/2021"


def test_digest_in_vietnamese(settings):
    d = digest(items=(
        item(),
        item("ngay-8-3", kind="event", stage="event:before:1", title="Kỷ niệm Ngày Quốc tế Phụ nữ 8/3",
             due=datetime(2021, 5, 24, 17, 0, tzinfo=UTC), source=None),
        item("thang-hanh-dong", kind="window", stage="window:before:7", title="Tháng hành động",
             due=datetime(2021, 5, 30, 17, 0, tzinfo=UTC), ends_at=datetime(2021, 6, 30, 16, 59, tzinfo=UTC)),
    ))
    r = render_digest(d, settings)
    assert r.subject == "[Nhắc hạn] 3 công việc cần chú ý"
    assert r.text.startswith("Kính gửi: Sở Y tế\n\nHệ thống nhắc hạn xin thông báo 3 công việc cần chú ý "
                             "(tính đến Thứ Hai, 24/05/2021):\n")
    assert ("3. Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ\n"
            "   Đơn vị thực hiện: Sở Y tế\n"
            "   Kỳ: năm 2021\n"
            "   Hạn: Thứ Hai, 31/05/2021 (còn 7 ngày)\n"
            '   Theo kế hoạch: "Báo cáo 06 tháng ... gửi trước ngày 30/5/2021."\n'
            "   Việc cần làm: Đề nghị đơn vị hoàn thành và gửi đúng hạn.\n") in r.text
    assert r.text.index("1. Kỷ niệm") < r.text.index("2. Tháng hành động")  # by date
    assert "   Ngày: Thứ Ba, 25/05/2021 (còn 1 ngày nữa)\n" in r.text
    assert "   Thời gian: từ Thứ Hai, 31/05/2021 đến Thứ Tư, 30/06/2021 (còn 7 ngày nữa là bắt đầu)\n" in r.text
    assert r.html is not None and '<html lang="vi">' in r.html


def test_single_item_subject_and_due_today(settings):
    d = digest(items=(item(stage="before:0", due=datetime(2021, 5, 24, 16, 59, 59, tzinfo=UTC)),))
    r = render_digest(d, settings)
    assert r.subject == ("[Hạn hôm nay] Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ – "
                         "hạn chót là hôm nay")
    assert "Hôm nay là hạn chót" in r.text


def test_a_deadline_day_reminder_caught_up_the_morning_after_reads_as_overdue(settings):
    # Due Friday 21/05 (end of day, 16:59:59 UTC); the daemon was down and sends on Monday 24/05.
    d = digest(items=(item(stage="before:0", due=datetime(2021, 5, 21, 16, 59, 59, tzinfo=UTC)),))
    r = render_digest(d, settings)
    assert r.subject == ("[Quá hạn] Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ – "
                         "đã quá hạn 3 ngày")
    assert "   Việc cần làm: Đơn vị đã quá hạn: đề nghị gửi ngay và báo cáo lý do chậm trễ.\n" in r.text
    assert "Hôm nay là hạn chót" not in r.text


def test_a_window_start_caught_up_days_later_is_under_way_not_due_today(settings):
    # The window opened on Friday 21/05 (local midnight, 17:00 UTC the day before); sent Monday 24/05.
    window = item("thang-hanh-dong", kind="window", stage="window:start", title="Tháng hành động",
                  due=datetime(2021, 5, 20, 17, 0, tzinfo=UTC), ends_at=datetime(2021, 6, 30, 16, 59, tzinfo=UTC))
    assert render_digest(digest(items=(window,)), settings).subject == "[Nhắc hạn] Tháng hành động – đã bắt đầu 3 ngày trước"
    on_time = digest(at=datetime(2021, 5, 21, 1, 0, tzinfo=UTC), items=(window,))
    assert render_digest(on_time, settings).subject == "[Hạn hôm nay] Tháng hành động – bắt đầu hôm nay"
    # A window opening on Saturday 22/05 gets its start notice on the working day before.
    saturday = replace(window, due_at=datetime(2021, 5, 21, 17, 0, tzinfo=UTC))
    assert (render_digest(digest(at=datetime(2021, 5, 21, 1, 0, tzinfo=UTC), items=(saturday,)), settings).subject
            == "[Nhắc hạn] Tháng hành động – còn 1 ngày nữa là bắt đầu")


def test_resolved_and_late_wording(settings):
    late = item(stage="after:2", due=datetime(2021, 5, 20, 16, 59, 59, tzinfo=UTC))
    resolved = replace(item("bao-cao-nam", stage="resolved"), submitted_at=datetime(2021, 5, 23, 3, 0, tzinfo=UTC))
    r = render_digest(digest(items=(late, resolved)), settings)
    assert r.subject == "[Quá hạn] 1 công việc cần chú ý, 1 việc quá hạn, đã nhận 1 báo cáo"
    assert "(đã quá hạn 4 ngày)" in r.text and "đề nghị chỉ đạo, đôn đốc" in r.text
    assert "   Đã nộp ngày: Chủ Nhật, 23/05/2021\n" in r.text


def test_english(settings):
    r = render_digest(digest(items=(item(), item("x", stage="after:1", due=datetime(2021, 5, 22, 16, 59,
                                                                                    tzinfo=UTC)))),
                      with_language(settings, "en"))
    assert r.subject == "[Overdue] 2 items need attention, 1 overdue"
    assert "   Deadline: Monday, 31/05/2021 (7 days left)\n" in r.text
    assert "   Deadline: Saturday, 22/05/2021 (2 days late)\n" in r.text


def test_html_escapes_names(settings):
    d = digest(name="<script>alert(1)</script>", items=(item(unit_name="A & B <i>"),))
    r = render_digest(d, settings)
    assert "<script>" not in r.html and "&lt;script&gt;" in r.html and "A &amp; B &lt;i&gt;" in r.html
    assert "Kính gửi: <script>alert(1)</script>" in r.text  # plain text stays plain


def test_subject_cannot_carry_line_breaks(settings):
    d = digest(items=(item(title="Báo cáo\r\nBcc: spy@evil.example\nX: y"),))
    subject = render_digest(d, settings).subject
    assert "\n" not in subject and "\r" not in subject
    assert clean_header("a\r\n\tb\x00c\u2028d") == "a b c d"


def test_templates_overridden_from_config(settings, tmp_path):
    custom = tmp_path / "my-templates" / "vi"
    custom.mkdir(parents=True)
    (custom / "digest_subject.txt").write_text("Nhắc việc cho {{ recipient_name }}", encoding="utf-8")
    (custom / "digest.txt").write_text(
        "{% for i in items %}{{ i.title }}: {{ i.due_text }}\n{% endfor %}", encoding="utf-8")
    custom_settings = replace(settings, mail=replace(settings.mail, templates_dir=str(custom.parent)))
    r = render_digest(digest(), custom_settings)
    assert r.subject == "Nhắc việc cho Sở Y tế"
    assert r.text == "Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ: Thứ Hai, 31/05/2021\n"
    assert r.html is not None and "Kính gửi" in r.html  # not overridden: the shipped one


def test_broken_template_names_the_file(settings, tmp_path):
    (tmp_path / "t" / "vi").mkdir(parents=True)
    (tmp_path / "t" / "vi" / "digest.txt").write_text("{{ nothing_here }}", encoding="utf-8")
    broken = replace(settings, mail=replace(settings.mail, templates_dir=str(tmp_path / "t")))
    with pytest.raises(ConfigError, match=r"digest\.txt.*nothing_here"):
        render_digest(digest(), broken)
    missing = replace(settings, mail=replace(settings.mail, templates_dir=str(tmp_path / "absent")))
    with pytest.raises(ConfigError, match="not a directory"):
        render_digest(digest(), missing)


def test_backoff_doubles_and_caps():
    assert [backoff(n) for n in range(1, 9)] == [timedelta(minutes=m) for m in (5, 10, 20, 40, 80, 160, 320, 360)]
    assert backoff(0) == timedelta(0) and backoff(10_000) == timedelta(hours=6)


def test_render_subject_matches_render_digest(settings):
    from tracker.render.mail import render_subject

    for d in (digest(), digest(items=(item(), item("x", stage="after:1")))):
        assert render_subject(d, settings) == render_digest(d, settings).subject


def test_templates_are_read_once_per_process(settings, monkeypatch):
    import jinja2

    d = digest()
    first = render_digest(d, settings)

    def no_file_access(*args, **kwargs):
        raise AssertionError("a template file was read or checked again")

    monkeypatch.setattr(jinja2.FileSystemLoader, "get_source", no_file_access)
    monkeypatch.setattr("os.path.getmtime", no_file_access)
    assert render_digest(d, settings) == first
