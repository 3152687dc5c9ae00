"""One test per seed plan: the key deadlines, windows and header fields.

The seeds live in shared/seeds beside the repository (as in CI); the tests are
skipped where that directory is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.extract import extract_plan, render_yaml

SEEDS = Path(__file__).resolve().parent.parent.parent / "shared" / "seeds"


def load(stem: str) -> dict:
    path = SEEDS / f"{stem}.txt"
    if not path.exists():
        pytest.skip(f"seed {path} not available")
    return extract_plan(path.read_text(encoding="utf-8"))


def deadlines(d: dict) -> list[tuple[str, bool, int]]:
    return [(o["due"], o["strict_before"], o["source_line"]) for o in d["obligations"] if o["kind"] == "deadline"]


def windows(d: dict) -> set[tuple[str, str]]:
    return {(o["start"], o["end"]) for o in d["obligations"]
            if o["kind"] == "window" and o["category"] != "event"}


def test_seed_000_hanoi_markdown_plan() -> None:
    d = load("000_d919d24f1205027b")
    assert deadlines(d) == [("2021-03-10", True, 165), ("2021-05-30", True, 167), ("2021-11-30", True, 169)]
    assert windows(d) == {("2021-11-15", "2021-12-15")}
    p = d["plan"]
    assert (p["number"], p["issued_on"], p["year"], p["coordinator"]) == ("43/KH-UBND", "2021-02-18", 2021, "ha-noi-so-ldtbxh")
    assert all(o.get("report_to") == "ha-noi-so-ldtbxh" for o in d["obligations"] if o["kind"] == "deadline")
    assert len(d["units"]) == 17


def test_seed_001_haiphong_hard_wrapped_plan() -> None:
    d = load("001_22ff0527028ddd90")
    assert deadlines(d) == []
    assert windows(d) == {("2022-11-15", "2022-12-15")}
    # the same Tháng hành động on lines 71 and 73 is one obligation, with a review note
    assert [o["source_line"] for o in d["obligations"]] == [71]
    assert any(r.startswith("line 73: also mentions thang-hanh-dong") for r in d["review"])
    p = d["plan"]
    assert (p["number"], p["issuer"], p["issued_on"]) == ("70/KH-UBND", "UBND thành phố Hải Phòng", "2022-03-22")
    assert "Sở Lao động - Thương binh và Xã hội" in [u["name"] for u in d["units"]]
    assert p["coordinator"] == "hai-phong-so-ldtbxh"


def test_seed_002_daklak_web_page() -> None:
    d = load("002_5a6e7d906b9386d3")
    assert deadlines(d) == [("2020-05-15", True, 82), ("2020-11-15", True, 82)]
    assert windows(d) == {("2020-11-15", "2020-12-15")}
    p = d["plan"]
    assert (p["number"], p["issued_on"], p["year"]) == ("1889/KH-UBND", "2020-03-09", 2020)
    assert "Tác giả" not in render_yaml(d)


def test_seed_003_longbien_blank_number_and_day() -> None:
    d = load("003_8aafd0e72540f134")
    assert deadlines(d) == [("2025-02-15", True, 157), ("2025-05-25", True, 169), ("2025-11-25", True, 169)]
    p = d["plan"]
    assert (p["number"], p["issued_on"], p["year"]) == (None, None, 2025)
    first = d["obligations"][[o["kind"] for o in d["obligations"]].index("deadline")]
    assert first["responsible"] == ["long-bien-ubnd-cac-phuong"] and first["category"] == "plan_submission"
    assert p["coordinator"] == "long-bien-phong-ldtbxh-quan"


def test_seed_004_quan10_quarterly_programme() -> None:
    d = load("004_85d9e1db9fdff249")
    assert deadlines(d) == [("2022-05-31", False, 231), ("2022-10-31", False, 233)]
    assert windows(d) == {("2022-01-01", "2022-03-31"), ("2022-04-01", "2022-06-30"), ("2022-07-01", "2022-09-30"),
                          ("2022-10-01", "2022-12-31"), ("2022-11-15", "2022-12-15")}
    assert ("2022-06-01", "2022-06-30") in {(o["start"], o["end"]) for o in d["obligations"] if o["kind"] == "window" and o["category"] == "event"}
    assert d["plan"]["number"] == "110/KH-BVSTBPN&BDG"
    assert d["plan"]["coordinator"] == "quan-10-phong-ldtbxh"
    assert not any(o.get("date") == "2022-02-03" for o in d["obligations"])  # "Tiểu đảo 3/2" is a place


def test_two_provinces_drafts_share_no_unit_code_though_they_share_unit_names() -> None:
    # One store may hold both plans: a shared "so-y-te" would give Hải Phòng's import Hà Nội's unit.
    hanoi, haiphong = load("000_d919d24f1205027b"), load("001_22ff0527028ddd90")
    names = {u["name"] for u in hanoi["units"]} & {u["name"] for u in haiphong["units"]}
    assert {"Sở Y tế", "Sở Tư pháp", "Sở Nội vụ"} <= names
    assert not {u["code"] for u in hanoi["units"]} & {u["code"] for u in haiphong["units"]}
    codes = {u["name"]: u["code"] for u in hanoi["units"]}
    assert (codes["Sở Y tế"], codes["Công an thành phố Hà Nội"]) == ("ha-noi-so-y-te", "ha-noi-cong-an")
