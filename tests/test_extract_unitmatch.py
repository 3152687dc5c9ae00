"""Matching the unit names a plan writes to the units the office already keeps."""

from __future__ import annotations

from tracker.extract.unitmatch import KnownUnit, match_name, match_units

KNOWN = [
    KnownUnit("bn-syt", "Sở Y tế tỉnh Bắc Ninh", ("syt@bacninh.example.vn",)),
    KnownUnit("hn-syt", "Sở Y tế thành phố Hà Nội", ("syt@hanoi.example.vn",)),
    KnownUnit("bn-sldtbxh", "Sở LĐTBXH tỉnh Bắc Ninh", ("ldtbxh@bacninh.example.vn",), "gd@bacninh.example.vn",
              "department", "bn-ubnd"),
    KnownUnit("bn-ubnd", "Ủy ban nhân dân tỉnh Bắc Ninh", ("ubnd@bacninh.example.vn",)),
    KnownUnit("ts-ubnd", "UBND huyện Tiên Du", ("ubnd@tiendu.example.vn",)),
    KnownUnit("bn-stc", "Sở Tài chính tỉnh Bắc Ninh", ("stc@bacninh.example.vn",)),
]


def test_abbreviations_and_the_plans_own_place_are_the_same_unit():
    assert match_name("Sở Lao động - Thương binh và Xã hội", KNOWN, "Bắc Ninh").unit.code == "bn-sldtbxh"
    assert match_name("UBND tỉnh", KNOWN, "Bắc Ninh").unit.code == "bn-ubnd"
    assert match_name("Sở Y tế", KNOWN, "Bắc Ninh").unit.code == "bn-syt"


def test_a_unit_of_another_place_or_another_level_is_not_matched():
    assert match_name("Sở Y tế", KNOWN, "Lạng Sơn").unit is None
    assert match_name("UBND huyện", KNOWN, "Bắc Ninh").unit is None


def test_a_name_that_fits_several_units_matches_none_and_lists_them():
    m = match_name("Sở Y tế", KNOWN, None)
    assert m.unit is None and [k.code for k in m.candidates] == ["bn-syt", "hn-syt"]


def test_matched_units_carry_the_known_record_and_their_codes_replace_the_drafts_everywhere():
    draft = {
        "plan": {"id": "bn-2025-1", "place": "Bắc Ninh", "coordinator": "bac-ninh-so-ldtbxh"},
        "units": [{"code": "bac-ninh-so-ldtbxh", "name": "Sở LĐTBXH", "email": [], "kind": "department"},
                  {"code": "bac-ninh-so-y-te", "name": "Sở Y tế", "email": []},
                  {"code": "bac-ninh-so-ldtbxh-2", "name": "Sở Lao động, Thương binh và Xã hội", "email": []},
                  {"code": "bac-ninh-so-tai-chinh-ke-hoach", "name": "Sở Tài chính - Kế hoạch", "email": []}],
        "obligations": [{"id": "bao-cao-quy", "responsible": ["bac-ninh-so-y-te", "bac-ninh-so-ldtbxh-2"],
                         "report_to": "bac-ninh-so-ldtbxh"}],
        "review": ["line 1: unit e-mail addresses are not in the document; fill `email` for every unit before import",
                   "line 9: the table names \"Sở Y tế\" as lead unit, not a unit of the organisation section; "
                   "added as unit bac-ninh-so-y-te"],
    }
    out = match_units(draft, KNOWN, "units.csv")
    assert out["plan"]["coordinator"] == "bn-sldtbxh"
    assert out["units"] == [
        {"code": "bn-sldtbxh", "name": "Sở LĐTBXH tỉnh Bắc Ninh", "email": ["ldtbxh@bacninh.example.vn"],
         "head_email": "gd@bacninh.example.vn", "kind": "department", "parent": "bn-ubnd"},
        {"code": "bn-syt", "name": "Sở Y tế tỉnh Bắc Ninh", "email": ["syt@bacninh.example.vn"]},
        {"code": "bac-ninh-so-tai-chinh-ke-hoach", "name": "Sở Tài chính - Kế hoạch", "email": []},
    ]
    assert out["obligations"] == [{"id": "bao-cao-quy", "responsible": ["bn-syt", "bn-sldtbxh"],
                                   "report_to": "bn-sldtbxh"}]
    assert out["review"] == [
        "line 1: 3 of 4 units matched to units.csv (codes and e-mail addresses filled in; 1 of them another "
        "spelling of a unit already matched)",
        "line 1: unit bac-ninh-so-tai-chinh-ke-hoach \"Sở Tài chính - Kế hoạch\" matches no unit of units.csv by "
        "name; closest: bn-stc (Sở Tài chính tỉnh Bắc Ninh). If it is one of these, use its code; "
        "else fill in its email",
        "line 9: the table names \"Sở Y tế\" as lead unit, not a unit of the organisation section; "
        "added as unit bn-syt",
    ]
