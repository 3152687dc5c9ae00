"""The draft is a plan file for import: one obligation per window, event or report.

The corpus keeps one entry per mention; a unit must not get the same reminder
twice, so mentions of the same obligation are merged and the merge is reviewed.
"""

from __future__ import annotations

from collections import Counter

from tracker.extract import extract_plan
from tracker.extract.merge import near_identical

HEAD = "Số: 12/KH-UBND\n\nHà Nội, ngày 10 tháng 01 năm 2021\n\nKẾ HOẠCH\n\nCông tác bình đẳng giới năm 2021\n\n"
GENERAL = ("II. NỘI DUNG\n\n- Tổ chức Tháng hành động vì bình đẳng giới từ ngày 15/11-15/12/2021.\n\n"
           "- Hoạt động nhân ngày Phụ nữ Việt Nam 20/10.\n\n")


def plan(body: str) -> dict:
    return extract_plan(HEAD + body)


def line_of(body: str, needle: str) -> int:
    return next(i for i, t in enumerate((HEAD + body).splitlines(), 1) if needle in t)


def obs(d: dict, kind: str) -> list[dict]:
    return [o for o in d["obligations"] if o["kind"] == kind]


def test_same_window_mentioned_twice_becomes_one_obligation_for_all() -> None:
    body = (GENERAL + "III. TỔ CHỨC THỰC HIỆN\n\n1. Sở Lao động - Thương binh và Xã hội\n\n"
            "- Chủ trì Tháng hành động vì bình đẳng giới từ ngày 15/11/2021 đến ngày 15/12/2021.\n")
    d = plan(body)
    first, second = line_of(body, "- Tổ chức Tháng"), line_of(body, "- Chủ trì Tháng")
    (ob,) = obs(d, "window")
    assert ob["id"] == "thang-hanh-dong"
    assert ob["responsible"] == "all"
    assert ob["source_line"] == first  # the first mention speaks for the obligation
    assert ob["source"].startswith("Tổ chức Tháng hành động")
    (note,) = [r for r in d["review"] if "also mentions thang-hanh-dong" in r]
    assert note == f"line {second}: also mentions thang-hanh-dong (first at line {first}; merged: responsible all)"


def test_same_event_under_two_units_is_one_obligation_for_both() -> None:
    d = plan("III. TỔ CHỨC THỰC HIỆN\n\n1. Sở Lao động - Thương binh và Xã hội\n\n"
             "- Tổ chức gặp mặt nhân ngày Quốc tế phụ nữ 8/3.\n\n2. Hội Liên hiệp Phụ nữ thành phố\n\n"
             "- Tổ chức các hoạt động kỷ niệm ngày Quốc tế Phụ nữ (8/3).\n\n3. Sở Y tế\n\n"
             "- Hưởng ứng ngày Quốc tế Phụ nữ 8/3/2021.\n")
    (ob,) = obs(d, "event")
    assert ob["date"] == "2021-03-08" and ob["id"] == "ngay-quoc-te-phu-nu-8-3"
    assert ob["responsible"] == ["ha-noi-so-ldtbxh", "ha-noi-hlhpn-tp", "ha-noi-so-y-te"]
    (note,) = [r for r in d["review"] if "also mentions" in r]
    assert "responsible ha-noi-so-ldtbxh, ha-noi-hlhpn-tp, ha-noi-so-y-te" in note


def test_three_mentions_of_one_day_give_one_reminder() -> None:
    d = plan(GENERAL + "III. TỔ CHỨC THỰC HIỆN\n\n1. Hội Liên hiệp Phụ nữ thành phố\n\n"
             "- Chăm lo nhân ngày Phụ nữ Việt Nam 20/10.\n\n2. Sở Văn hóa và Thể thao\n\n"
             "- Tuyên truyền nhân ngày thành lập Hội Liên hiệp Phụ nữ Việt Nam 20/10.\n")
    assert [o["date"] for o in obs(d, "event")] == ["2021-10-20"]
    assert obs(d, "event")[0]["responsible"] == "all"


def test_ids_have_no_suffix_after_merging() -> None:
    d = plan(GENERAL + GENERAL.replace("II. NỘI DUNG", "III. GIẢI PHÁP"))
    ids = [o["id"] for o in d["obligations"]]
    assert not any(i.endswith("-2") for i in ids)
    assert len(ids) == len(set(ids)) == 2


def test_two_reports_due_the_same_day_stay_separate() -> None:
    d = plan("- Báo cáo 6 tháng gửi Sở Nội vụ chậm nhất ngày 15/6/2021.\n\n"
             "- Các đơn vị xây dựng kế hoạch gửi Sở Nội vụ chậm nhất ngày 15/6/2021.\n\n"
             "- Báo cáo kết quả kiểm tra liên ngành gửi Sở Nội vụ chậm nhất ngày 15/6/2021.\n")
    deadlines = obs(d, "deadline")
    assert [o["category"] for o in deadlines] == ["report", "plan_submission", "report"]
    assert {o["due"] for o in deadlines} == {"2021-06-15"}
    assert len({o["id"] for o in deadlines}) == 3
    assert not any("also mentions" in r for r in d["review"])


def test_a_6_month_and_an_annual_report_on_one_day_stay_separate() -> None:
    d = plan("- Báo cáo 6 tháng công tác bình đẳng giới trước ngày 30/11/2021.\n\n"
             "- Báo cáo năm công tác bình đẳng giới trước ngày 30/11/2021.\n")
    assert [o["id"] for o in obs(d, "deadline")] == ["bao-cao-6-thang", "bao-cao-nam"]


def test_the_same_report_repeated_in_a_unit_section_is_merged() -> None:
    body = ("II. NỘI DUNG\n\n- Báo cáo 06 tháng công tác bình đẳng giới gửi Sở Nội vụ trước ngày 30/5/2021.\n\n"
            "III. TỔ CHỨC THỰC HIỆN\n\n1. Sở Y tế\n\n- Gửi báo cáo 6 tháng trước ngày 30/5/2021.\n")
    d = plan(body)
    (ob,) = obs(d, "deadline")
    assert (ob["id"], ob["responsible"], ob["strict_before"]) == ("bao-cao-6-thang", "all", True)
    assert any(r.startswith(f"line {line_of(body, '- Gửi báo cáo')}: also mentions bao-cao-6-thang")
               for r in d["review"])


def test_same_date_but_different_strictness_is_not_merged() -> None:
    d = plan("- Báo cáo năm trước ngày 15/11/2021.\n\n- Báo cáo năm chậm nhất ngày 15/11/2021.\n")
    assert [o["strict_before"] for o in obs(d, "deadline")] == [True, False]


def test_bullets_of_one_quarter_are_not_merged() -> None:
    d = plan("1. Quý I/2021:\n\n- Kiện toàn Ban.\n\n- Tập huấn cán bộ.\n\n- Kiểm tra liên ngành.\n")
    assert len([o for o in d["obligations"] if o["category"] == "quarterly_item"]) == 3


def test_near_identical_titles() -> None:
    assert near_identical("Báo cáo 6 tháng", "Báo cáo 06 tháng công tác bình đẳng giới")
    assert near_identical("Báo cáo năm", "Báo cáo năm hằng năm")
    assert not near_identical("Báo cáo 6 tháng công tác bình đẳng giới", "Báo cáo năm công tác bình đẳng giới")
    assert not near_identical("Báo cáo kết quả kiểm tra liên ngành", "Báo cáo 6 tháng")


def test_seed_drafts_have_one_obligation_per_distinct_item() -> None:
    from tests.test_extract_seeds import load
    for stem in ("000_d919d24f1205027b", "003_8aafd0e72540f134", "004_85d9e1db9fdff249"):
        d = load(stem)
        keys = Counter((o["kind"], o.get("due") or o.get("date"), o.get("start"), o.get("end"))
                       for o in d["obligations"] if o["category"] != "quarterly_item")
        assert max(keys.values()) == 1, stem
        assert not any(o["id"].endswith("-2") for o in d["obligations"]), stem


def test_two_activities_in_the_same_month_stay_separate() -> None:
    d = plan("| TT | Nội dung | Thời gian |\n|---|---|---|\n| 1 | Hội thi tìm hiểu pháp luật | Tháng 10/2021 |\n"
             "| 2 | Tọa đàm về bình đẳng giới | Tháng 10/2021 |\n\n"
             "- Tổ chức tập huấn trong tháng 10/2021.\n")
    assert len(obs(d, "window")) == 3
    assert not any("also mentions" in r for r in d["review"])
