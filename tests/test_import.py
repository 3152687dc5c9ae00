"""Importing units and plans: round trips, updates, and every bad input
rejected on one line with nothing written."""

import json

import pytest
from sqlalchemy import func, select

from tests.conftest import EXAMPLES
from tracker.store.models import AuditEntry, Plan, Submission, Unit

PLAN = """\
plan:
  id: test-2021
  issuer: UBND Test
  year: 2021
  title: Kế hoạch thử
  coordinator: sldtbxh
units:
  - code: sldtbxh
    name: Sở Lao động - Thương binh và Xã hội
    email: vanthu@sldtbxh.example.vn
  - code: hlhpn
    name: Hội Liên hiệp Phụ nữ
    email: [a@hlhpn.example.vn, b@hlhpn.example.vn]
    head_email: chutich@hlhpn.example.vn
obligations:
  - id: bao-cao
    title: Báo cáo 6 tháng
    kind: deadline
    due: {due}
    strict_before: true
    recurrence: none
    responsible: all
"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def count(rt, model):
    with rt.store.read() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_units_csv_import_then_reimport_changes_nothing(cli, rt):
    first = cli("units", "import", str(EXAMPLES / "units.csv"))
    assert first.exit_code == 0
    assert first.out.endswith("units.csv: 15 units created, 0 updated, 0 unchanged\n")
    audit_rows = count(rt, AuditEntry)
    again = cli("units", "import", str(EXAMPLES / "units.csv"))
    assert again.out.endswith("units.csv: 0 units created, 0 updated, 15 unchanged\n")
    assert count(rt, AuditEntry) == audit_rows


def test_units_list_json_has_several_addresses(cli):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    units = json.loads(cli("units", "list", "--json").out)
    sld = next(u for u in units if u["code"] == "sldtbxh")
    assert sld["email"] == ["vanthu@sldtbxh.example.vn", "binhdanggioi@sldtbxh.example.vn"]
    assert sld["head_email"] == "giamdoc@sldtbxh.example.vn"


def test_changed_unit_is_updated_and_audited(cli, rt, tmp_path):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    text = (EXAMPLES / "units.csv").read_text(encoding="utf-8").replace("vanthu@syt.example.vn", "moi@syt.example.vn")
    result = cli("units", "import", write(tmp_path, "u.csv", text))
    assert result.out.endswith("0 units created, 1 updated, 14 unchanged\n")
    with rt.store.read() as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.entity_id == "syt", AuditEntry.action == "update")).one()
        assert entry.before["emails"] == ["vanthu@syt.example.vn"]
        assert entry.after["emails"] == ["moi@syt.example.vn"]
        assert entry.actor


def test_plan_import_is_idempotent(cli, rt):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    first = cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    assert first.exit_code == 0
    assert first.out.endswith("1 plans created, 0 updated, 0 unchanged, 58 assignments created\n")
    again = cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    assert again.out.endswith("0 plans created, 0 updated, 1 unchanged\n")


def test_changed_due_date_moves_open_assignments_and_keeps_submissions(cli, rt, tmp_path):
    path = write(tmp_path, "p.yaml", PLAN.format(due="30/5"))
    assert cli("--now", "2021-03-01T09:00", "plan", "import", path).exit_code == 0
    assert cli("--now", "2021-05-20T09:00", "submit", "hlhpn", "bao-cao").exit_code == 0
    write(tmp_path, "p.yaml", PLAN.format(due="15/6"))
    result = cli("--now", "2021-05-21T09:00", "plan", "import", path)
    assert result.exit_code == 0, result.err
    assert "1 updated" in result.out
    rows = json.loads(cli("--now", "2021-05-21T09:00", "status", "--json").out)
    assert [(r["unit"], r["due"], r["state"]) for r in rows] == [
        ("hlhpn", "2021-05-31T23:59:59+07:00", "submitted")]
    # hlhpn's submission kept its own deadline; the coordinator is not responsible for itself.
    assert count(rt, Submission) == 1


def test_obligation_removed_from_plan_waives_its_open_assignments(cli, tmp_path):
    plan = PLAN.format(due="30/5") + """\
  - id: ke-hoach
    title: Kế hoạch
    due: 10/3
    strict_before: true
"""
    path = write(tmp_path, "p.yaml", plan)
    cli("--now", "2021-03-01T09:00", "plan", "import", path)
    write(tmp_path, "p.yaml", PLAN.format(due="30/5"))
    cli("--now", "2021-03-02T09:00", "plan", "import", path)
    rows = json.loads(cli("--now", "2021-03-02T09:00", "status", "--json").out)
    assert {(r["obligation"], r["state"]) for r in rows} == {("bao-cao", "pending"), ("ke-hoach", "waived")}


@pytest.mark.parametrize("due, line, message", [
    ("31/2", 19, "obligation 'bao-cao': due: '31/2' is not a real date"),
    ("29/2", 19, "obligation 'bao-cao': due: '29/2' is not a real date"),
    ("mai", 19, "obligation 'bao-cao': due: 'mai' is not a date (write d/m, d/m/yyyy or yyyy-mm-dd)"),
])
def test_impossible_date_is_rejected_with_file_and_line(cli, rt, tmp_path, due, line, message):
    path = write(tmp_path, "p.yaml", PLAN.format(due=due))
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.out == ""
    assert result.err == f"error: {path}:{line}: {message}\n"
    assert count(rt, Plan) == 0 and count(rt, Unit) == 0


def test_unknown_unit_in_responsible_names_the_obligation_line(cli, rt, tmp_path):
    text = PLAN.format(due="30/5").replace("responsible: all", "responsible: [hlhpn, so-khong-co]")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err == f"error: {path}:22: obligation 'bao-cao': unknown unit 'so-khong-co' in responsible\n"
    assert count(rt, Plan) == 0 and count(rt, Unit) == 0


def test_unknown_key_is_rejected_with_its_line(cli, tmp_path):
    path = write(tmp_path, "p.yaml", PLAN.format(due="30/5").replace("    strict_before: true",
                                                                      "    strict_befor: true"))
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err.startswith(f"error: {path}:20: unknown key 'strict_befor' in obligations[0] (allowed: ")


def test_broken_yaml_is_one_line_with_the_line_number(cli, tmp_path):
    path = write(tmp_path, "p.yaml", "plan:\n  id: x\n  title: [unclosed\nunits: []\n")
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err.count("\n") == 1
    assert result.err.startswith(f"error: {path}:4: invalid YAML")


def test_every_problem_of_a_plan_file_is_listed_at_once(cli, tmp_path):
    text = PLAN.format(due="31/2").replace("email: vanthu@sldtbxh.example.vn", "email: vanthu-at-sldtbxh")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err.splitlines() == [
        f"error: {path}:10: unit 'sldtbxh': 'vanthu-at-sldtbxh' is not a valid e-mail address",
        f"error: {path}:19: obligation 'bao-cao': due: '31/2' is not a real date",
    ]


def test_plan_units_without_email_are_named(cli, tmp_path):
    text = PLAN.format(due="30/5").replace("    email: vanthu@sldtbxh.example.vn\n", "    email: []\n")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert result.exit_code == 1
    assert result.err == (f"error: {path}:8: unit 'sldtbxh' (Sở Lao động - Thương binh và Xã hội) "
                          "has no e-mail address: fill in its email\n")


def test_malformed_email_in_units_csv_names_the_line(cli, rt, tmp_path):
    path = write(tmp_path, "u.csv", "code,name,email\nhlhpn,Hội LHPN,ok@hlhpn.example.vn\nsyt,Sở Y tế,syt@@x\n")
    result = cli("units", "import", path)
    assert result.exit_code == 1
    assert result.err == f"error: {path}:3: unit 'syt': 'syt@@x' is not a valid e-mail address\n"
    assert count(rt, Unit) == 0


def test_broken_csv_row_names_the_line(cli, rt, tmp_path):
    path = write(tmp_path, "u.csv", "code,name,email\nhlhpn,Hội LHPN,ok@hlhpn.example.vn\nsyt,Sở Y tế\n")
    result = cli("units", "import", path)
    assert result.exit_code == 1
    assert result.err == f"error: {path}:3: expected 3 fields, found 2\n"
    assert count(rt, Unit) == 0


def test_unknown_csv_column_is_rejected(cli, tmp_path):
    path = write(tmp_path, "u.csv", "code,name,mail\nx,X,x@x.vn\n")
    result = cli("units", "import", path)
    assert result.exit_code == 1
    assert result.err == (f"error: {path}:1: unknown column(s) mail; missing column(s) email "
                          "(header must be code,name,email,head_email,kind,parent)\n")


def test_duplicate_unit_code_is_rejected(cli, rt, tmp_path):
    path = write(tmp_path, "u.csv", "code,name,email\nsyt,Sở Y tế,a@syt.vn\nsyt,Sở Y tế 2,b@syt.vn\n")
    result = cli("units", "import", path)
    assert result.exit_code == 1
    assert result.err == f"error: {path}:3: duplicate unit code 'syt' (first at {path}:2)\n"
    assert count(rt, Unit) == 0


def test_units_yaml_file_is_accepted(cli, tmp_path):
    path = write(tmp_path, "u.yaml", "units:\n  - code: syt\n    name: Sở Y tế\n    email: a@syt.example.vn\n")
    result = cli("units", "import", path)
    assert result.exit_code == 0
    assert result.out.endswith("1 units created, 0 updated, 0 unchanged\n")


def test_missing_file_is_one_line(cli):
    result = cli("plan", "import", "khong-co.yaml")
    assert (result.exit_code, result.err) == (1, "error: khong-co.yaml: file not found\n")


def test_extension_and_waiver_need_an_open_assignment(cli, tmp_path):
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    ok = cli("--now", "2021-06-02T09:00", "extend", "syt", "bao-cao-6-thang", "--until", "2021-06-10",
             "--reason", "số liệu chậm")
    assert ok.out == "syt bao-cao-6-thang (hn-2021-43, 2021): due 2021-06-10 23:59 (pending)\n"
    before = cli("--now", "2021-06-02T09:00", "extend", "syt", "bao-cao-6-thang", "--until", "2021-05-01",
                 "--reason", "x")
    assert before.err == "error: --until: the new deadline must be after the plan's deadline 2021-05-31\n"
    assert cli("--now", "2021-06-02T09:00", "waive", "stc", "bao-cao-6-thang", "--reason", "sáp nhập").exit_code == 0
    again = cli("--now", "2021-06-02T09:00", "waive", "stc", "bao-cao-6-thang", "--period", "2021", "--reason", "x")
    assert again.err == "error: stc bao-cao-6-thang (2021) is already waived: nothing to waive\n"


def test_unit_dropped_from_the_plan_units_is_waived_for_all_obligations(cli, tmp_path):
    path = write(tmp_path, "p.yaml", PLAN.format(due="30/5") + "")
    extra = PLAN.format(due="30/5").replace("obligations:", """\
  - code: syt
    name: Sở Y tế
    email: syt@example.vn
obligations:""")
    write(tmp_path, "p.yaml", extra)
    cli("--now", "2021-03-01T09:00", "plan", "import", path)
    write(tmp_path, "p.yaml", PLAN.format(due="30/5"))
    cli("--now", "2021-03-02T09:00", "plan", "import", path)
    rows = json.loads(cli("--now", "2021-03-02T09:00", "status", "--json").out)
    assert [(r["unit"], r["state"]) for r in rows] == [("hlhpn", "pending"), ("syt", "waived")]


def test_quarterly_obligation_gives_one_assignment_per_quarter(cli, tmp_path):
    path = write(tmp_path, "p.yaml", PLAN.format(due="20/3").replace("recurrence: none", "recurrence: quarterly"))
    assert cli("--now", "2021-01-04T09:00", "plan", "import", path).exit_code == 0
    rows = json.loads(cli("--now", "2021-01-04T09:00", "status", "--json").out)
    # 20/3/2021 strict -> Fri 19/3; 20/6 -> Sat 19/6 -> Mon 21/6; 20/9 -> Sun 19/9 -> Mon 20/9; 20/12 -> Sun 19/12 -> Mon 20/12
    assert [(r["period"], r["due"][:10]) for r in rows][:4] == [
        ("2021-Q1", "2021-03-19"), ("2021-Q2", "2021-06-21"), ("2021-Q3", "2021-09-20"), ("2021-Q4", "2021-12-20")]
    submitted = cli("--now", "2021-06-01T09:00", "submit", "hlhpn", "bao-cao", "--period", "2021-Q2")
    assert submitted.out.startswith("hlhpn bao-cao (test-2021, 2021-Q2): submitted")


def test_unknown_recurrence_is_rejected(cli, tmp_path):
    path = write(tmp_path, "p.yaml", PLAN.format(due="20/3").replace("recurrence: none", "recurrence: weekly"))
    result = cli("plan", "import", path)
    assert result.err == (f"error: {path}:21: obligation 'bao-cao': recurrence must be one of none, yearly, "
                          "half-yearly, quarterly, monthly, nine-monthly, not 'weekly'\n")


def test_plan_file_that_changes_a_shared_unit_says_which(cli, tmp_path):
    first = write(tmp_path, "a.yaml", PLAN.format(due="30/5"))
    assert cli("--now", "2021-03-01T09:00", "plan", "import", first).out.endswith(
        "units: 2 created, 0 updated\n")
    other = PLAN.format(due="30/5").replace("id: test-2021", "id: other-2021").replace(
        "vanthu@sldtbxh.example.vn", "moi@sldtbxh.example.vn")
    result = cli("--now", "2021-03-01T09:00", "plan", "import", write(tmp_path, "b.yaml", other))
    assert result.out.endswith("units: 0 created, 1 updated (sldtbxh)\n")


def test_duplicate_unit_code_and_obligation_id_in_a_plan_file_name_both_lines(cli, tmp_path):
    text = PLAN.format(due="30/5") + """\
  - id: bao-cao
    title: Báo cáo trùng
    due: 1/6
"""
    text = text.replace("  - code: hlhpn", "  - code: sldtbxh\n    name: Trùng\n    email: x@x.vn\n  - code: hlhpn")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert result.err.splitlines() == [
        f"error: {path}:11: duplicate unit code 'sldtbxh' (first at {path}:8)",
        f"error: {path}:26: duplicate obligation id 'bao-cao' (first at {path}:19)",
    ]


def test_every_problem_of_a_plan_file_is_reported_in_one_run_file_and_store_problems_together(cli, rt, tmp_path):
    text = (PLAN.format(due="31/2")
            .replace("  coordinator: sldtbxh", "  coordinator: so-khong-co")
            .replace("    email: vanthu@sldtbxh.example.vn", "    email: vanthu-at-sldtbxh")
            .replace("responsible: all", "responsible: [hlhpn, phong-khong-co]")
            + "  - id: hop\n    title: Họp\n    kind: event\n    date: 1/6\n    report_to: ban-khong-co\n"
              "    responsible: [sldtbxh]\n")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert (result.exit_code, result.out) == (1, "")
    # Parse problems (a bad address, an impossible date) and the units only the
    # store could know (coordinator, responsible, report_to), in line order.
    assert result.err.splitlines() == [
        f"error: {path}:6: plan: coordinator 'so-khong-co' is not a known unit",
        f"error: {path}:10: unit 'sldtbxh': 'vanthu-at-sldtbxh' is not a valid e-mail address",
        f"error: {path}:19: obligation 'bao-cao': due: '31/2' is not a real date",
        f"error: {path}:22: obligation 'bao-cao': unknown unit 'phong-khong-co' in responsible",
        f"error: {path}:27: obligation 'hop': report_to 'ban-khong-co' is not a known unit",
    ]
    assert count(rt, Plan) == 0 and count(rt, Unit) == 0


def test_a_reference_problem_and_a_parse_problem_of_another_obligation_come_in_one_run(cli, rt, tmp_path):
    text = (PLAN.format(due="30/5").replace("responsible: all", "responsible: [hlhpn, phong-khong-co]")
            + "  - id: hop\n    title: Họp\n    kind: event\n    date: 31/6\n")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert (result.exit_code, result.out) == (1, "")
    assert result.err.splitlines() == [
        f"error: {path}:22: obligation 'bao-cao': unknown unit 'phong-khong-co' in responsible",
        f"error: {path}:26: obligation 'hop': date: '31/6' is not a real date",
    ]
    assert count(rt, Plan) == 0 and count(rt, Unit) == 0


def test_a_plan_files_duplicate_units_missing_addresses_and_unknown_parents_come_in_one_run(cli, rt, tmp_path):
    text = PLAN.format(due="30/5").replace(
        "    head_email: chutich@hlhpn.example.vn\n",
        "    head_email: chutich@hlhpn.example.vn\n    parent: so-khong-co\n"
        "  - code: hlhpn\n    name: Hội Liên hiệp Phụ nữ (lần hai)\n    email: c@hlhpn.example.vn\n"
        "  - code: ctk\n    name: Cục Thống kê\n")
    path = write(tmp_path, "p.yaml", text)
    result = cli("plan", "import", path)
    assert (result.exit_code, result.out) == (1, "")
    assert result.err.splitlines() == [
        f"error: {path}:11: unit 'hlhpn': unknown parent unit 'so-khong-co'",
        f"error: {path}:16: duplicate unit code 'hlhpn' (first at {path}:11)",
        f"error: {path}:19: unit 'ctk' (Cục Thống kê) has no e-mail address: fill in its email",
    ]
    assert count(rt, Plan) == 0 and count(rt, Unit) == 0
