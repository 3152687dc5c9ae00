"""Long digests: at most [mail] max_items listed, the rest summarised by obligation
and attached as CSV; a pass renders each message once, however many batches."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from sqlalchemy import select

from tests.conftest import at, load_sample
from tracker.core.digest import Digest, DigestItem
from tracker.core.digest_summary import DigestCutter, SummaryLine
from tracker.render.digest_csv import CsvCut, DigestCsv, attachment_name
from tracker.render.mail import render_long_digest
from tracker.render.message import build_message
from tracker.services.tick import tick
from tracker.store.models import OutboxMessage

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
AT = datetime(2026, 7, 1, 8, 0, tzinfo=TZ).astimezone(timezone.utc)


def _items() -> list[DigestItem]:
    """5,000 overdue items: 5 obligations x 1,000 units, in the composer's order (obligation, unit)."""
    out = []
    for k in range(5):
        due = datetime(2026, 6, 1 + 5 * k, 23, 59, 59, tzinfo=TZ).astimezone(timezone.utc)
        for u in range(1000):
            out.append(DigestItem(
                plan="kh-2026", plan_title="Kế hoạch 2026", obligation=f"bc-{k}", title=f"Báo cáo {k}",
                kind="deadline", unit=f"u{u:04d}", unit_name=f"Xã số {u}", period="2026", stage="after:2",
                due_at=due, strict_before=True))
    return out


def test_a_digest_of_5000_items_lists_50_summarises_the_rest_and_attaches_them_all(settings):
    items = _items()
    cutter, table = DigestCutter(AT, TZ, settings.mail.max_items), DigestCsv(AT, TZ)
    for item in items:
        cutter.add(item)
        table.add(item)
    cut = cutter.finish()
    assert settings.mail.max_items == 50
    # The most urgent: the oldest deadline (1 June, 30 days late), units in order.
    assert [(i.obligation, i.unit) for i in cut.listed] == [("bc-0", f"u{u:04d}") for u in range(50)]
    assert (cut.total, cut.rest_total, cut.counts) == (
        5000, 4950, {"overdue": 5000, "today": 0, "upcoming": 0, "resolved": 0})
    assert cut.rest == (
        SummaryLine("kh-2026", "Kế hoạch 2026", "bc-0", "Báo cáo 0", 950, 950, 30),
        SummaryLine("kh-2026", "Kế hoạch 2026", "bc-1", "Báo cáo 1", 1000, 1000, 25),
        SummaryLine("kh-2026", "Kế hoạch 2026", "bc-2", "Báo cáo 2", 1000, 1000, 20),
        SummaryLine("kh-2026", "Kế hoạch 2026", "bc-3", "Báo cáo 3", 1000, 1000, 15),
        SummaryLine("kh-2026", "Kế hoạch 2026", "bc-4", "Báo cáo 4", 1000, 1000, 10),
    )

    name = attachment_name(AT, TZ, "vi")
    digest = Digest("unit:vp|2026-07-01T01:00:00Z", AT, "vp", "Văn phòng", ("vp@example.vn",), (), (), cut.listed)
    rendered = render_long_digest(digest, cut, settings, name)
    assert rendered.subject == "[Quá hạn] 5000 công việc cần chú ý, 5000 việc quá hạn"
    text = rendered.text
    # The 50 listed items are one obligation's: named once, with its 50 units (a coordinator's digest).
    assert text.count("   Đơn vị thực hiện (50): ") == 1 and text.count("Đơn vị thực hiện") == 1
    assert "Hệ thống nhắc hạn xin thông báo 5000 công việc cần chú ý (tính đến Thứ Tư, 01/07/2026):" in text
    assert text.split("== Còn 4950 công việc khác, tóm tắt theo nhiệm vụ ==\n", 1)[1].split("\n\n")[0] == (
        "- Báo cáo 0 (kh-2026/bc-0): 950 việc của 950 đơn vị, quá hạn nhiều nhất 30 ngày\n"
        "- Báo cáo 1 (kh-2026/bc-1): 1000 việc của 1000 đơn vị, quá hạn nhiều nhất 25 ngày\n"
        "- Báo cáo 2 (kh-2026/bc-2): 1000 việc của 1000 đơn vị, quá hạn nhiều nhất 20 ngày\n"
        "- Báo cáo 3 (kh-2026/bc-3): 1000 việc của 1000 đơn vị, quá hạn nhiều nhất 15 ngày\n"
        "- Báo cáo 4 (kh-2026/bc-4): 1000 việc của 1000 đơn vị, quá hạn nhiều nhất 10 ngày")
    assert "Danh sách đầy đủ 5000 công việc: tệp đính kèm cong-viec-2026-07-01.csv.\n" in text
    assert len(text) < 20_000

    data = table.finish()
    lines = ["plan,obligation,title,unit,unit_name,period,stage,due,days_late"]
    for k in range(5):
        lines += [f"kh-2026,bc-{k},Báo cáo {k},u{u:04d},Xã số {u},2026,after:2,2026-06-{1 + 5 * k:02d},{30 - 5 * k}"
                  for u in range(1000)]
    assert data == ("\r\n".join(lines) + "\r\n").encode("utf-8-sig")

    def build() -> bytes:
        return build_message(message_id="<outbox-7-abc@example.vn>", sender="tracker@example.vn", language="vi",
                             to=["vp@example.vn"], subject=rendered.subject, text=rendered.text, html=rendered.html,
                             date=AT, attachment=(name, data)).data

    wire = build()
    assert build() == wire  # every attempt sends the same bytes
    parsed = message_from_bytes(wire, policy=policy.default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    [attached] = list(parsed.iter_attachments())
    assert (attached.get_content_type(), attached.get_filename()) == ("text/csv", "cong-viec-2026-07-01.csv")
    assert attached.get_payload(decode=True) == data


def test_a_unit_counted_in_the_summary_only_when_some_of_its_items_are_not_listed(settings):
    # One unit, three periods of one obligation; two listed (max_items 2): the unit is still in the rest.
    due = [datetime(2026, m, 10, 23, 59, 59, tzinfo=TZ).astimezone(timezone.utc) for m in (3, 4, 5)]
    cutter = DigestCutter(AT, TZ, 2)
    for n, d in enumerate(due):
        cutter.add(DigestItem("p", "P", "o", "O", "deadline", "u1", "U1", f"2026-{n}", "after:3", d))
    cut = cutter.finish()
    assert [i.period for i in cut.listed] == ["2026-0", "2026-1"]
    assert cut.rest == (SummaryLine("p", "P", "o", "O", 1, 1, (AT.astimezone(TZ).date() - due[2].astimezone(TZ).date()).days),)


def _outbox(rt, since: int) -> list[OutboxMessage]:
    with rt.store.read() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.id > since).order_by(OutboxMessage.id)))


def test_a_pass_renders_each_message_once_however_many_batches(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))
    # Late everywhere: each unit's level-1 escalation and the coordinator's level 2, in batches of two.
    renders: Counter[str] = Counter()
    result = tick(rt, at("2021-06-04T08:00"), batch_size=2, render_calls=lambda key: renders.update([key]))
    assert result.sent and result.evaluated > 2 * 2  # several batches
    assert len(renders) == len(result.messages) == result.composed
    assert set(renders.values()) == {1}
    # A second pass at the same instant decides and renders nothing.
    again: Counter[str] = Counter()
    assert tick(rt, at("2021-06-04T08:00"), batch_size=2, render_calls=lambda key: again.update([key])).decided == 0
    assert not again


def test_a_coordinator_digest_over_max_items_is_queued_with_its_csv(rt):
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))
    rt = replace(rt, settings=replace(rt.settings, mail=replace(rt.settings.mail, max_items=3)))
    start = max([m.id for m in _outbox(rt, 0)] or [0])
    tick(rt, at("2021-06-04T08:00"), batch_size=4, deliver=False)
    long = [m for m in _outbox(rt, start) if m.attachment_name]
    assert long, "the coordinator's digest carries more than 3 items"
    for m in long:
        assert m.state == "queued" and len(m.items) == 3
        with rt.store.read() as s:
            data = s.get(OutboxMessage, m.id).attachment
        rows = data.decode("utf-8-sig").splitlines()
        assert rows[0] == "plan,obligation,title,unit,unit_name,period,stage,due,days_late"
        assert len(rows) - 1 > 3
        assert f"tệp đính kèm {m.attachment_name}." in m.body_text
    assert all(m.state == "queued" for m in _outbox(rt, start))


def test_messages_a_killed_pass_left_composing_are_composed_and_sent_by_the_next_pass(rt, monkeypatch):
    import tracker.services.tick

    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))
    start = max(m.id for m in _outbox(rt, 0))

    def killed(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies after its batches committed, before rendering

    real = tracker.services.tick.compose_pending
    monkeypatch.setattr(tracker.services.tick, "compose_pending", killed)
    try:
        tick(rt, at("2021-05-17T08:00"), batch_size=5)
    except KeyboardInterrupt:
        pass
    left = _outbox(rt, start)
    assert left and {m.state for m in left} == {"composing"} and {m.body_text for m in left} == {""}
    monkeypatch.setattr(tracker.services.tick, "compose_pending", real)
    later = tick(rt, at("2021-05-17T08:05"))
    assert (later.decided, later.composed) == (0, len(left))
    done = _outbox(rt, start)
    assert [m.id for m in done] == [m.id for m in left]
    assert {m.state for m in done} == {"sent"}
    assert all(m.items and m.items[0]["stage"] == "before:14" and m.body_text for m in done)


def _full_csv() -> tuple[bytes, list[bytes]]:
    """The header (with the byte-order mark) and each row of _items()'s CSV, as bytes."""
    header = "\ufeffplan,obligation,title,unit,unit_name,period,stage,due,days_late\r\n".encode("utf-8")
    rows = [f"kh-2026,bc-{k},Báo cáo {k},u{u:04d},Xã số {u},2026,after:2,2026-06-{1 + 5 * k:02d},{30 - 5 * k}\r\n"
            .encode("utf-8") for k in range(5) for u in range(1000)]
    return header, rows


def _csv_line(text: str) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow([text] + [""] * 8)
    return out.getvalue().encode("utf-8")


def test_a_csv_over_max_attachment_bytes_stops_at_a_whole_row_and_says_what_it_left_out():
    cap = 20_000
    link = "https://tracker.example.vn/c/TOKEN"
    table = DigestCsv(AT, TZ, cap, "vi")
    for item in _items():
        table.add(item)
    data = table.finish("cong-viec-2026-07-01.csv", link)

    def last(omitted: int) -> str:
        return (f"Tệp dừng ở giới hạn dung lượng của thư: còn {omitted} dòng không có trong tệp. Danh sách đầy đủ: "
                f"tracker export csv --plan kh-2026 -o cong-viec-2026-07-01.csv hoặc trang {link}")

    header, rows = _full_csv()
    # The most whole rows that fit under the limit together with the last line.
    kept = max(n for n in range(len(rows))
               if len(header) + sum(map(len, rows[:n])) + len(_csv_line(last(5000 - n))) <= cap)
    assert 250 < kept < 300  # about 70 bytes a row
    assert data == header + b"".join(rows[:kept]) + _csv_line(last(5000 - kept))
    assert len(data) <= cap
    assert table.cut == CsvCut(kept, 5000 - kept, "tracker export csv --plan kh-2026 -o cong-viec-2026-07-01.csv", link)
    parsed = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert {len(r) for r in parsed} == {9}  # a valid CSV: every line has the header's nine columns
    assert parsed[-1] == [last(5000 - kept)] + [""] * 8


def test_a_csv_under_max_attachment_bytes_is_the_whole_list_unchanged():
    header, rows = _full_csv()
    whole = header + b"".join(rows)
    for cap in (len(whole), 10 * len(whole)):
        table = DigestCsv(AT, TZ, cap, "vi")
        for item in _items():
            table.add(item)
        assert table.finish("cong-viec-2026-07-01.csv") == whole and table.cut is None
    one_less = DigestCsv(AT, TZ, len(whole) - 1, "en")
    for item in _items():
        one_less.add(item)
    cut = one_less.finish("items-2026-07-01.csv")
    assert one_less.cut is not None and cut.endswith(_csv_line(
        f"Cut at the mail size limit: {one_less.cut.omitted} more rows are not in this file. "
        "The full list: tracker export csv --plan kh-2026 -o items-2026-07-01.csv"))


def test_a_coordinator_digest_whose_csv_outgrows_the_limit_says_so_with_the_command_and_its_page(rt, monkeypatch):
    from tracker.services.links import COORDINATOR, Signer

    monkeypatch.setenv("TRACKER_WEB_SECRET", "s" * 40)
    load_sample(rt, at("2021-02-01T09:00"))
    tick(rt, at("2021-05-10T09:00"))
    s = rt.settings
    rt = replace(rt, settings=replace(s, mail=replace(s.mail, max_items=3, max_attachment_bytes=1200),
                                      web=replace(s.web, base_url="https://tracker.example.vn")))
    start = max(m.id for m in _outbox(rt, 0))
    tick(rt, at("2021-06-03T08:00"), deliver=False)  # level 2: every late unit, to the coordinator
    [m] = [m for m in _outbox(rt, start) if m.attachment_name]
    with rt.store.read() as session:
        data = session.get(OutboxMessage, m.id).attachment
    assert len(data) <= 1200
    *listed, last = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))[1:]
    total = int(re.search(r"có \d+ trong (\d+) công việc", m.body_text).group(1))
    omitted = total - len(listed)
    page = re.search(r"hoặc trang (\S+)$", last[0]).group(1)
    assert page.startswith("https://tracker.example.vn/c/")
    assert Signer(b"s" * 40).read_link(COORDINATOR, page.rsplit("/", 1)[1]) is not None
    command = f"tracker export csv --plan hn-2021-43 -o {m.attachment_name}"
    assert last == [f"Tệp dừng ở giới hạn dung lượng của thư: còn {omitted} dòng không có trong tệp. "
                    f"Danh sách đầy đủ: {command} hoặc trang {page}"] + [""] * 8
    assert (f"Tệp đính kèm {m.attachment_name} có {len(listed)} trong {total} công việc, theo giới hạn dung lượng "
            f"của thư; {omitted} công việc còn lại không có trong tệp. Danh sách đầy đủ: người quản trị hệ thống "
            f"chạy lệnh\n   {command}\nhoặc xem trên trang:\n{page}\n") in m.body_text
    assert f"<code>{command}</code>, hoặc xem trên <a href=\"{page}\">trang này</a>" in m.body_html
