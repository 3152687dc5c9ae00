"""A plan owns its units: `responsible: all` means the units its file lists or
names, groups pick among them, and recurrence stops with the plan's validity."""

import pytest
from sqlalchemy import select

from tests.conftest import EXAMPLES, at, load_sample
from tracker.core.errors import ValidationErrors
from tracker.services.imports import import_plan, import_units
from tracker.store.models import Assignment, Obligation, Plan, Unit

HOSPITALS = 16


def hospital_units(tmp_path):
    """A health department, its office and 16 hospitals (kind benh-vien, parent so-y-te)."""
    lines = ["code,name,email,head_email,kind,parent",
             "so-y-te,Sở Y tế,vanthu@soyte.example.vn,giamdoc@soyte.example.vn,so,",
             "vp-so-y-te,Văn phòng Sở Y tế,vp@soyte.example.vn,,van-phong,so-y-te"]
    lines += [f"bv-{i:02d},Bệnh viện số {i},bv{i}@soyte.example.vn,,benh-vien,so-y-te" for i in range(1, HOSPITALS + 1)]
    path = tmp_path / "benh-vien.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HOSPITAL_PLAN = """\
plan:
  id: syt-2025-486
  number: 486/KH-SYT
  issuer: Sở Y tế
  issued_on: 21/02/2025
  year: 2025
  title: Kế hoạch công tác bình đẳng giới ngành y tế năm 2025
  coordinator: so-y-te
units: [so-y-te, vp-so-y-te, {hospitals}]
obligations:
  - id: bao-cao-quy
    title: Báo cáo quý
    due: 25/3
    recurrence: quarterly
    responsible: {responsible}
  - id: ngay-phu-nu
    title: Ngày Phụ nữ Việt Nam
    kind: event
    date: 20/10
    recurrence: yearly
    responsible: all
"""


def hospital_plan(tmp_path, responsible="all", extra=""):
    path = tmp_path / "syt.yaml"
    text = HOSPITAL_PLAN.format(hospitals=", ".join(f"bv-{i:02d}" for i in range(1, HOSPITALS + 1)),
                                responsible=responsible)
    path.write_text(text.replace("  coordinator: so-y-te\n", "  coordinator: so-y-te\n" + extra), encoding="utf-8")
    return path


def units_of(rt, plan_code):
    with rt.store.read() as s:
        return set(s.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                             .join(Obligation, Obligation.id == Assignment.obligation_id)
                             .join(Plan, Plan.id == Obligation.plan_id).where(Plan.code == plan_code)))


def periods_of(rt, plan_code):
    with rt.store.read() as s:
        return sorted(set(s.scalars(select(Assignment.period).join(Obligation, Obligation.id == Assignment.obligation_id)
                                    .join(Plan, Plan.id == Obligation.plan_id).where(Plan.code == plan_code))))


def test_responsible_all_means_the_plans_own_units_not_every_unit_in_the_store(rt, tmp_path):
    load_sample(rt, at("2025-01-10T09:00"))
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    import_plan(rt, hospital_plan(tmp_path), at("2025-01-10T09:00"))
    hospitals = {f"bv-{i:02d}" for i in range(1, HOSPITALS + 1)}
    assert units_of(rt, "syt-2025-486") == hospitals | {"vp-so-y-te"}
    # The sample plan did not grow by the 18 units imported after it.
    assert not units_of(rt, "hn-2021-43") & (hospitals | {"so-y-te", "vp-so-y-te"})


def test_responsible_all_does_not_grow_when_another_plans_units_are_imported(rt, tmp_path):
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    import_plan(rt, hospital_plan(tmp_path), at("2025-01-10T09:00"))
    before = units_of(rt, "syt-2025-486")
    load_sample(rt, at("2025-02-10T09:00"))
    assert units_of(rt, "syt-2025-486") == before


def test_a_plan_naming_no_units_of_its_own_cannot_say_responsible_all(rt, tmp_path):
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    plan = hospital_plan(tmp_path)
    plan.write_text("\n".join(line for line in plan.read_text(encoding="utf-8").splitlines()
                              if not line.startswith("units:")) + "\n", encoding="utf-8")
    with pytest.raises(ValidationErrors) as exc:
        import_plan(rt, plan, at("2025-01-10T09:00"))
    assert str(exc.value).startswith(f"{plan}:")
    assert ("obligation 'bao-cao-quy' and 1 more: responsible: all, but the plan has no units of its own "
            "besides its coordinator: list them under units: (the code is enough for a unit already imported)"
            in str(exc.value))


def test_responsible_group_by_kind_picks_the_plans_units_of_that_kind(rt, tmp_path):
    load_sample(rt, at("2025-01-10T09:00"))
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    import_plan(rt, hospital_plan(tmp_path, responsible="[kind:benh-vien]"), at("2025-01-10T09:00"))
    with rt.store.read() as s:
        got = set(s.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                            .join(Obligation, Obligation.id == Assignment.obligation_id)
                            .where(Obligation.code == "bao-cao-quy")))
    assert got == {f"bv-{i:02d}" for i in range(1, HOSPITALS + 1)}


def test_responsible_group_by_parent_picks_the_units_under_that_unit(rt, tmp_path):
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    import_plan(rt, hospital_plan(tmp_path, responsible="[parent:so-y-te]"), at("2025-01-10T09:00"))
    with rt.store.read() as s:
        got = set(s.scalars(select(Unit.code).join(Assignment, Assignment.unit_id == Unit.id)
                            .join(Obligation, Obligation.id == Assignment.obligation_id)
                            .where(Obligation.code == "bao-cao-quy")))
    assert got == {f"bv-{i:02d}" for i in range(1, HOSPITALS + 1)} | {"vp-so-y-te"}


def test_a_group_that_matches_none_of_the_plans_units_is_an_error(rt, tmp_path):
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    path = hospital_plan(tmp_path, responsible="[kind:truong-hoc]")
    with pytest.raises(ValidationErrors) as exc:
        import_plan(rt, path, at("2025-01-10T09:00"))
    assert str(exc.value) == f"{path}:15: obligation 'bao-cao-quy': group 'kind:truong-hoc' matches none of the plan's units"


def test_recurrence_stops_at_the_end_of_the_plans_year_by_default(rt, tmp_path):
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    import_plan(rt, hospital_plan(tmp_path), at("2025-12-01T09:00"))  # horizon reaches into 2027
    assert periods_of(rt, "syt-2025-486") == ["2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"]


def test_a_multi_year_plan_says_so_with_valid_until(rt, tmp_path):
    import_units(rt, hospital_units(tmp_path), at("2025-01-10T09:00"))
    import_plan(rt, hospital_plan(tmp_path, extra="  valid_until: 30/6/2026\n"), at("2025-12-01T09:00"))
    # The quarterly reports of 2026's first half; not 20/10/2026, after the plan's end.
    assert periods_of(rt, "syt-2025-486") == ["2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1",
                                               "2026-Q2"]


def test_a_year_simulated_for_a_16_unit_plan_imported_after_the_sample_shows_no_other_plans_units(rt, tmp_path):
    from tracker.services.simulate import simulate

    load_sample(rt, at("2025-01-02T09:00"))
    import_units(rt, hospital_units(tmp_path), at("2025-01-02T09:00"))
    import_plan(rt, hospital_plan(tmp_path), at("2025-01-02T09:00"))
    msgs = list(simulate(rt, at("2025-01-02T00:00"), at("2025-12-31T23:59:59")))
    own = {f"bv-{i:02d}" for i in range(1, HOSPITALS + 1)} | {"so-y-te", "vp-so-y-te"}
    assert msgs, "the year has reminders"
    items = [(m.digest.recipient_unit, i) for m in msgs for i in m.digest.items]
    # The hospital plan speaks of its own units only, to its own units only ...
    assert {i.unit for _, i in items if i.plan == "syt-2025-486"} <= own
    assert {to for to, i in items if i.plan == "syt-2025-486"} <= own
    assert {i.period for _, i in items if i.plan == "syt-2025-486"} == {"2025", "2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4"}
    # ... and the sample (whose 2021 work is still open) never of them, nor to them.
    assert not {i.unit for _, i in items if i.plan == "hn-2021-43"} & own
    assert not {to for to, i in items if i.plan == "hn-2021-43"} & own
    assert {i.period for _, i in items if i.plan == "hn-2021-43"} == {"2021"}
