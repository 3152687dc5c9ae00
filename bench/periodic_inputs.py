"""Generate a periodic-reports store's inputs: 3,500 units and one plan of
Decree 09 reports (two monthly, one quarterly, one 6-month, one 9-month, one
yearly: 32 assignments a unit a year, 42,000 a year for each monthly report)
from 2018, about 1M assignments by the bench's `now` (March 2026, with the
400-day horizon reaching April 2027)."""

from __future__ import annotations

from pathlib import Path

FIRST_YEAR = 2018
OBLIGATIONS = [
    ("bao-cao-thang", "Báo cáo tháng", "monthly", "due: 20/1\n    strict_before: true"),
    ("thong-ke-thang", "Thống kê tháng", "monthly", "due_after_cutoff: 3"),
    ("bao-cao-quy", "Báo cáo quý", "quarterly", "due_after_cutoff: 5"),
    ("bao-cao-6-thang", "Báo cáo 6 tháng", "half-yearly", "due: 20/6\n    strict_before: true"),
    ("bao-cao-9-thang", "Báo cáo 9 tháng", "nine-monthly", "due: 20/9\n    strict_before: true"),
    ("bao-cao-nam", "Báo cáo năm", "yearly", "due: 20/12\n    strict_before: true"),
]


def write_periodic_inputs(folder: Path, units: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    units_csv = folder / "units.csv"
    lines = ["code,name,email,head_email,kind,parent", "coordinator,Văn phòng điều phối,vp@coord.example.vn,,office,"]
    lines += [f"u{i:05d},Ủy ban nhân dân xã số {i},vanthu@u{i:05d}.example.vn,chutich@u{i:05d}.example.vn,commune,"
              for i in range(units)]
    units_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    # A standing regime (valid_until past the horizon), whose own units are listed by code.
    out = ["plan:", "  id: bao-cao-dinh-ky", "  issuer: Bench", f"  year: {FIRST_YEAR}",
           "  title: Chế độ báo cáo định kỳ (đo tải)", "  coordinator: coordinator", "  valid_until: 31/12/2027",
           "units: [" + ", ".join(f"u{i:05d}" for i in range(units)) + "]", "obligations:"]
    for code, title, recurrence, due in OBLIGATIONS:
        out += [f"  - id: {code}", f"    title: {title}", f"    {due}", f"    recurrence: {recurrence}",
                "    data_period: decree-09", "    responsible: all"]
    plan = folder / "plan.yaml"
    plan.write_text("\n".join(out) + "\n", encoding="utf-8")
    return units_csv, plan
