"""The end-of-period scorecard message: subject and plain text. Pure.

The figures are in the attached workbook; the text says what it holds and the
headline of each period, so the message reads on a phone without opening it.
"""

from __future__ import annotations

from tracker.core.scorecard import Scorecard
from tracker.render.mail import clean_header
from tracker.render.scorecard_html import percent

SHOWN = 3  # units named at each end of the ranking


def attachment_name(cards: list[Scorecard]) -> str:
    """``xep-hang-2025.xlsx`` at a year's end (the widest period), ``xep-hang-2025-Q3.xlsx`` otherwise."""
    return f"xep-hang-{cards[-1].period}.xlsx"


def render_scorecard_mail(cards: list[Scorecard], coordinator_name: str, name: str | None) -> tuple[str, str]:
    """``name``: the attached workbook's file name; None when the message carries none."""
    words = ", ".join(c.words for c in cards)
    subject = clean_header(f"[Xếp hạng] Kết quả thực hiện chế độ báo cáo {words}")
    if name:
        intro = (f"Hệ thống nhắc hạn gửi kèm kết quả thực hiện chế độ báo cáo {words} của các đơn vị "
                 f"(tệp {name}: xếp hạng theo tỷ lệ nộp đúng hạn, theo đơn vị và theo báo cáo).")
    else:
        intro = (f"Hệ thống nhắc hạn xin báo cáo kết quả thực hiện chế độ báo cáo {words} của các đơn vị; "
                 f"bảng xếp hạng đầy đủ: tracker report scorecard --period {cards[-1].period} -o "
                 f"xep-hang-{cards[-1].period}.xlsx")
    lines = [f"Kính gửi: {coordinator_name}", "", intro, ""]
    for card in cards:
        t = card.total
        lines += [f"== {card.words} (hạn nộp từ {card.start:%d/%m/%Y} đến {card.end:%d/%m/%Y}) ==",
                  f"Phải nộp: {t.expected}; đúng hạn: {t.on_time}; trễ hạn: {t.late}; chưa nộp: {t.missing}; "
                  f"được miễn: {t.waived}; tỷ lệ đúng hạn: {percent(t.on_time_rate)}"]
        ranked = [u for u in card.units if u.rank is not None]
        if ranked:
            lines.append("Dẫn đầu: " + "; ".join(f"{u.name} ({percent(u.counts.on_time_rate)})"
                                                 for u in ranked[:SHOWN]))
        if len(ranked) > SHOWN:
            lines.append("Thấp nhất: " + "; ".join(f"{u.name} ({percent(u.counts.on_time_rate)})"
                                                   for u in ranked[-SHOWN:]))
        lines.append("")
    lines.append("Thư này được gửi tự động từ hệ thống nhắc hạn công việc.")
    return subject, "\n".join(lines) + "\n"
