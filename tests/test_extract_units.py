"""Responsible units, their codes, recipients and the coordinator."""

from __future__ import annotations

import re

from tracker.extract import extract_plan, name_key

HEAD = "Số: 12/KH-UBND\n\nHà Nội, ngày 10 tháng 01 năm 2021\n\nKẾ HOẠCH\n\nCông tác bình đẳng giới năm 2021\n\n"


def plan(section: str) -> dict:
    return extract_plan(HEAD + "III. TỔ CHỨC THỰC HIỆN\n\n" + section)


def names(d: dict) -> list[str]:
    return [u["name"] for u in d["units"]]


def test_numbered_headings_of_the_organisation_section_are_units() -> None:
    d = plan("1. Sở Lao động - Thương binh và Xã hội\n\n- Chủ trì.\n\n2. Sở Tài chính\n\nBố trí kinh phí.\n\n"
             "3. UBND các quận, huyện, thị xã\n\n- Triển khai.\n")
    assert names(d) == ["Sở Lao động - Thương binh và Xã hội", "Sở Tài chính", "UBND các quận, huyện, thị xã"]
    assert all(u["email"] == [] for u in d["units"])


def test_đề_nghị_prefix_is_dropped_and_compound_heading_split() -> None:
    d = plan("1. Đề nghị Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh, Hội Liên hiệp Phụ nữ tỉnh, "
             "các tổ chức thành viên khác trong phạm vi chức năng, tham gia thực hiện.\n")
    assert names(d) == ["Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh", "Hội Liên hiệp Phụ nữ tỉnh",
                        "các tổ chức thành viên khác"]


def test_unit_name_with_internal_commas_is_not_split() -> None:
    d = plan("1. Sở Văn hóa, Thể thao và Du lịch:\n\nTuyên truyền.\n\n2. Các Sở, ban, ngành liên quan:\n\nPhối hợp.\n")
    assert names(d) == ["Sở Văn hóa, Thể thao và Du lịch", "Các Sở, ban, ngành liên quan"]


def test_elliptical_list_is_split_into_bare_names() -> None:
    d = plan("1. Các Sở, ngành: Văn hóa và Thể thao, Nông nghiệp và Phát triển nông thôn, Công an "
             "thành phố và các cơ quan liên quan căn cứ Kế hoạch xây dựng kế hoạch.\n")
    assert names(d) == ["Văn hóa và Thể thao", "Nông nghiệp và Phát triển nông thôn", "Công an thành phố",
                        "các cơ quan liên quan"]


def test_parenthetical_note_is_not_part_of_the_name() -> None:
    d = plan("1. Phòng Lao động TB&XH quận (*Cơ quan thường trực Ban vì sự tiến bộ của Phụ nữ quận*)\n\n- Chủ trì.\n")
    assert names(d) == ["Phòng Lao động TB&XH quận"]


def test_section_intro_paragraph_names_a_group_unit() -> None:
    d = extract_plan(HEAD + "III. PHÂN CÔNG THỰC HIỆN\n\nCác phòng, ban, ngành đoàn thể trực thuộc quận căn cứ "
                     "chức năng xây dựng kế hoạch.\n\n1. Phòng Nội vụ quận:\n\n- Tạo nguồn cán bộ nữ.\n")
    assert names(d) == ["Các phòng, ban, ngành đoàn thể trực thuộc quận", "Phòng Nội vụ quận"]


def test_closing_paragraph_addressees_are_not_units() -> None:
    d = plan("1. Sở Nội vụ\n\n- Tập huấn.\n\nĐề nghị các phòng, ban, ngành, UBND các phường triển khai thực "
             "hiện Kế hoạch; Báo cáo năm trước ngày 25/11/2021.\n")
    assert names(d) == ["Sở Nội vụ"]
    (ob,) = d["obligations"]
    assert ob["responsible"] == "all"


def test_obligation_under_a_unit_heading_is_that_units() -> None:
    d = plan("1. UBND các phường\n\n- Xây dựng kế hoạch, gửi về quận (*qua Phòng Lao động - TB&XH quận*) "
             "trước ngày 15/02/2021.\n\n2. Phòng Lao động TB&XH quận\n\n- Tổng hợp.\n")
    (ob,) = d["obligations"]
    assert ob["responsible"] == ["ha-noi-ubnd-cac-phuong"]
    assert ob["report_to"] == "ha-noi-phong-ldtbxh-quan"
    assert d["plan"]["coordinator"] == "ha-noi-phong-ldtbxh-quan"


def test_same_unit_written_several_ways_is_one_unit() -> None:
    assert name_key("Sở Lao động - Thương binh và Xã hội") == name_key("Sở Lao động Thương binh và Xã hội")
    assert name_key("Phòng Lao động - TB&XH quận") == name_key("Phòng Lao động Thương binh và Xã hội quận")
    assert name_key("Phòng Văn hoá Thông tin quận") == name_key("Phòng Văn hóa Thông tin quận")
    assert name_key("Sở LĐ-TB&XH") == name_key("Sở Lao động, Thương binh và Xã hội")
    d = plan("1. Sở Lao động - Thương binh và Xã hội\n\n- Chủ trì.\n\n2. Sở Lao động Thương binh và Xã hội\n\n- Lặp.\n")
    assert len(d["units"]) == 1


def test_unit_codes_are_short_ascii_slugs_and_unique() -> None:
    d = plan("1. Sở Lao động - Thương binh và Xã hội\n\n- a.\n\n2. Hội Liên hiệp Phụ nữ thành phố\n\n- b.\n\n"
             "3. Đoàn Thanh niên Cộng sản Hồ Chí Minh thành phố\n\n- c.\n\n4. Sở Y tế\n\n- d.\n")
    codes = [u["code"] for u in d["units"]]
    assert codes == ["ha-noi-so-ldtbxh", "ha-noi-hlhpn-tp", "ha-noi-doan-tn-tp", "ha-noi-so-y-te"]
    assert all(re.fullmatch(r"[a-z0-9-]+", c) for c in codes)


def test_report_recipient_becomes_coordinator() -> None:
    d = plan("1. Sở Lao động - Thương binh và Xã hội\n\n- Tổng hợp.\n\n2. Sở Y tế\n\n- Truyền thông.\n\n"
             "UBND Thành phố đề nghị các Sở thực hiện chế độ báo cáo gửi Sở Lao động Thương binh và Xã hội "
             "tổng hợp chung, cụ thể:\n\n- Báo cáo 06 tháng gửi trước ngày 30/5/2021.\n")
    (ob,) = d["obligations"]
    assert ob["report_to"] == "ha-noi-so-ldtbxh"
    assert d["plan"]["coordinator"] == "ha-noi-so-ldtbxh"


def test_recipient_outside_the_section_is_added_and_reviewed() -> None:
    d = plan("1. Sở Y tế\n\n- Truyền thông.\n\nTrên đây là Kế hoạch; báo cáo gửi Sở Nội vụ trước ngày 15/11/2021.\n")
    assert "ha-noi-so-noi-vu" in [u["code"] for u in d["units"]]
    assert d["plan"]["coordinator"] == "ha-noi-so-noi-vu"
    assert any("Sở Nội vụ" in r and "added as unit ha-noi-so-noi-vu" in r for r in d["review"])


def test_standing_office_resolves_thường_trực_ban_recipient() -> None:
    d = plan("1. Phòng Lao động - Thương binh và Xã hội Quận 10 (Thường trực Ban Vì sự tiến bộ của phụ nữ):\n\n"
             "- Tập huấn.\n\n2. Thành viên Ban Vì sự tiến bộ phụ nữ quận:\n\n"
             "- Thực hiện tốt chế độ báo cáo định kỳ về Thường trực Ban Vì sự tiến bộ phụ nữ quận, cụ thể:\n\n"
             "+ Báo cáo 6 tháng **chậm nhất ngày 31/5/2021**;\n")
    (ob,) = d["obligations"]
    assert ob["report_to"] == "ha-noi-phong-ldtbxh-quan-10"
    assert ob["responsible"] == ["ha-noi-thanh-vien-vstbpn-quan"]


def test_missing_organisation_section_is_reviewed() -> None:
    d = extract_plan(HEAD + "- Báo cáo năm trước ngày 15/11/2021.\n")
    assert d["units"] == []
    assert any("organisation section" in r for r in d["review"])


def test_lettered_units_under_a_group_heading() -> None:
    d = plan("1. Trách nhiệm của các sở, ngành\n\na) Sở Y tế:\n\n- Truyền thông.\n\n"
             "b) Sở Tư pháp: chủ trì tuyên truyền, báo cáo trước ngày 30/6/2021.\n")
    assert [u["code"] for u in d["units"]][-2:] == ["ha-noi-so-y-te", "ha-noi-so-tu-phap"]
    (ob,) = d["obligations"]
    assert ob["responsible"] == ["ha-noi-so-tu-phap"]


def test_upper_case_trách_nhiệm_heading_opens_the_organisation_section() -> None:
    d = extract_plan(HEAD + "IV. TRÁCH NHIỆM CỦA CÁC CƠ QUAN, ĐƠN VỊ\n\n1. Sở Y tế\n\n- Truyền thông.\n\n"
                     "2. Sở Tư pháp\n\n- Phổ biến.\n")
    assert names(d) == ["Sở Y tế", "Sở Tư pháp"]
    d = extract_plan(HEAD + "III. GIẢI PHÁP VÀ TỔ CHỨC THỰC HIỆN\n\n1. Trạm Y tế xã\n\n- Tư vấn.\n")
    assert names(d) == ["Trạm Y tế xã"]


def test_lettered_upper_case_heading_ends_the_organisation_section() -> None:
    d = extract_plan(HEAD + "C. TỔ CHỨC THỰC HIỆN\n\n1. Sở Y tế\n\n- Truyền thông.\n\nD. KINH PHÍ THỰC HIỆN\n\n"
                     "1. Sở Tài chính bố trí kinh phí.\n\n- Báo cáo năm trước ngày 15/11/2021.\n")
    assert names(d) == ["Sở Y tế"]
    (ob,) = d["obligations"]
    assert ob["responsible"] == "all"


def test_sở_under_the_committee_is_the_issuer() -> None:
    d = extract_plan("UBND TỈNH AN PHÚ\nSỞ NỘI VỤ\n\nSố: 9/KH-SNV\n\nAn Phú, ngày 20 tháng 12 năm 2025\n\n"
                     "KẾ HOẠCH\n\nCông tác bình đẳng giới năm 2026\n")
    p = d["plan"]
    assert (p["issuer"], p["year"], p["issued_on"]) == ("Sở Nội vụ tỉnh An Phú", 2026, "2025-12-20")


def test_a_document_without_a_place_keeps_bare_unit_codes() -> None:
    d = extract_plan("KẾ HOẠCH\n\nCông tác bình đẳng giới năm 2021\n\nIII. TỔ CHỨC THỰC HIỆN\n\n"
                     "1. Sở Y tế\n\n- Truyền thông.\n")
    assert d["plan"]["place"] is None
    assert [u["code"] for u in d["units"]] == ["so-y-te"]
