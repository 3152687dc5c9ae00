"""Header fields and messy layouts: hard wraps, pipes, web pages, blanks."""

from __future__ import annotations

import re

import pytest

from tracker.extract import extract_plan, render_yaml


def test_header_number_place_date_year_title() -> None:
    d = extract_plan("Số: **43** /KH-UBND\n\nHà Nội, ngày 18 tháng 02 năm 2021\n\nKẾ HOẠCH\n\n"
                     "Triển khai công tác bình đẳng giới năm 2021\n\nUBND Thành phố ban hành Kế hoạch "
                     "triển khai tại thành phố Hà Nội như sau:\n")
    p = d["plan"]
    assert (p["number"], p["place"], p["issued_on"], p["year"]) == ("43/KH-UBND", "Hà Nội", "2021-02-18", 2021)
    assert p["title"] == "Triển khai công tác bình đẳng giới năm 2021"
    assert p["issuer"] == "UBND thành phố Hà Nội"
    assert p["id"] == "hn-2021-43"


def test_plan_number_with_ampersand_suffix() -> None:
    d = extract_plan("Số: **110** /KH-BVSTBPN&BDG\n\nQuận 10, ngày **12** tháng 4 năm 2022\n\nKẾ HOẠCH\n\nX năm 2022\n")
    assert d["plan"]["number"] == "110/KH-BVSTBPN&BDG"
    assert d["plan"]["issued_on"] == "2022-04-12"
    assert d["plan"]["id"] == "q10-2022-110"


def test_blank_plan_number_and_day_are_null_and_reviewed() -> None:
    d = extract_plan("Số: /KH-UBND\n\nLong Biên, ngày tháng năm 2025\n\nKẾ HOẠCH\n\nThực hiện công tác năm 2025\n")
    p = d["plan"]
    assert p["number"] is None and p["issued_on"] is None and p["year"] == 2025
    assert any(r.startswith("line 1:") and "number is blank" in r for r in d["review"])
    assert any(r.startswith("line 3:") and "day is blank" in r for r in d["review"])


def test_upper_case_issuer_block_and_hard_wrapped_header() -> None:
    text = ("ỦY\nBAN NHÂN DÂN\nTHÀNH PHỐ HẢI PHÒNG\n-------\n|\nCỘNG\nHÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n|\n"
            "Số: 70/KH-UBND\n|\nHải\nPhòng, ngày 22 tháng 3 năm 2022\n|\nKẾ HOẠCH\n"
            "THỰC HIỆN CÔNG TÁC BÌNH ĐẲNG GIỚI NĂM 2022\n")
    p = extract_plan(text)["plan"]
    assert p["issuer"] == "UBND thành phố Hải Phòng"
    assert (p["place"], p["issued_on"]) == ("Hải Phòng", "2022-03-22")
    assert p["title"] == "Thực hiện công tác bình đẳng giới năm 2022"


def test_news_page_around_the_plan_gives_number_and_issue_date() -> None:
    text = ("Đắk Lắk: Ban hành kế hoạch triển khai công tác bình đẳng giới năm 2020.\n\n"
            "Thứ tư - 11/03/2020 00:11\n"
            "Ngày 09/3/2020, Ủy ban nhân dân tỉnh ban hành Kế hoạch số 1889/KH-UBND về việc triển khai "
            "công tác bình đẳng giới năm 2020.\nTác giả: Mai Thanh\n\nNhững tin mới hơn\n")
    d = extract_plan(text)
    p = d["plan"]
    assert (p["number"], p["issued_on"], p["year"]) == ("1889/KH-UBND", "2020-03-09", 2020)
    assert d["obligations"] == []
    assert not any("11/03/2020" in r or "09/3/2020" in r for r in d["review"])


def test_hard_line_breaks_mid_sentence_are_joined() -> None:
    text = ("IV. TỔ CHỨC THỰC\nHIỆN\n1. Sở Lao động\n- Thương binh và Xã hội\na) Phối hợp với các cơ quan\n"
            "liên quan đẩy mạnh các hoạt động tuyên truyền phổ biến chính sách, pháp luật về bình\n"
            "đẳng giới trong lĩnh vực lao động và gửi báo cáo 6 tháng trước ngày\n30/5/2022 về Ủy ban\n"
            "nhân dân thành phố.\n2. Đài Phát\nthanh và Truyền hình Hải Phòng, Báo Hải Phòng, Cổng Thông tin "
            "điện tử thành phố\nTiếp tục duy trì các chuyên mục,\nchuyên đề về Bình đẳng giới và vì sự tiến "
            "bộ của phụ nữ trong các sản phẩm truyền thông\nnhằm định hướng thay đổi hành vi ứng xử.\n"
            "3. Đề nghị Hội\nLiên hiệp Phụ nữ thành phố, Liên đoàn Lao động thành phố, Đoàn Thanh niên Cộng\n"
            "sản Hồ Chí Minh thành phố\nTrong phạm vi chức năng, nhiệm vụ, phối\nhợp trong việc tổ chức "
            "triển khai Kế hoạch và tuyên truyền về bình đẳng giới tới các cấp cơ sở.\n")
    d = extract_plan(text)
    assert [u["name"] for u in d["units"]][:7] == [
        "Sở Lao động - Thương binh và Xã hội", "Đài Phát thanh và Truyền hình Hải Phòng", "Báo Hải Phòng",
        "Cổng Thông tin điện tử thành phố", "Hội Liên hiệp Phụ nữ thành phố", "Liên đoàn Lao động thành phố",
        "Đoàn Thanh niên Cộng sản Hồ Chí Minh thành phố"]
    (ob,) = d["obligations"]
    assert ob["due"] == "2022-05-30" and ob["source_line"] == 8  # the line of the date
    assert ob["responsible"] == ["so-ldtbxh"]
    # the report goes to a body outside the section: added as a unit, and said so
    assert ob["report_to"] == d["units"][7]["code"] == "ubnd-tp"
    assert any("added as unit ubnd-tp" in r for r in d["review"])


def test_table_pipes_do_not_hide_deadlines() -> None:
    d = extract_plan("KẾ HOẠCH năm 2021\n\n| Báo cáo 6 tháng | trước ngày 30/5/2021 |\n| Báo cáo năm | "
                     "chậm nhất ngày 30/11/2021 |\n")
    obs = d["obligations"]
    assert [(o["due"], o["strict_before"]) for o in obs] == [("2021-05-30", True), ("2021-11-30", False)]
    assert obs[0]["title"] == "Báo cáo 6 tháng"


def test_extraction_is_pure_and_deterministic() -> None:
    text = "Số: 1/KH-UBND\n\nHà Nội, ngày 1 tháng 2 năm 2021\n\n- Báo cáo năm trước ngày 15/11.\n"
    assert extract_plan(text) == extract_plan(text)
    assert extract_plan(text, plan_id="custom-id")["plan"]["id"] == "custom-id"


def test_review_entries_start_with_a_line_number_and_are_sorted() -> None:
    d = extract_plan("Số: /KH-UBND\n\nX, ngày tháng năm 2021\n\n- Tiểu đảo 3/2.\n- Hạn trước ngày 30/2/2021.\n")
    lines = [int(re.match(r"line (\d+): ", r).group(1)) for r in d["review"]]
    assert lines == sorted(lines)


def _yaml_load(text: str) -> object:
    """Load with ruamel.yaml (the project's YAML 1.2 reader), else PyYAML."""
    try:
        from ruamel.yaml import YAML
    except ImportError:
        yaml = pytest.importorskip("yaml")
        return yaml.safe_load(text)
    return YAML(typ="safe", pure=True).load(text)


def test_render_yaml_is_a_commented_draft_that_round_trips() -> None:
    d = extract_plan("Số: 5/KH-UBND\n\nHà Nội, ngày 1 tháng 2 năm 2021\n\nIII. TỔ CHỨC THỰC HIỆN\n\n"
                     "1. Sở Nội vụ\n\n- Báo cáo năm gửi Sở Nội vụ trước ngày 15/11: \"đúng hạn\".\n")
    text = render_yaml(d)
    assert text.startswith("#") and "draft" in text.lower().split("\n")[0].lower()
    loaded = _yaml_load(text)
    assert loaded == d
    assert list(loaded)[-1] == "review"
    assert loaded["obligations"][0]["due"] == "2021-11-15"  # stays a string


def test_draft_is_accepted_by_the_plan_file_reader() -> None:
    planfile = pytest.importorskip("tracker.core.planfile")
    pytest.importorskip("ruamel.yaml")
    d = extract_plan("Số: 5/KH-UBND\n\nHà Nội, ngày 1 tháng 2 năm 2021\n\nKẾ HOẠCH\n\nCông tác năm 2021\n\n"
                     "UBND Thành phố ban hành Kế hoạch tại thành phố Hà Nội như sau:\n\n"
                     "- Tổ chức Tháng hành động từ ngày 15/11-15/12/2021.\n\n"
                     "- Hưởng ứng ngày Gia đình Việt Nam (28/6), Tháng hành động phòng, chống bạo lực gia đình (tháng 6).\n\n"
                     "III. TỔ CHỨC THỰC HIỆN\n\n1. Sở Nội vụ\n\n- Báo cáo năm gửi Sở Nội vụ trước ngày 15/11.\n")
    spec = planfile.parse_plan(render_yaml(d), "draft.yaml")
    assert len(spec.obligations) == len(d["obligations"]) == 4
