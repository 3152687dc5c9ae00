"""Dated obligations: deadlines, windows, events, months and quarters."""

from __future__ import annotations

import unicodedata

from tracker.extract import extract_plan

HEAD = "Số: 12/KH-UBND\n\nHà Nội, ngày 10 tháng 01 năm 2021\n\nKẾ HOẠCH\n\nCông tác bình đẳng giới năm 2021\n\n"


def plan(body: str) -> dict:
    return extract_plan(HEAD + body)


def kinds(draft: dict, kind: str) -> list[dict]:
    return [o for o in draft["obligations"] if o["kind"] == kind]


def test_strict_before_phrase_marks_deadline_strict() -> None:
    d = plan("- Báo cáo 06 tháng gửi trước ngày 30/5/2021.\n")
    (ob,) = kinds(d, "deadline")
    assert ob["due"] == "2021-05-30"
    assert ob["strict_before"] is True
    assert ob["category"] == "report"


def test_at_the_latest_phrase_marks_deadline_inclusive() -> None:
    d = plan("+ Báo cáo tổng kết chậm nhất ngày 31/10/2022;\n")
    (ob,) = kinds(d, "deadline")
    assert (ob["due"], ob["strict_before"]) == ("2022-10-31", False)


def test_chậm_nhất_là_ngày_variant_is_inclusive() -> None:
    d = plan("- Gửi báo cáo quý chậm nhất là ngày 20/6/2021.\n")
    assert [(o["due"], o["strict_before"]) for o in kinds(d, "deadline")] == [("2021-06-20", False)]


def test_hạn_label_makes_inclusive_deadline() -> None:
    d = plan("- Hạn nộp báo cáo năm: 15/12.\n")
    (ob,) = kinds(d, "deadline")
    assert (ob["due"], ob["strict_before"], ob["category"]) == ("2021-12-15", False, "report")


def test_date_without_year_takes_plan_year() -> None:
    d = plan("- Báo cáo năm gửi trước ngày 15/11.\n")
    assert kinds(d, "deadline")[0]["due"] == "2021-11-15"


def test_spelled_out_date_is_read() -> None:
    d = plan("- Báo cáo 6 tháng trước ngày 10 tháng 6 năm 2021.\n")
    assert kinds(d, "deadline")[0]["due"] == "2021-06-10"


def test_bold_markup_around_date_is_ignored_but_kept_in_source() -> None:
    d = plan("- Gửi Kế hoạch của đơn vị trước ngày **10/3/2021**.\n")
    (ob,) = kinds(d, "deadline")
    assert ob["due"] == "2021-03-10"
    assert ob["category"] == "plan_submission"
    assert ob["source"].endswith("trước ngày **10/3/2021**")


def test_source_line_is_the_line_of_the_date() -> None:
    text = HEAD + "- Báo cáo 06 tháng công tác\nbình đẳng giới gửi\ntrước ngày 30/5/2021.\n"
    (ob,) = kinds(extract_plan(text), "deadline")
    assert ob["source_line"] == text.splitlines().index("trước ngày 30/5/2021.") + 1


def test_report_kind_shows_in_id_and_title() -> None:
    d = plan("(cụ thể: Báo cáo sơ kết 6 tháng đầu năm gửi trước ngày 15/5/2021, "
             "báo cáo tổng kết năm 2021 gửi trước ngày 15/11/2021)\n")
    obs = kinds(d, "deadline")
    assert [o["id"] for o in obs] == ["bao-cao-6-thang", "bao-cao-nam"]
    assert obs[0]["title"] == "Báo cáo sơ kết 6 tháng đầu năm"
    assert obs[1]["title"] == "Báo cáo tổng kết năm 2021"


def test_window_with_short_range_form() -> None:
    d = plan("- Tổ chức Tháng hành động vì bình đẳng giới từ ngày 15/11-15/12/2021.\n")
    (ob,) = kinds(d, "window")
    assert (ob["start"], ob["end"], ob["recurrence"]) == ("2021-11-15", "2021-12-15", "yearly")
    assert ob["title"].startswith("Tháng hành động")


def test_window_with_từ_đến_form_across_lines() -> None:
    d = plan("Triển khai Tháng hành động từ ngày 15/11/2022 đến\nngày 15/12/2022 với các hoạt động:\n")
    (ob,) = kinds(d, "window")
    assert (ob["start"], ob["end"]) == ("2022-11-15", "2022-12-15")


def test_window_in_parentheses_with_en_dash() -> None:
    d = plan("- Hưởng ứng Tháng hành động quốc gia vì bình đẳng giới (15/11 – 15/12).\n")
    (ob,) = kinds(d, "window")
    assert (ob["start"], ob["end"]) == ("2021-11-15", "2021-12-15")


def test_spelled_range_split_by_blank_line() -> None:
    d = plan("- Hưởng ứng Tháng hành động (từ\n\nngày 15 tháng 11 đến ngày 15 tháng 12) hiệu quả.\n")
    (ob,) = kinds(d, "window")
    assert (ob["start"], ob["end"]) == ("2021-11-15", "2021-12-15")


def test_commemorative_days_are_yearly_events() -> None:
    d = plan("- Gặp mặt nhân dịp kỷ niệm ngày Quốc tế phụ nữ 8/3, ngày Phụ nữ Việt Nam 20/10.\n"
             "- Hưởng ứng ngày Quốc tế Hạnh phúc (20/3), ngày Gia đình Việt Nam (28/6) và "
             "ngày Quốc tế xóa bỏ bạo lực đối với phụ nữ (25/11).\n")
    events = kinds(d, "event")
    assert [e["date"] for e in events] == ["2021-03-08", "2021-10-20", "2021-03-20", "2021-06-28", "2021-11-25"]
    assert all(e["recurrence"] == "yearly" for e in events)


def test_last_day_name_owns_the_date() -> None:
    d = plan("- Chăm lo nhân ngày thành lập Hội Liên hiệp Phụ nữ Việt Nam và ngày Phụ nữ Việt Nam 20/10.\n")
    assert [e["date"] for e in kinds(d, "event")] == ["2021-10-20"]


def test_explicit_year_is_kept_even_if_it_differs_and_is_reviewed() -> None:
    d = plan("- Gặp mặt nhân ngày Phụ nữ Việt Nam 20/10/2020.\n")
    assert kinds(d, "event")[0]["date"] == "2020-10-20"
    assert any("2020" in r and "plan's year" in r for r in d["review"])


def test_june_month_is_a_yearly_event_window() -> None:
    d = plan("- Hưởng ứng Tháng hành động quốc gia về phòng, chống bạo lực gia đình (tháng 6).\n")
    (ob,) = [o for o in d["obligations"] if o["category"] == "event"]
    assert (ob["kind"], ob["start"], ob["end"], ob["recurrence"]) == ("window", "2021-06-01", "2021-06-30", "yearly")
    assert ob["title"] == "Tháng hành động quốc gia về phòng, chống bạo lực gia đình"


def test_quarter_programme_items_are_quarter_windows() -> None:
    d = plan("II. CHƯƠNG TRÌNH CÔNG TÁC\n\n1. Quý I/2021:\n\n- Kiện toàn Ban.\n\n- Tập huấn cán bộ.\n\n"
             "2. Quý IV/2021:\n\n- Tổng kết năm.\n\nIII. PHÂN CÔNG THỰC HIỆN\n")
    items = [o for o in d["obligations"] if o["category"] == "quarterly_item"]
    assert [(o["start"], o["end"]) for o in items] == [
        ("2021-01-01", "2021-03-31"), ("2021-01-01", "2021-03-31"), ("2021-10-01", "2021-12-31")]
    assert [o["title"] for o in items] == ["Kiện toàn Ban", "Tập huấn cán bộ", "Tổng kết năm"]
    assert all(o["recurrence"] == "none" for o in items)


def test_dated_event_inside_quarter_item_is_also_its_own_event() -> None:
    d = plan("1. Quý I/2021:\n\n- Tổ chức hoạt động nhân ngày Quốc tế phụ nữ 08/3/2021.\n")
    assert [o["category"] for o in d["obligations"]] == ["quarterly_item", "event"]


def test_dates_of_cited_decisions_are_not_obligations() -> None:
    d = plan("Căn cứ Quyết định số 2232/QĐ-TTg ngày 28/12/2020 của Thủ tướng; Kế hoạch số 07/KH-UBND "
             "của UBND Thành phố ngày 06/01/2021; Công văn số 458/LĐTBXH-BĐG, ngày 12/02/2020; "
             "Kế hoạch số 07/KH-VSTBPN ngày 30 tháng 3 năm 2021.\n")
    assert d["obligations"] == []
    assert not any("28/12/2020" in r for r in d["review"])


def test_periods_and_terms_are_not_dates() -> None:
    d = plan("Chiến lược giai đoạn 2021-2030, nhiệm kỳ 2021 - 2026; Báo cáo 06 tháng và định kỳ 6 tháng/lần.\n")
    assert d["obligations"] == []


def test_impossible_date_goes_to_review_not_obligations() -> None:
    d = plan("- Gửi kế hoạch trước ngày 31/2/2021.\n- Báo cáo trước ngày 29/2/2021.\n")
    assert kinds(d, "deadline") == []
    assert sum("not a real date" in r for r in d["review"]) == 2


def test_unclassified_date_is_reviewed_never_guessed() -> None:
    d = plan("- Chỉnh trang công viên Tiểu đảo 3/2 trên địa bàn.\n")
    assert d["obligations"] == []
    assert any(r.startswith("line ") and "3/2" in r for r in d["review"])


def test_decomposed_unicode_is_normalised() -> None:
    text = unicodedata.normalize("NFD", HEAD + "- Báo cáo 06 tháng gửi trước ngày 30/5/2021.\n")
    d = extract_plan(text)
    (ob,) = kinds(d, "deadline")
    assert ob["strict_before"] is True
    assert ob["title"] == unicodedata.normalize("NFC", "Báo cáo 06 tháng")
    assert d["plan"]["place"] == "Hà Nội"


def test_second_date_after_và_shares_the_deadline_keyword() -> None:
    d = plan("- Báo cáo sơ kết gửi trước ngày 20/6/2021 và 20/12/2021.\n")
    assert [(o["due"], o["strict_before"]) for o in kinds(d, "deadline")] == [
        ("2021-06-20", True), ("2021-12-20", True)]


def test_month_range_is_a_window_over_whole_months() -> None:
    d = plan("- Tổ chức các lớp tập huấn từ tháng 3 đến tháng 5.\n")
    (ob,) = kinds(d, "window")
    assert (ob["start"], ob["end"]) == ("2021-03-01", "2021-05-31")


def test_quarter_in_running_text_is_the_window_of_its_activity() -> None:
    d = plan("- Hoàn thành trong Quý II/2021 việc kiện toàn Ban.\n"
             "- Sở Thông tin và Truyền thông chỉ đạo thực hiện chuyên mục về bình đẳng giới trong quý III/2021.\n")
    got = [(o["title"], o["start"], o["end"]) for o in kinds(d, "window")]
    assert got == [("Kiện toàn Ban", "2021-04-01", "2021-06-30"),
                   ("Chỉ đạo thực hiện chuyên mục về bình đẳng giới", "2021-07-01", "2021-09-30")]


def test_quarter_mentioned_without_an_activity_is_reviewed_not_guessed() -> None:
    d = plan("- Báo cáo quý IV lồng ghép trong báo cáo năm.\n")
    assert d["obligations"] == []
    assert any("quý IV" in r for r in d["review"])


def test_dotted_and_dashed_full_dates_are_read() -> None:
    d = plan("- Báo cáo năm gửi chậm nhất ngày 05.12.2021.\n- Báo cáo quý gửi trước ngày 20-6-2021.\n")
    assert [(o["due"], o["strict_before"]) for o in kinds(d, "deadline")] == [
        ("2021-12-05", False), ("2021-06-20", True)]
    assert kinds(d, "deadline")[0]["source"].endswith("05.12.2021")  # kept as written


def test_dashed_day_after_a_named_day_is_an_event_but_counts_are_not() -> None:
    d = plan("- Hưởng ứng Ngày Gia đình Việt Nam 28-6 và chào mừng (20-10).\n- Tổ chức 2-3 buổi tập huấn.\n")
    events = kinds(d, "event")
    assert [e["date"] for e in events] == ["2021-06-28", "2021-10-20"]
    assert events[0]["title"] == "Ngày Gia đình Việt Nam 28-6"


def test_activity_during_a_month_is_a_window_over_the_month() -> None:
    d = plan("- Tổ chức hội thi tìm hiểu pháp luật trong tháng 9/2021.\n")
    (ob,) = kinds(d, "window")
    assert (ob["start"], ob["end"], ob["category"], ob["title"]) == (
        "2021-09-01", "2021-09-30", "window", "Tổ chức hội thi tìm hiểu pháp luật")


def test_deadline_label_after_a_semicolon_takes_the_clause_before() -> None:
    d = plan("- Báo cáo quý gửi Sở Nội vụ; hạn cuối: 20/3/2021.\n")
    (ob,) = kinds(d, "deadline")
    assert (ob["title"], ob["category"], ob["due"], ob["strict_before"]) == ("Báo cáo quý", "report", "2021-03-20", False)


def test_dates_in_the_legal_basis_are_citations() -> None:
    d = plan("Căn cứ Luật Bình đẳng giới ngày 29 tháng 11 năm 2006;\nCăn cứ Quyết định số 17/QĐ-UBND "
             "quy định chức năng của Sở sau sắp xếp từ ngày 01/3/2025;\n")
    assert d["obligations"] == []
    assert not any("2006" in r or "01/3/2025" in r for r in d["review"])


def test_reporting_period_is_not_a_window() -> None:
    d = plan("- Báo cáo 6 tháng gửi chậm nhất ngày 05/6/2021 (số liệu tính từ ngày 15/12/2020 đến ngày 14/6/2021).\n")
    assert kinds(d, "window") == []
    assert [o["due"] for o in kinds(d, "deadline")] == ["2021-06-05"]


def test_table_with_a_deadline_column() -> None:
    d = plan("| TT | Nội dung | Đơn vị chủ trì | Thời hạn |\n|---|---|---|---|\n"
             "| 1 | Báo cáo kết quả kiểm tra | Sở Y tế | 30/9/2021 |\n"
             "| 2 | Kế hoạch truyền thông | Sở Tư pháp | trước ngày 15/3/2021 |\n"
             "| 3 | Hội nghị tổng kết | Sở Y tế | Quý IV/2021 |\n")
    got = [(o["title"], o["kind"], o.get("due") or o.get("start"), o.get("strict_before"), o["responsible"])
           for o in d["obligations"]]
    assert got == [("Báo cáo kết quả kiểm tra", "deadline", "2021-09-30", False, ["ha-noi-so-y-te"]),
                   ("Kế hoạch truyền thông", "deadline", "2021-03-15", True, ["ha-noi-so-tu-phap"]),
                   ("Hội nghị tổng kết", "window", "2021-10-01", None, ["ha-noi-so-y-te"])]


def test_pipes_without_a_known_header_are_not_a_table_of_duties() -> None:
    d = plan("| Nơi nhận: | TM. ỦY BAN NHÂN DÂN |\n|---|---|\n| - Sở Y tế; | CHỦ TỊCH |\n")
    assert d["obligations"] == [] and d["units"] == []
