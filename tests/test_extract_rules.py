"""The extraction rules of issue 18, one test per rule, on small documents.

Units wherever the document assigns them, dates as offices write them, and
titles that name what is owed.
"""

from __future__ import annotations

from tracker.extract import extract_plan

HEAD = "Số: 12/KH-UBND\n\nHà Nội, ngày 10 tháng 01 năm 2024\n\nKẾ HOẠCH\n\nCông tác bình đẳng giới năm 2024\n\n"


def plan(body: str) -> dict:
    return extract_plan(HEAD + body)


def kinds(d: dict, kind: str) -> list[dict]:
    return [o for o in d["obligations"] if o["kind"] == kind]


def spans(d: dict) -> list[tuple[str, str]]:
    return [(o["start"], o["end"]) for o in kinds(d, "window")]


def unit_names(d: dict) -> list[str]:
    return [u["name"] for u in d["units"]]


def names_of(d: dict, codes: list[str] | str) -> list[str] | str:
    if isinstance(codes, str):
        return codes
    by_code = {u["code"]: u["name"] for u in d["units"]}
    return [by_code[c] for c in codes]


# -- dates --------------------------------------------------------------------------

def test_range_borrows_month_from_second_date() -> None:
    d = plan("- Tổ chức Tuần lễ tuyên truyền từ 01 - 07/9 tại các thôn.\n"
             "- Tọa đàm chuyên đề trong tuần từ 25 - 30/11/2024.\n"
             "- Tập huấn cho cán bộ từ ngày 12 đến ngày 14/6/2024.\n")
    assert spans(d) == [("2024-09-01", "2024-09-07"), ("2024-11-25", "2024-11-30"), ("2024-06-12", "2024-06-14")]


def test_range_in_words_borrows_month_and_year_from_second_date() -> None:
    d = plan("- Lớp tập huấn từ ngày 01 đến ngày 07 tháng 9 năm 2024.\n")
    assert spans(d) == [("2024-09-01", "2024-09-07")]


def test_dotted_range_without_year_on_the_first_date() -> None:
    d = plan("- Kiểm tra liên ngành từ ngày 1.9 đến 7.9.2024.\n")
    assert spans(d) == [("2024-09-01", "2024-09-07")]


def test_short_dashed_day_month_after_a_deadline_word_is_a_date_but_a_count_is_not() -> None:
    d = plan("- Báo cáo kết quả trước ngày 10-12.\n- Mỗi thôn tổ chức từ 2-3 buổi nói chuyện chuyên đề.\n")
    assert [(o["due"], o["strict_before"]) for o in kinds(d, "deadline")] == [("2024-12-10", True)]
    assert len(d["obligations"]) == 1


def test_every_date_of_a_list_shares_its_keyword() -> None:
    d = plan("- Báo cáo quý: trước ngày 15/3, 15/6, 15/9 và 15/12/2024;\n")
    got = [(o["due"], o["strict_before"], o["title"]) for o in kinds(d, "deadline")]
    assert got == [(due, True, "Báo cáo quý") for due in ("2024-03-15", "2024-06-15", "2024-09-15", "2024-12-15")]
    assert len({o["id"] for o in d["obligations"]}) == 4


def test_report_due_every_month_is_one_monthly_deadline() -> None:
    d = plan("- Báo cáo tháng: các đơn vị gửi báo cáo nhanh trước ngày 20 hằng tháng.\n")
    (ob,) = kinds(d, "deadline")
    assert (ob["due"], ob["strict_before"], ob["recurrence"], ob["category"]) == ("2024-01-20", True, "monthly", "report")


def test_a_monthly_day_that_some_months_lack_is_reviewed_not_made() -> None:
    d = plan("- Gửi báo cáo tháng chậm nhất ngày 31 hằng tháng.\n")
    assert d["obligations"] == []
    assert any("not every month has day 31" in r for r in d["review"])


def test_date_in_words_is_a_deadline_and_a_cited_documents_date_in_words_is_not() -> None:
    d = plan("Căn cứ Quyết định số 1012/QĐ-UBND ngày 15 tháng 01 năm 2024 của UBND tỉnh;\n\n"
             "- Sở Nội vụ ban hành Quyết định kiện toàn Ban, hoàn thành chậm nhất ngày 05 tháng 7 năm 2024.\n")
    assert [(o["due"], o["strict_before"]) for o in kinds(d, "deadline")] == [("2024-07-05", False)]


def test_month_and_quarter_of_an_activity_are_windows() -> None:
    d = plan("- Các xã tự kiểm tra việc thực hiện pháp luật về bình đẳng giới trong tháng 8 năm 2024.\n"
             "- Đài Truyền thanh thực hiện chuyên mục về bình đẳng giới trong quý III/2024.\n")
    assert spans(d) == [("2024-08-01", "2024-08-31"), ("2024-07-01", "2024-09-30")]


def test_data_period_is_not_an_obligation() -> None:
    d = plan("- Số liệu báo cáo tính từ ngày 15/12/2023 đến ngày 14/6/2024.\n"
             "- Thời hạn gửi báo cáo: trước ngày 20/6/2024.\n")
    assert [(o["kind"], o.get("due")) for o in d["obligations"]] == [("deadline", "2024-06-20")]
    assert any("reporting period" in r for r in d["review"])


def test_bare_date_under_a_completion_column_is_a_deadline_unless_the_row_celebrates_a_day() -> None:
    d = plan("| STT | Nội dung | Đơn vị chủ trì | Thời gian hoàn thành |\n|---|---|---|---|\n"
             "| 1 | Xây dựng Kế hoạch năm 2024 của xã | UBND các xã | 31/3/2024 |\n"
             "| 2 | Truyền thông nhân Ngày Gia đình Việt Nam | Phòng Văn hóa và Thông tin | Ngày 28/6/2024 |\n")
    assert [(o["kind"], o.get("due") or o.get("date")) for o in d["obligations"]] == [
        ("deadline", "2024-03-31"), ("event", "2024-06-28")]


# -- units ----------------------------------------------------------------------------

def test_sub_numbered_headings_of_a_numbered_section_are_units() -> None:
    d = plan("4. KINH PHÍ\nNgân sách nhà nước.\n5. TỔ CHỨC THỰC HIỆN\n"
             "5.1. Phòng Tổ chức cán bộ: là cơ quan thường trực, theo dõi thực hiện Kế hoạch.\n"
             "5.2. Trung tâm Kiểm soát bệnh tật tỉnh: chủ trì truyền thông.\n"
             "5.3. Công đoàn ngành Y tế: phối hợp tổ chức các hoạt động.\n"
             "6. ĐIỀU KHOẢN THI HÀNH\nCác đơn vị thực hiện.\n")
    assert unit_names(d) == ["Phòng Tổ chức cán bộ", "Trung tâm Kiểm soát bệnh tật tỉnh", "Công đoàn ngành Y tế"]


def test_bullets_of_the_organisation_section_are_units_and_own_their_deadlines() -> None:
    d = plan("III. TỔ CHỨC THỰC HIỆN\n"
             "- Công chức Văn hóa - Xã hội: tổng hợp báo cáo năm gửi UBND xã trước ngày 10/12/2024.\n"
             "- Trạm Y tế xã: tư vấn cho nạn nhân bạo lực gia đình.\n"
             "- Công an xã: cung cấp số liệu vụ việc trước ngày 30/11/2024.\n")
    assert unit_names(d)[:3] == ["Công chức Văn hóa - Xã hội", "Trạm Y tế xã", "Công an xã"]
    got = [(o["due"], names_of(d, o["responsible"])) for o in kinds(d, "deadline")]
    assert got == [("2024-12-10", ["Công chức Văn hóa - Xã hội"]), ("2024-11-30", ["Công an xã"])]


def test_a_heading_that_names_everyone_is_a_group_heading_not_a_unit() -> None:
    d = plan("IV. TỔ CHỨC THỰC HIỆN\n1. Trách nhiệm của các cơ quan, đơn vị\n"
             "a) Phòng Văn hóa và Thông tin quận: chủ trì tổ chức Lễ phát động.\n"
             "b) Ủy ban nhân dân các phường: tổ chức hoạt động hưởng ứng.\n")
    assert unit_names(d) == ["Phòng Văn hóa và Thông tin quận", "Ủy ban nhân dân các phường"]


def test_units_come_from_assignment_sentences_when_there_are_no_unit_headings() -> None:
    d = plan("UBND tỉnh giao Sở Lao động - Thương binh và Xã hội chủ trì, phối hợp với các sở, ngành hướng dẫn "
             "thực hiện.\n\nSở Y tế có trách nhiệm tổ chức truyền thông nhân Ngày Dân số Việt Nam 26/12.\n\n"
             "Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh và Hội Liên hiệp Phụ nữ tỉnh phối hợp giám sát.\n\n"
             "Các sở, ban, ngành và địa phương báo cáo kết quả trước ngày 30/11/2024.\n")
    assert unit_names(d) == ["Sở Lao động - Thương binh và Xã hội", "Sở Y tế",
                             "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "Hội Liên hiệp Phụ nữ tỉnh"]
    event, deadline = d["obligations"]
    assert names_of(d, event["responsible"]) == ["Sở Y tế"]
    assert deadline["responsible"] == "all"  # "các sở, ban, ngành và địa phương" is everyone


def test_addressees_of_a_letter_are_its_units() -> None:
    d = extract_plan("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI\nSố: 11/SLĐTBXH-BĐG\n"
                     "V/v báo cáo kết quả công tác bình đẳng giới 6 tháng đầu năm 2024\n"
                     "Quảng Ngãi, ngày 02 tháng 6 năm 2024\n\nKính gửi:\n"
                     "- Ủy ban nhân dân các huyện, thị xã, thành phố;\n- Hội Liên hiệp Phụ nữ tỉnh.\n\n"
                     "Đề nghị các cơ quan, đơn vị gửi báo cáo về Sở trước ngày 20/6/2024.\n")
    assert unit_names(d)[:2] == ["Ủy ban nhân dân các huyện, thị xã, thành phố", "Hội Liên hiệp Phụ nữ tỉnh"]
    (ob,) = d["obligations"]
    assert (ob["due"], ob["responsible"]) == ("2024-06-20", "all")


def test_responsible_comes_from_the_sentence_not_all_by_default() -> None:
    d = plan("II. NHIỆM VỤ\n1.1. Báo cáo tháng: Sở Y tế gửi báo cáo nhanh trước ngày 25 hằng tháng.\n"
             "III. TỔ CHỨC THỰC HIỆN\n1. Sở Y tế: thực hiện chế độ báo cáo.\n2. Sở Tư pháp: phối hợp.\n")
    (ob,) = kinds(d, "deadline")
    assert names_of(d, ob["responsible"]) == ["Sở Y tế"]


# -- titles ---------------------------------------------------------------------------

def test_title_is_the_document_owed_not_the_assignment_around_it() -> None:
    d = plan("- Giao Sở Lao động - Thương binh và Xã hội chủ trì, phối hợp với Sở Nội vụ tham mưu UBND tỉnh ban "
             "hành Quyết định kiện toàn Ban Vì sự tiến bộ của phụ nữ tỉnh, hoàn thành chậm nhất ngày 05/7/2024.\n")
    (ob,) = d["obligations"]
    assert ob["title"] == "Quyết định kiện toàn Ban Vì sự tiến bộ của phụ nữ tỉnh"
    assert ob["id"] == "quyet-dinh-kien-toan-ban-vi-su-tien"


def test_a_bare_verb_title_takes_the_items_label() -> None:
    d = plan("1.2. Báo cáo định kỳ hằng quý: gửi trước ngày 10/4/2024.\n1.3. Báo cáo năm: gửi trước ngày 05/12/2024.\n")
    assert [o["title"] for o in d["obligations"]] == ["Báo cáo định kỳ hằng quý", "Báo cáo năm"]
    assert [o["id"] for o in d["obligations"]] == ["bao-cao-quy", "bao-cao-nam"]


def test_a_label_only_window_takes_the_plans_title() -> None:
    d = extract_plan("Số: 245/KH-UBND\n\nHải Châu, ngày 25 tháng 10 năm 2024\n\nKẾ HOẠCH\n\n"
                     "Tổ chức các hoạt động hưởng ứng Tháng hành động vì bình đẳng giới năm 2024\n\n"
                     "II. THỜI GIAN\n1. Thời gian: từ ngày 15/11/2024 đến ngày 15/12/2024.\n")
    (ob,) = d["obligations"]
    assert ob["title"] == "Tháng hành động vì bình đẳng giới"


def test_the_second_report_of_a_clause_is_titled_by_its_own_words() -> None:
    d = plan("- Tổng hợp báo cáo 6 tháng gửi UBND xã trước ngày 10/6/2024 và báo cáo năm trước ngày 10/12/2024.\n")
    assert [(o["title"], o["id"]) for o in d["obligations"]] == [
        ("Báo cáo 6 tháng", "bao-cao-6-thang"), ("Báo cáo năm", "bao-cao-nam")]


def test_a_day_alone_in_a_monthly_sentence_is_a_monthly_deadline() -> None:
    d = plan("- Báo cáo hằng tháng gửi Sở Y tế trước ngày 20.\n- Họp giao ban hằng tháng vào ngày 5.\n")
    assert [(o["title"], o["due"], o["recurrence"]) for o in d["obligations"]] == [
        ("Báo cáo hằng tháng", "2024-01-20", "monthly")]
    assert any("ngày 5" in r and "no obligation made" in r for r in d["review"])


def test_a_day_of_the_quarters_last_month_is_a_quarterly_deadline() -> None:
    d = plan("- Báo cáo quý gửi trước ngày 15 của tháng cuối quý.\n")
    assert [(o["due"], o["recurrence"], o["strict_before"]) for o in d["obligations"]] == [
        ("2024-03-15", "quarterly", True)]


def test_periodic_words_make_a_single_deadline_recur_but_a_list_stays_one_deadline_each() -> None:
    d = plan("- Báo cáo hằng quý gửi trước ngày 20/3/2024.\n- Báo cáo định kỳ 6 tháng gửi trước ngày 15/6.\n"
             "- Báo cáo định kỳ hằng quý: gửi trước ngày 10/4, 10/7 và 10/10/2024.\n")
    assert [(o["due"], o["recurrence"]) for o in d["obligations"]] == [
        ("2024-03-20", "quarterly"), ("2024-06-15", "half-yearly"),
        ("2024-04-10", "none"), ("2024-07-10", "none"), ("2024-10-10", "none")]


def test_sub_numbers_without_a_final_dot_are_headings_too() -> None:
    d = plan("5. TỔ CHỨC THỰC HIỆN\n5.1 Phòng Y tế: chủ trì theo dõi.\n5.2 Trạm Y tế các xã: thực hiện.\n")
    assert unit_names(d) == ["Phòng Y tế", "Trạm Y tế các xã"]


def test_a_day_of_the_next_month_is_a_monthly_deadline_from_february() -> None:
    d = plan("- Báo cáo tháng: trước ngày 05 của tháng sau.\n")
    assert [(o["title"], o["due"], o["recurrence"]) for o in d["obligations"]] == [
        ("Báo cáo tháng", "2024-02-05", "monthly")]


def test_report_goes_to_the_unit_the_verb_names_not_to_another_sections_lead_in() -> None:
    d = plan("III. CHẾ ĐỘ BÁO CÁO\nCác đơn vị báo cáo về Sở Y tế (qua Chi cục Dân số) như sau:\n"
             "- Báo cáo năm: chậm nhất ngày 15/12/2024.\n"
             "IV. TỔ CHỨC THỰC HIỆN\n1. Chi cục Dân số: tổng hợp báo cáo Sở Y tế trước ngày 20/12/2024.\n")
    codes = {u["code"]: u["name"] for u in d["units"]}
    got = [(o["due"], codes[o["report_to"]]) for o in kinds(d, "deadline")]
    assert got == [("2024-12-15", "Chi cục Dân số"), ("2024-12-20", "Sở Y tế")]


def test_two_months_or_two_quarters_joined_are_one_window() -> None:
    d = plan("- Tổ chức hội thi trong tháng 5-6/2024.\n- Tổ chức tập huấn trong quý II và quý III/2024.\n")
    assert [(o["title"], o["start"], o["end"]) for o in kinds(d, "window")] == [
        ("Tổ chức hội thi", "2024-05-01", "2024-06-30"), ("Tổ chức tập huấn", "2024-04-01", "2024-09-30")]
    assert not any("quý III" in r for r in d["review"])


def test_news_prose_names_units_after_a_connective_and_in_đối_với_items() -> None:
    d = plan("Theo đó, UBND tỉnh yêu cầu các sở, ngành triển khai Kế hoạch.\n\n"
             "Ngoài ra, Sở Giáo dục và Đào tạo tăng cường giáo dục giới tính trong trường học.\n\n"
             "Đối với Sở Tài chính: bố trí kinh phí thực hiện.\n")
    assert unit_names(d) == ["Sở Giáo dục và Đào tạo", "Sở Tài chính"]


def test_a_lettered_item_with_a_bare_unit_name_heads_its_bullets_of_duties() -> None:
    d = plan("III. PHÂN CÔNG NHIỆM VỤ\na) Phòng Văn hóa và Thông tin huyện\n"
             "- Tổng hợp kết quả, báo cáo UBND huyện trước ngày 25/11/2024.\nb) Công an huyện\n"
             "- Thống kê số vụ việc, gửi Phòng Văn hóa và Thông tin huyện hằng quý, trước ngày 20 của tháng cuối quý.\n")
    assert unit_names(d)[:2] == ["Phòng Văn hóa và Thông tin huyện", "Công an huyện"]
    first, second = kinds(d, "deadline")
    assert (names_of(d, first["responsible"]), names_of(d, [first["report_to"]])) == (
        ["Phòng Văn hóa và Thông tin huyện"], ["UBND huyện"])
    assert (second["due"], second["recurrence"], names_of(d, second["responsible"]), names_of(d, [second["report_to"]])) \
        == ("2024-03-20", "quarterly", ["Công an huyện"], ["Phòng Văn hóa và Thông tin huyện"])


def test_a_report_sent_to_two_units_goes_to_the_first() -> None:
    d = plan("IV. TỔ CHỨC THỰC HIỆN\n1. Phòng Lao động - Thương binh và Xã hội quận: báo cáo kết quả về UBND quận và "
             "Sở Lao động - Thương binh và Xã hội thành phố trước ngày 20/12/2024.\n")
    (ob,) = d["obligations"]
    assert names_of(d, [ob["report_to"]]) == ["UBND quận"]


def test_periodic_deadlines_in_a_table_take_the_rows_title_and_lead_and_no_quarter_spans_two_rows() -> None:
    d = plan("| STT | Nội dung công việc | Đơn vị chủ trì | Thời gian thực hiện |\n|---|---|---|---|\n"
             "| 1 | Báo cáo tình hình thực hiện | Phòng Nội vụ | Hằng quý, trước ngày 20 tháng cuối quý |\n"
             "| 2 | Tuyên truyền trên loa truyền thanh | Đài Truyền thanh huyện | Thường xuyên |\n"
             "| 3 | Báo cáo tháng | Phòng Nội vụ | Trước ngày 25 hằng tháng |\n")
    got = [(o["title"], o["due"], o["recurrence"], names_of(d, o["responsible"])) for o in d["obligations"]]
    assert got == [("Báo cáo tình hình thực hiện", "2024-03-20", "quarterly", ["Phòng Nội vụ"]),
                   ("Báo cáo tháng", "2024-01-25", "monthly", ["Phòng Nội vụ"])]


def test_a_month_number_on_the_next_line_of_wrapped_text_still_counts() -> None:
    d = plan("- Hưởng ứng Tháng hành động quốc gia về phòng, chống bạo lực gia đình (tháng\n6).\n")
    assert [(o["start"], o["end"]) for o in d["obligations"]] == [("2024-06-01", "2024-06-30")]


def test_a_data_cut_off_under_a_label_is_not_a_window() -> None:
    d = plan("- Thời gian chốt số liệu: từ ngày 15/12/2023 đến ngày 14/6/2024; gửi báo cáo trước ngày 20/6/2024.\n")
    assert [(o["kind"], o.get("due")) for o in d["obligations"]] == [("deadline", "2024-06-20")]
    assert any("reporting period" in r for r in d["review"])
