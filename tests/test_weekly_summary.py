"""The weekly summary: on the configured weekday, from the send hour, one
message to the coordinator: overdue, submitted this week, due next week."""

from sqlalchemy import select

from tests.conftest import at, load_sample
from tracker.config import load_settings
from tracker.services.records import submit
from tracker.services.runtime import Runtime
from tracker.services.tick import tick
from tracker.store.models import OutboxMessage


def weekly_rt(rt, tmp_path):
    cfg = tmp_path / "weekly.toml"
    cfg.write_text(f'[mail]\ntransport = "file"\noutbox_dir = "{tmp_path / "out"}"\n'
                   '[schedule]\nweekly_summary = "fri"\n', encoding="utf-8")
    return Runtime(load_settings(cfg, environ={}), rt.store, actor="tester")


def summaries(rt):
    with rt.store.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.key.like("weekly|%"))))


def test_the_coordinator_gets_one_weekly_summary_on_the_configured_weekday(rt, tmp_path):
    wrt = weekly_rt(rt, tmp_path)
    load_sample(wrt, at("2021-03-01T09:00"))
    submit(wrt, at("2021-05-26T09:00"), "syt", "bao-cao-6-thang", period="2021", at=at("2021-05-26T09:00"))
    tick(wrt, at("2021-05-27T08:00"))  # Thursday: nothing
    assert summaries(wrt) == []
    tick(wrt, at("2021-05-28T08:00"))  # Friday at the send hour
    tick(wrt, at("2021-05-28T08:05"))  # a second pass adds nothing
    [msg] = summaries(wrt)
    assert msg.key == "weekly|sldtbxh|2021-05-28" and msg.to_addrs == ["vanthu@sldtbxh.example.vn",
                                                                      "binhdanggioi@sldtbxh.example.vn"]
    assert msg.subject == "[Tổng hợp tuần] 14 việc quá hạn, 1 đã nộp, 13 đến hạn tuần tới"
    body = msg.body_text
    assert "== Đã nộp trong 7 ngày qua (1) ==\n- Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ " \
           "(năm 2021, hạn 31/05/2021; hn-2021-43): Sở Y tế\n" in body
    assert "== Quá hạn, chưa nộp (14) ==" in body and "== Đến hạn trong 7 ngày tới (13) ==" in body


def test_no_weekly_summary_when_none_is_configured(rt):
    load_sample(rt, at("2021-03-01T09:00"))
    tick(rt, at("2021-05-28T08:00"))
    assert summaries(rt) == []


def test_the_weekly_summary_has_an_html_part_with_the_digests_look_escaped_beside_its_text(rt, tmp_path):
    from email import message_from_bytes, policy

    wrt = weekly_rt(rt, tmp_path)
    load_sample(wrt, at("2021-03-01T09:00"))
    with wrt.store.write() as s:  # a unit name a browser would read as markup
        from tracker.store.models import Unit

        s.scalars(select(Unit).where(Unit.code == "syt")).one().name = "Sở Y tế <b>& Cục</b>"
    submit(wrt, at("2021-05-26T09:00"), "syt", "bao-cao-6-thang", period="2021", at=at("2021-05-26T09:00"))
    tick(wrt, at("2021-05-28T08:00"))
    [msg] = summaries(wrt)
    assert msg.body_text.startswith("Kính gửi: Sở Lao động - Thương binh và Xã hội\n")  # the text part stays
    html = msg.body_html
    assert html.startswith("<!DOCTYPE html>") and 'font-family: Arial' in html
    assert "<td>Sở Y tế &lt;b&gt;&amp; Cục&lt;/b&gt;</td>" in html and "<b>& Cục" not in html
    assert "Đã nộp trong 7 ngày qua (1)</h3>" in html and "Quá hạn, chưa nộp (14)</h3>" in html
    assert "<td>năm 2021</td>\n<td>31/05/2021</td>\n<td>hn-2021-43</td>" in html
    sent = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "out").glob("*.eml")]
    [weekly] = [m for m in sent if str(m["Subject"]).startswith("[Tổng hợp tuần]")]
    assert weekly.get_content_type() == "multipart/alternative"
    assert weekly.get_body(("html",)).get_content().replace("\r\n", "\n") == html
    assert weekly.get_body(("plain",)).get_content().replace("\r\n", "\n") == msg.body_text


def test_leadership_gets_the_weekly_summary_of_every_plan_when_configured(rt, tmp_path):
    cfg = tmp_path / "weekly.toml"
    cfg.write_text(f'[mail]\ntransport = "file"\noutbox_dir = "{tmp_path / "out"}"\n'
                   '[schedule]\nweekly_summary = "fri"\nweekly_summary_to = ["coordinator", "leadership"]\n'
                   '[escalation]\nleadership = ["lanhdao@ubnd.example.vn"]\n', encoding="utf-8")
    wrt = Runtime(load_settings(cfg, environ={}), rt.store, actor="tester")
    load_sample(wrt, at("2021-03-01T09:00"))
    tick(wrt, at("2021-05-28T08:00"))
    by_key = {m.key: m for m in summaries(wrt)}
    assert sorted(by_key) == ["weekly|leadership|2021-05-28", "weekly|sldtbxh|2021-05-28"]
    lead = by_key["weekly|leadership|2021-05-28"]
    assert lead.to_addrs == ["lanhdao@ubnd.example.vn"] and lead.body_text.startswith("Kính gửi: Lãnh đạo\n")
    assert "<strong>Lãnh đạo</strong>" in lead.body_html
