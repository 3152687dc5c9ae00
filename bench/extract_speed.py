"""How long `tracker plan extract` takes on large documents (issue 18's target: < 10 s each).

Two documents are generated (nothing large is committed):
- a 60-page PDF with a text layer: the five seed plans' bodies and the
  evaluation fixtures, one after another, under one header, with their tables;
- a .docx whose duties are a 200-row task table (Nội dung / Đơn vị chủ trì /
  Đơn vị phối hợp / Thời gian hoàn thành), 25 units, dates in several forms.

Each is drafted three times through the real command (`python -m tracker plan
extract DOC -o FILE`, a new process: start-up and imports included, as a clerk
runs it) and once in-process, split into reading the file and extracting.
Printed: pages/rows, the median wall time of the command and its CPU time
(user + system: what the command costs whatever else the machine runs), the
in-process split, and the ratio of the wall time to the 10 s target.

Run: python bench/extract_eval.py --speed     (or python bench/extract_speed.py)
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_documents import write_docx, write_pdf  # noqa: E402

TARGET_S = 10.0
RUNS = 3
SEEDS = ROOT.parent / "shared" / "seeds"
FIXTURES = ROOT / "tests" / "fixtures" / "extract" / "eval"

HEADER = """ỦY BAN NHÂN DÂN
TỈNH BẮC NINH
Số: 88/KH-UBND
Bắc Ninh, ngày 10 tháng 01 năm 2025

KẾ HOẠCH
Thực hiện công tác bình đẳng giới và vì sự tiến bộ của phụ nữ năm 2025
"""

_UNITS = ["Sở Y tế", "Sở Tài chính", "Sở Nội vụ", "Sở Tư pháp", "Sở Giáo dục và Đào tạo",
          "Sở Văn hóa, Thể thao và Du lịch", "Sở Thông tin và Truyền thông", "Sở Kế hoạch và Đầu tư",
          "Sở Lao động - Thương binh và Xã hội", "Công an tỉnh", "Cục Thống kê tỉnh",
          "Hội Liên hiệp Phụ nữ tỉnh", "Liên đoàn Lao động tỉnh", "Tỉnh đoàn", "Đài Phát thanh và Truyền hình tỉnh",
          "Báo Bắc Ninh", "Sở Nông nghiệp và Phát triển nông thôn", "Sở Công Thương", "Sở Xây dựng",
          "Sở Tài nguyên và Môi trường", "Sở Khoa học và Công nghệ", "Sở Giao thông vận tải",
          "Ban Dân tộc tỉnh", "Thanh tra tỉnh", "UBND các huyện, thị xã, thành phố"]
_TASKS = ["Báo cáo kết quả thực hiện công tác bình đẳng giới", "Tổ chức tập huấn nghiệp vụ cho cán bộ",
          "Rà soát số liệu thống kê giới", "Kiểm tra việc thực hiện pháp luật về bình đẳng giới",
          "Truyền thông phòng, chống bạo lực gia đình", "Xây dựng kế hoạch lồng ghép giới",
          "Tổng kết mô hình điểm về bình đẳng giới", "Hội nghị sơ kết công tác vì sự tiến bộ của phụ nữ"]


def long_plan_text() -> str:
    """Plan bodies, one after another, under one header: enough for more than 60 pages."""
    parts = [HEADER]
    sources = sorted(SEEDS.glob("*.txt")) + sorted(FIXTURES.glob("*.txt"))
    for round_ in range(4):
        for path in sources:
            body = path.read_text(encoding="utf-8")
            parts.append(body.split("KẾ HOẠCH", 1)[-1])
    return "\n".join(parts)


def task_table_text(rows: int = 200) -> str:
    lines = [HEADER, "I. NHIỆM VỤ CỤ THỂ", "",
             "| STT | Nội dung | Đơn vị chủ trì | Đơn vị phối hợp | Thời gian hoàn thành |"]
    forms = ["{d}/{m}/2025", "Trước ngày {d}/{m}/2025", "Tháng {m}/2025", "Quý {q}/2025", "{d}/{m} - {d2}/{m}/2025"]
    for i in range(rows):
        d, m = 1 + (i * 7) % 27, 1 + i % 12
        q = ["I", "II", "III", "IV"][(m - 1) // 3]
        when = forms[i % len(forms)].format(d=d, m=m, d2=min(d + 3, 28), q=q)
        lines.append(f"| {i + 1} | {_TASKS[i % len(_TASKS)]} đợt {i + 1} | {_UNITS[i % len(_UNITS)]} | "
                     f"{_UNITS[(i + 5) % len(_UNITS)]} | {when} |")
    lines += ["", "II. TỔ CHỨC THỰC HIỆN",
              "1. Sở Lao động - Thương binh và Xã hội là cơ quan thường trực, tổng hợp kết quả báo cáo UBND tỉnh.",
              "2. Các sở, ban, ngành, UBND các huyện, thị xã, thành phố thực hiện các nhiệm vụ được giao tại "
              "Kế hoạch này."]
    return "\n".join(lines) + "\n"


def _command(doc: Path, out: Path) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one `plan extract` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "tracker", "--db", f"sqlite:///{out.parent / 'none.db'}",
                           "plan", "extract", str(doc), "-o", str(out)], capture_output=True, text=True)
    took = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"plan extract failed on {doc.name}: {done.stderr.strip()}")
    return took, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _in_process(doc: Path) -> tuple[float, float, int]:
    from tracker.extract import extract_plan
    from tracker.extract.documents import read_document

    start = time.perf_counter()
    reading = read_document(doc.read_bytes())
    read = time.perf_counter() - start
    start = time.perf_counter()
    draft = extract_plan(reading.text)
    return read, time.perf_counter() - start, len(draft["obligations"])


def main() -> int:
    print(f"plan extract on large documents (target < {TARGET_S:.0f} s each; median of {RUNS} runs "
          "of the command in a new process)")
    print(f"{'document':<34} {'size':>10} {'command s':>10} {'cpu s':>6} {'read s':>8} {'extract s':>10} "
          f"{'obligations':>12} {'vs target':>10}")
    worst = 0.0
    with tempfile.TemporaryDirectory(prefix="extract-speed-") as tmp:
        pdf, docx = Path(tmp, "plan-60-pages.pdf"), Path(tmp, "task-table-200-rows.docx")
        pages = write_pdf(long_plan_text(), pdf, max_pages=60)
        write_docx(task_table_text(200), docx)
        for doc, size in ((pdf, f"{pages} pages"), (docx, "200 rows")):
            runs = [_command(doc, Path(tmp, "draft.yaml")) for _ in range(RUNS)]
            wall = statistics.median(r[0] for r in runs)
            cpu = statistics.median(r[1] for r in runs)
            read, extract, obligations = _in_process(doc)
            worst = max(worst, wall)
            print(f"{doc.name:<34} {size:>10} {wall:>10.2f} {cpu:>6.2f} {read:>8.2f} {extract:>10.2f} "
                  f"{obligations:>12} {wall / TARGET_S:>9.2f}x")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {os.cpu_count()} cores, load average {load:.1f} during the run (others' work slows every figure)")
    print(f"slowest: {worst:.2f} s = {worst / TARGET_S:.2f} of the target ({'met' if worst < TARGET_S else 'MISSED'})")
    return 0 if worst < TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
