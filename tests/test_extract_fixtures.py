"""Synthetic plans of the genre, written to differ from the seeds.

- so_noi_vu_2026_nfd.txt: a provincial Sở Nội vụ plan for 2026 after the
  1/3/2025 reorganisation, issued in December 2025, stored in decomposed
  Unicode (NFD); "chậm nhất ngày", "hạn", a table of report deadlines with a
  reporting period in its notes, lettered quarter headings, a "Nơi nhận" list.
- phuong_2026_table.txt: a ward plan (two-tier local government) with CRLF line
  ends, a two-column letterhead in table pipes, lettered sections (A., B., C.),
  a table of activities with lead-unit and time columns (quarters, a month, a
  range, a "Trước ngày" deadline), and the "Nơi nhận" list in table pipes.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from tracker.extract import extract_plan, render_yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "extract"


def load(name: str) -> tuple[str, dict]:
    text = (FIXTURES / name).read_bytes().decode("utf-8")
    return text, extract_plan(text)


def by_kind(d: dict, kind: str) -> list[dict]:
    return [o for o in d["obligations"] if o["kind"] == kind]


def line_of(text: str, needle: str) -> int:
    nfc = unicodedata.normalize("NFC", text).replace("\r\n", "\n")
    return next(i for i, t in enumerate(nfc.split("\n"), 1) if needle in t)


# -- Sở Nội vụ, 2026, NFD -----------------------------------------------------------

@pytest.fixture(scope="module")
def snv() -> tuple[str, dict]:
    text, d = load("so_noi_vu_2026_nfd.txt")
    assert text != unicodedata.normalize("NFC", text)  # the fixture really is decomposed
    return text, d


def test_snv_header_year_is_the_planned_year_not_the_issue_year(snv) -> None:
    _, d = snv
    p = d["plan"]
    assert (p["number"], p["issued_on"], p["year"]) == ("245/KH-SNV", "2025-12-05", 2026)
    assert p["issuer"] == "Sở Nội vụ tỉnh Khánh Sơn"
    assert p["id"] == "ks-2026-245"
    assert any("issued in 2025 for 2026" in r for r in d["review"])


def test_snv_units_are_the_numbered_headings_not_the_nơi_nhận_list(snv) -> None:
    _, d = snv
    names = [u["name"] for u in d["units"]]
    assert names[:9] == [
        "Sở Nội vụ", "Sở Văn hóa, Thể thao và Du lịch", "Sở Y tế", "Sở Nông nghiệp và Môi trường",
        "Sở Dân tộc và Tôn giáo", "Sở Khoa học và Công nghệ", "Ủy ban Mặt trận Tổ quốc Việt Nam tỉnh",
        "các tổ chức chính trị - xã hội tỉnh", "UBND các xã, phường, đặc khu"]
    assert not {"Bộ Nội vụ", "Thường trực Tỉnh ủy", "UBND tỉnh"} & set(names)
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_snv_table_of_deadlines(snv) -> None:
    text, d = snv
    got = [(o["title"], o["due"], o["strict_before"], o["category"]) for o in by_kind(d, "deadline")]
    assert got == [
        ("Kế hoạch thực hiện công tác bình đẳng giới năm 2026 của địa phương", "2026-01-31", False,
         "plan_submission"),
        ("Báo cáo 6 tháng đầu năm 2026", "2026-06-05", False, "report"),
        ("Kế hoạch năm 2027 của cơ quan, đơn vị", "2026-06-05", False, "plan_submission"),
        ("Báo cáo năm 2026", "2026-12-05", False, "report"),  # "hạn ngày 05 tháng 12 năm 2026"
        ("Báo cáo kết quả Tháng hành động", "2026-12-20", False, "report"),  # a bare date under "Thời hạn gửi"
    ]
    rows = [o for o in by_kind(d, "deadline") if o["source_line"] >= line_of(text, "| 1 | Báo cáo 6 tháng")]
    assert all(o["responsible"] == "all" for o in rows)
    # "(qua Phòng …)": the report physically goes to that office (corpus convention 8)
    assert {o["report_to"] for o in rows} == {"khanh-son-phong-cong-chuc-vien-chuc-binh"}
    first = by_kind(d, "deadline")[0]
    assert (first["responsible"], first["report_to"]) == (["khanh-son-ubnd-cac-xa-phuong-dac-khu"], "khanh-son-so-noi-vu")


def test_snv_two_reports_due_the_same_day_stay_separate(snv) -> None:
    _, d = snv
    same_day = [o["id"] for o in by_kind(d, "deadline") if o["due"] == "2026-06-05"]
    assert same_day == ["bao-cao-6-thang", "ke-hoach-don-vi-2"]


def test_snv_reporting_period_is_not_a_window(snv) -> None:
    _, d = snv
    assert not any(o.get("start") == "2025-12-15" for o in d["obligations"])
    assert any("reporting period" in r for r in d["review"])


def test_snv_windows_events_and_quarters(snv) -> None:
    text, d = snv
    windows = {(o["start"], o["end"], o["category"]) for o in by_kind(d, "window")}
    assert windows == {
        ("2026-11-15", "2026-12-15", "window"), ("2026-06-01", "2026-06-30", "event"),
        ("2026-01-01", "2026-03-31", "quarterly_item"), ("2026-07-01", "2026-09-30", "quarterly_item"),
        ("2026-10-01", "2026-12-31", "quarterly_item")}
    assert len([o for o in by_kind(d, "window") if o["category"] == "quarterly_item"]) == 4
    events = {o["date"]: o for o in by_kind(d, "event")}
    assert sorted(events) == ["2026-03-08", "2026-06-28", "2026-10-20", "2026-12-26"]
    assert all(e["recurrence"] == "yearly" for e in events.values())
    # 20/10 in the general section and again under the Mặt trận: one obligation for all
    assert events["2026-10-20"]["responsible"] == "all"
    assert events["2026-06-28"]["responsible"] == ["khanh-son-so-vhttdl"]
    # Tháng hành động in section II and again under Sở Nội vụ: one obligation, reviewed
    (thd,) = [o for o in by_kind(d, "window") if o["start"] == "2026-11-15"]
    assert (thd["id"], thd["responsible"]) == ("thang-hanh-dong", "all")
    second = line_of(text, "tham mưu UBND tỉnh tổ chức Tháng hành động")
    assert any(r.startswith(f"line {second}: also mentions thang-hanh-dong") for r in d["review"])


def test_snv_dates_of_the_legal_basis_are_not_obligations_nor_noise(snv) -> None:
    _, d = snv
    assert not any(o.get("date", "").startswith(("2006", "2025")) for o in d["obligations"])
    assert not any("29 tháng 11 năm 2006" in r or "01/3/2025" in r for r in d["review"])
    assert not any("CHẾ ĐỘ BÁO CÁO" in r for r in d["review"])


# -- Phường, 2026, tables and CRLF ----------------------------------------------------

@pytest.fixture(scope="module")
def ward() -> tuple[str, dict]:
    text, d = load("phuong_2026_table.txt")
    assert "\r\n" in text
    return text, d


def test_ward_header_in_a_two_column_table(ward) -> None:
    _, d = ward
    p = d["plan"]
    assert (p["number"], p["issuer"], p["place"], p["issued_on"], p["year"]) == (
        "18/KH-UBND", "UBND phường Tây Hồ", "Tây Hồ", "2026-01-12", 2026)
    assert p["coordinator"] == "tay-ho-phong-van-hoa-xa-hoi-phuong"  # the standing office wins a tie


def test_ward_units_from_a_lettered_organisation_section(ward) -> None:
    _, d = ward
    names = [u["name"] for u in d["units"]]
    assert names[:5] == ["Phòng Văn hóa - Xã hội phường", "Trạm Y tế phường", "Công an phường",
                         "Ủy ban Mặt trận Tổ quốc Việt Nam phường", "Hội Liên hiệp Phụ nữ phường"]
    assert not {"UBND Thành phố", "Sở Nội vụ Thành phố", "Đảng ủy phường"} & set(names)


def test_ward_table_rows_take_title_lead_unit_and_time_from_their_columns(ward) -> None:
    _, d = ward
    rows = {o["title"]: o for o in d["obligations"] if 25 <= o["source_line"] <= 29}
    got = {t: (o["kind"], o["category"], o.get("start") or o.get("due"), o.get("end"), o["responsible"])
           for t, o in rows.items()}
    assert got == {
        "Kiện toàn Ban Vì sự tiến bộ của phụ nữ phường":
            ("window", "quarterly_item", "2026-01-01", "2026-03-31", ["tay-ho-phong-van-hoa-xa-hoi-phuong"]),
        "Tập huấn kỹ năng lồng ghép giới cho cán bộ, công chức phường":
            ("window", "quarterly_item", "2026-04-01", "2026-06-30", ["tay-ho-phong-van-hoa-xa-hoi-phuong"]),
        "Hội thi \"Phụ nữ phường Tây Hồ với pháp luật\"":
            ("window", "window", "2026-10-01", "2026-10-31", ["tay-ho-hlhpn-phuong"]),
        "Truyền thông phòng, chống bạo lực gia đình":
            ("window", "window", "2026-06-01", "2026-06-30", ["tay-ho-tram-y-te-phuong"]),
        "Báo cáo sơ kết 6 tháng": ("deadline", "report", "2026-06-15", None, ["tay-ho-cac-don-vi-thanh-vien"]),
    }
    assert rows["Báo cáo sơ kết 6 tháng"]["strict_before"] is True
    assert any("added as unit tay-ho-cac-don-vi-thanh-vien" in r for r in d["review"])
    assert not any("running text" in r or "mentioned (" in r for r in d["review"])


def test_ward_deadlines_in_prose(ward) -> None:
    _, d = ward
    got = [(o["id"], o["due"], o["strict_before"], o["responsible"], o.get("report_to"))
           for o in by_kind(d, "deadline")][1:]
    assert got == [
        ("bao-cao-nam", "2026-12-05", True, ["tay-ho-phong-van-hoa-xa-hoi-phuong"], "tay-ho-ubnd-phuong"),
        ("bao-cao-so-lieu", "2026-11-30", False, ["tay-ho-cong-an-phuong"], "tay-ho-phong-van-hoa-xa-hoi-phuong"),
    ]


def test_ward_events_are_merged_across_sections(ward) -> None:
    _, d = ward
    events = {o["date"]: o for o in by_kind(d, "event")}
    assert sorted(events) == ["2026-06-28", "2026-10-20", "2026-11-14", "2026-11-25"]
    assert events["2026-06-28"]["responsible"] == "all"  # section B and again under Trạm Y tế
    assert events["2026-11-14"]["recurrence"] == "none"  # a launch ceremony, reviewed
    assert not events["2026-11-14"]["id"].startswith("thang-hanh-dong")
    assert {(o["start"], o["end"]) for o in by_kind(d, "window") if o["category"] == "window"} >= {
        ("2026-11-15", "2026-12-15")}


@pytest.mark.parametrize("name", ["so_noi_vu_2026_nfd.txt", "phuong_2026_table.txt", "synthetic_province.txt"])
def test_fixture_drafts_import(name: str) -> None:
    planfile = pytest.importorskip("tracker.core.planfile")
    pytest.importorskip("ruamel.yaml")
    _, d = load(name)
    ids = [o["id"] for o in d["obligations"]]
    assert len(ids) == len(set(ids))
    spec = planfile.parse_plan(render_yaml(d), "draft.yaml")
    assert len(spec.obligations) == len(d["obligations"])
