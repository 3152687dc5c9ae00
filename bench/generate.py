"""Generate a large store's input files: units and one plan of yearly deadlines.

3,500 units x 30 obligations x 10 yearly periods is about 1M assignments (a
national programme: 34 provinces, over 3,000 communes); --scale 0.1 gives a
tenth of the units.
"""

from __future__ import annotations

import argparse
from pathlib import Path

FIRST_YEAR = 2017  # with --now in mid-2026 and a 400-day horizon: periods 2017..2026 for every obligation
OBLIGATIONS = 30


def write_inputs(folder: Path, units: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    units_csv = folder / "units.csv"
    lines = ["code,name,email,head_email,kind,parent", "coordinator,Văn phòng điều phối,vp@coord.example.vn,,office,"]
    for i in range(units):
        lines.append(f"u{i:05d},Ủy ban nhân dân xã số {i},vanthu@u{i:05d}.example.vn,"
                     f"chutich@u{i:05d}.example.vn,commune,")
    units_csv.write_text("\n".join(lines) + "\n", encoding="utf-8")
    plan = folder / "plan.yaml"
    # A ten-year programme (valid_until), whose own units are listed by code.
    out = ["plan:", "  id: bench", "  issuer: Bench", f"  year: {FIRST_YEAR}", "  title: Kế hoạch đo tải",
           "  coordinator: coordinator", f"  valid_until: 31/12/{FIRST_YEAR + 9}",
           "units: [" + ", ".join(f"u{i:05d}" for i in range(units)) + "]", "obligations:"]
    for n in range(OBLIGATIONS):
        # Dates from January to early July: every year up to 2026 falls inside the horizon.
        day, month = 1 + (n * 7) % 28, 1 + n % 6
        out += [f"  - id: bao-cao-{n:02d}", f"    title: Báo cáo số {n}", "    kind: deadline",
                f"    due: {day}/{month}", "    strict_before: true", "    recurrence: yearly", "    responsible: all"]
    plan.write_text("\n".join(out) + "\n", encoding="utf-8")
    return units_csv, plan


# The backlog scenario (bench/scale.py --backlog): one year, 20 one-off deadlines
# spread over it, twelve of them before 1 July. Imported on 1 July, the store has
# 60 % of its assignments due at once, every stage of their ladders with them.
BACKLOG_YEAR = 2026
BACKLOG_DUE = ("15/1", "30/1", "13/2", "27/2", "16/3", "31/3", "15/4", "29/4", "15/5", "29/5", "15/6", "26/6",
               "20/7", "14/8", "15/9", "15/10", "30/10", "16/11", "30/11", "15/12")


def write_backlog_inputs(folder: Path, units: int) -> tuple[Path, Path]:
    """Units as for ``write_inputs``; a plan of the 20 deadlines of BACKLOG_DUE."""
    units_csv, _ = write_inputs(folder, units)
    plan = folder / "backlog.yaml"
    out = ["plan:", "  id: backlog", "  issuer: Bench", f"  year: {BACKLOG_YEAR}", "  title: Chương trình quốc gia",
           "  coordinator: coordinator", "units: [" + ", ".join(f"u{i:05d}" for i in range(units)) + "]",
           "obligations:"]
    for n, due in enumerate(BACKLOG_DUE):
        out += [f"  - id: bao-cao-{n:02d}", f"    title: Báo cáo số {n}", "    kind: deadline",
                f"    due: {due}", "    strict_before: true", "    responsible: all"]
    plan.write_text("\n".join(out) + "\n", encoding="utf-8")
    return units_csv, plan


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--units", type=int, default=3500)
    args = parser.parse_args()
    print(*write_inputs(args.folder, args.units))
