"""tracker report html: a self-contained, accessible page, checked as text and as
rendered by headless Chromium (DOM and screenshot).

Set UPDATE_DOCS=1 to also write the screenshot to docs/report.png.
"""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import REPO, at, load_sample
from tests.report_support import REPORT_NOW, chromium, find_chromium, read_png, sample_year


class Page(HTMLParser):
    """The parts of a page the tests look at: tags with attributes, text per tag."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.text: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in ("meta", "br", "line", "rect", "circle", "path"):
            self.stack.append(tag)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop() == tag:
                break

    def handle_data(self, data):
        if self.stack and data.strip():
            self.text.setdefault(self.stack[-1], []).append(data.strip())

    def all(self, tag: str) -> list[dict]:
        return [a for t, a in self.tags if t == tag]


@pytest.fixture
def report(rt, cli, tmp_path) -> tuple[Path, str]:
    sample_year(rt)
    result = cli("--now", REPORT_NOW, "report", "html", "--plan", "hn-2021-43", "-o", "report.html")
    assert result.exit_code == 0, result.err
    path = tmp_path / "report.html"
    return path, path.read_text(encoding="utf-8")


def test_page_is_vietnamese_self_contained_and_printable(report):
    _, html = report
    page = Page(html)
    assert page.all("html") == [{"lang": "vi"}]
    assert {"charset": "utf-8"} in page.all("meta")
    assert page.text["title"][0] == "Tình hình thực hiện 43/KH-UBND – tính đến 10/06/2021"  # then the SVG titles
    # Nothing to fetch: no scripts, stylesheets, images, fonts or links out.
    assert not re.search(r"https?://", html)
    for tag in ("script", "link", "img", "iframe", "object", "embed"):
        assert page.all(tag) == [], tag
    assert not any("src" in attrs or "href" in attrs for _, attrs in page.tags)
    assert "url(" not in html and "@import" not in html
    assert "@media print" in html and "size: A4" in html


def test_headings_charts_and_table_fallbacks(report):
    _, html = report
    page = Page(html)
    assert page.text["h1"] == ["Tình hình thực hiện chế độ báo cáo năm 2021"]
    assert page.text["h2"] == [
        "Tổng quan", "Tỉ lệ nộp đúng hạn theo đơn vị", "Việc quá hạn, xếp theo số ngày quá hạn",
        "Lịch năm 2021: hạn nộp, đợt hoạt động và sự kiện", "Căn cứ: các nhiệm vụ trong kế hoạch",
    ]
    ids = {a["id"] for _, a in page.tags if "id" in a}
    charts = [a for a in page.all("svg") if a.get("role") == "img"]
    assert len(charts) == 2
    for chart in charts:
        assert all(ref in ids for ref in chart["aria-labelledby"].split())
    # Every other SVG is a legend swatch, hidden from screen readers (the text says it).
    assert all(a.get("aria-hidden") == "true" for a in page.all("svg") if a.get("role") != "img")
    # A table for each chart, plus the overdue list and the sources.
    assert len(page.all("table")) == 4
    assert "Bảng số liệu theo đơn vị" in page.text["caption"]
    assert "Trạng thái từng hạn nộp năm 2021 theo đơn vị" in page.text["caption"]


def test_rates_overdue_and_sources(report):
    _, html = report
    # 14 on time, 5 late, 8 overdue of 27 due: 52 %.
    assert re.search(r'<span class="n">52%</span> nộp đúng hạn trên 27 việc đã đến hạn', html)
    assert "<title>Công an thành phố Hà Nội: 100% đúng hạn (2/2)</title>" in html
    assert "<title>Sở Giáo dục và Đào tạo: 50% đúng hạn (1/2)</title>" in html
    overdue = html[html.index('id="h-overdue"'):html.index('id="h-timeline"')]
    days = [int(d) for d in re.findall(r'<td class="num days">(\d+)</td>', overdue)]
    assert days == sorted(days, reverse=True) and days[0] == 93 and len(days) == 8
    assert re.search(r'<th scope="row">UBND các quận, huyện, thị xã</th><td>Kế hoạch công tác', overdue)
    assert "<mark>30/5/2021</mark>" in html  # the source phrase, date phrase highlighted
    assert "hạn cuối 23:59 thứ Hai, 31/05/2021" in html  # the shifted deadline, next to its phrase
    assert html.count('class="f-event"') >= 2 and 'class="f-window"' in html  # events and the Action Month


def test_user_data_is_escaped(rt, cli, tmp_path):
    load_sample(rt, at("2021-03-01T09:00"))
    units = tmp_path / "units.csv"
    units.write_text('code,name,email,head_email,kind,parent\n'
                     'catp,"Công an <script>alert(1)</script> & ""TP""",vanthu@catp.example.vn,,department,\n',
                     encoding="utf-8")
    assert cli("units", "import", str(units)).exit_code == 0
    assert cli("--now", REPORT_NOW, "report", "html", "-o", "r.html").exit_code == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "Công an &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;TP&#34;" in html


def test_an_empty_store_still_gives_a_page(cli, tmp_path):
    assert cli("--now", REPORT_NOW, "report", "html", "-o", "r.html").exit_code == 0
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Chưa có đơn vị nào được giao việc có hạn nộp." in html


def test_unknown_plan_is_one_line_and_writes_nothing(rt, cli, tmp_path):
    load_sample(rt, at("2021-03-01T09:00"))
    result = cli("report", "html", "--plan", "hn-1999-1", "-o", "r.html")
    assert result.exit_code == 1
    assert "unknown plan 'hn-1999-1'" in result.err and result.err.strip().count("\n") == 0
    assert not (tmp_path / "r.html").exists()


CHROMIUM = find_chromium()


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium not installed (apt-get install -y chromium); "
                                              "CI installs it")
def test_chromium_renders_the_report(report, tmp_path):
    path, _ = report
    url = path.resolve().as_uri()
    dom = chromium(CHROMIUM, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr.decode(errors="replace")[-2000:]
    text = dom.stdout.decode("utf-8")
    assert '<html lang="vi">' in text
    assert "Tình hình thực hiện chế độ báo cáo năm 2021" in text
    assert text.count('class="f-overdue"') >= 8  # bars and markers of the overdue assignments
    assert "Ủy ban Mặt trận Tổ quốc Việt Nam thành phố Hà Nội" in text

    png = tmp_path / "report.png"
    shot = chromium(CHROMIUM, tmp_path / "profile-shot", f"--screenshot={png}", "--window-size=1280,2000", url)
    assert shot.returncode == 0 and png.exists(), shot.stderr.decode(errors="replace")[-2000:]
    data = png.read_bytes()
    assert len(data) > 50_000  # a blank page is a few kilobytes
    image = read_png(data)
    assert (image.width, image.height) == (1280, 2000)
    pixels = [image.pixel(x, y) for y in range(0, image.height, 4) for x in range(0, image.width, 4)]
    ink = sum(1 for p in pixels if sum(p) < 600) / len(pixels)
    assert 0.03 < ink < 0.6, f"{ink:.1%} of the page is not white"
    assert len(set(pixels)) > 50
    # The charts are drawn: the on-time green and the overdue red of the bars are on screen.
    assert any(_near(p, (0x1B, 0x7A, 0x3A)) for p in pixels)
    assert any(_near(p, (0xC0, 0x26, 0x2D)) for p in pixels)
    if os.environ.get("UPDATE_DOCS"):
        (REPO / "docs").mkdir(exist_ok=True)
        shutil.copy(png, REPO / "docs" / "report.png")


def _near(pixel: tuple[int, ...], colour: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, colour))
