"""tracker serve over real HTTP: the unit's page, its form, the coordinator's
page; every bad request a clear page with its status code and nothing written."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy import func, select

from tests.conftest import EXAMPLES, at
from tests.web_support import SECRET, form_fields, serving
from tracker.services.links import COORDINATOR, UNIT, Signer
from tracker.store.engine import Store
from tracker.store.tables import assignments, audit_log, obligations, outbox, submission_files, submissions, units

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def site(cli, config_file, db_url, tmp_path, monkeypatch):
    config_file.write_text(config_file.read_text() + "\n[web]\nmax_upload_mb = 1\n"
                           f'\n[inbound]\nfiles_dir = "{tmp_path / "files"}"\n')
    monkeypatch.setenv("TRACKER_WEB_SECRET", SECRET)
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    logs: list[str] = []
    with serving(db_url, config_file, tmp_path, "2021-05-25T09:00", logs=logs) as server:
        store = Store(db_url)
        site = Site(server, store, cli)
        try:
            yield site
        finally:
            site.http.close()
            store.dispose()
    assert "Traceback" not in logs[0]


class Site:
    def __init__(self, server, store, cli):
        self.server, self.store, self.cli = server, store, cli
        self.http = server.client()

    def link(self, code: str, *extra: str) -> str:
        return self.cli("--now", "2021-05-25T09:00", "units", "link", code, *extra).out.strip()

    def assignment(self, unit: str, obligation: str = "bao-cao-6-thang") -> int:
        with self.store.reader() as conn:
            return conn.scalar(select(assignments.c.id).join(units, assignments.c.unit_id == units.c.id)
                               .join(obligations, assignments.c.obligation_id == obligations.c.id)
                               .where(units.c.code == unit, obligations.c.code == obligation))

    def written(self) -> tuple:
        with self.store.reader() as conn:
            return tuple(conn.scalar(select(func.count()).select_from(t))
                         for t in (submissions, submission_files, audit_log, outbox)) + tuple(
                conn.execute(select(assignments.c.state).order_by(assignments.c.id)).scalars())

    def submit(self, link: str, fields: dict, files=None, **extra) -> httpx.Response:
        return self.http.post(link, data={**fields, **extra}, files=files or {"file": ("", b"", "application/octet-stream")})


def test_the_unit_page_in_vietnamese_with_strict_headers_and_no_write(site):
    before = site.written()
    page = site.http.get(site.link("syt"))
    assert page.status_code == 200
    h = page.headers
    assert h["content-security-policy"] == ("default-src 'none'; style-src 'self'; img-src 'self'; "
                                            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    assert (h["x-content-type-options"], h["cache-control"], h["referrer-policy"], h["x-frame-options"]) == (
        "nosniff", "no-store", "no-referrer", "DENY")
    assert "server" not in h
    text = page.text
    assert "<h1>Sở Y tế</h1>" in text and "tính đến Thứ Ba, 25/05/2021" in text
    assert "<dt>Hạn</dt><dd>Thứ Hai, 31/05/2021 <span class=\"days\">(còn 6 ngày)</span></dd>" in text
    assert "<dt>Kỳ báo cáo</dt><dd>năm 2021</dd>" in text and "Kế hoạch số 43/KH-UBND" in text
    assert "<script" not in text and "style=" not in text
    assert site.written() == before  # GET never changes anything


def test_unknown_paths_and_bad_tokens_get_the_same_plain_404(site):
    reference = site.http.get("/nope")
    assert "Không tìm thấy trang (404)" in reference.text
    for path in ("/u/", "/u/abc", "/c/abc", "/u/WzksMV0.tampered", "/c/WzEsMV0.x/files/1", "/u/" + "A" * 300):
        r = site.http.get(path)
        assert (path, r.status_code, r.text) == (path, 404, reference.text)


def test_a_truncated_a_tampered_and_a_rotated_link_are_404(site):
    link = site.link("syt")
    assert site.http.get(link).status_code == 200
    assert site.http.get(link[:-4]).status_code == 404
    assert site.http.get(link[:-1] + ("A" if link[-1] != "A" else "B")).status_code == 404
    # A unit link is not a coordinator link, even for the same unit.
    token = link.rsplit("/", 1)[1]
    assert site.http.get(f"/c/{token}").status_code == 404
    rotated = site.link("syt", "--rotate")
    assert site.http.get(link).status_code == 404 and site.http.get(rotated).status_code == 200
    assert Signer(SECRET.encode()).read_link(UNIT, token) is not None  # well signed, but an old version


def test_uploading_a_pdf_records_a_received_submission(site, tmp_path):
    link = site.link("syt")
    a_id = site.assignment("syt")
    fields = form_fields(site.http.get(link).text, a_id)
    r = site.submit(link, fields, files={"file": ("Báo cáo 6 tháng.pdf", PDF, "application/pdf")}, note="Gửi bản ký")
    assert r.status_code == 200
    assert "<h1>Đã ghi nhận báo cáo</h1>" in r.text and "Tệp đã nhận</dt><dd>Báo cáo 6 tháng.pdf" in r.text
    assert "Đã gửi, chờ xác nhận" in r.text
    with site.store.reader() as conn:
        sub = conn.execute(select(submissions)).one()
        f = conn.execute(select(submission_files)).one()
        state = conn.scalar(select(assignments.c.state).where(assignments.c.id == a_id))
        actor = conn.scalar(select(audit_log.c.actor).where(audit_log.c.action == "submit"))
    assert (state, sub.state, sub.source, sub.note, sub.client) == ("received", "received", "web", "Gửi bản ký",
                                                                    "127.0.0.1")
    assert actor == "unit:syt via link from 127.0.0.1"
    assert (tmp_path / "files" / f.sha256[:2] / f.sha256).read_bytes() == PDF
    page = site.http.get(link).text
    assert "Đã gửi, chờ xác nhận" in page and "Tệp: Báo cáo 6 tháng.pdf" in page


BAD_SUBMISSIONS = [
    ("too big", 413, "Tệp quá lớn"),
    ("far too big", 413, "Tệp quá lớn"),
    ("refused type", 415, "Loại tệp không được nhận"),
    ("no form token", 400, "Biểu mẫu không hợp lệ"),
    ("tampered form token", 400, "Biểu mẫu không hợp lệ"),
    ("another unit's form", 403, "Biểu mẫu của đơn vị khác"),
    ("an obligation not owed", 403, "Không có nhiệm vụ này"),
    ("a coordinator's form", 400, "Biểu mẫu không hợp lệ"),
    ("no assignment", 400, "Biểu mẫu không hợp lệ"),
]


def test_each_bad_submission_is_a_clear_page_and_writes_nothing(site, tmp_path):
    """One server for all the cases (each starts from the same store: nothing was written)."""
    link, other = site.link("syt"), site.link("stc")
    a_id = site.assignment("syt")
    with site.store.reader() as conn:
        coordinator_id = conn.scalar(select(units.c.id).where(units.c.code == "sldtbxh"))
    # A well-signed coordinator's form (the page shows one only when something waits).
    coordinator_form = Signer(SECRET.encode()).form_token(COORDINATOR, coordinator_id, 1, at("2021-05-25T09:00"))
    for case, status, heading in BAD_SUBMISSIONS:
        fields = form_fields(site.http.get(link).text, a_id)
        files = None
        if case == "too big":
            files = {"file": ("big.pdf", b"x" * (1_048_576 + 10), "application/pdf")}
        elif case == "far too big":
            files = {"file": ("huge.pdf", b"x" * (3 * 1_048_576), "application/pdf")}
        elif case == "refused type":
            files = {"file": ("setup.exe", b"MZ\x90\x00", "application/pdf")}
        elif case == "no form token":
            fields.pop("form")
        elif case == "tampered form token":
            fields["form"] = fields["form"][:-2] + ("xx" if not fields["form"].endswith("xx") else "yy")
        elif case == "another unit's form":
            fields = form_fields(site.http.get(other).text, site.assignment("stc"))
            fields["assignment"] = str(a_id)
        elif case == "an obligation not owed":
            fields["assignment"] = str(site.assignment("stc"))
        elif case == "a coordinator's form":
            fields["form"] = coordinator_form
        elif case == "no assignment":
            fields["assignment"] = "abc"
        before = site.written()
        r = site.submit(link, fields, files=files)
        assert (case, r.status_code) == (case, status), r.text
        assert f"<h1>{heading}</h1>" in r.text and "Không có gì được ghi nhận." in r.text, case
        assert "Traceback" not in r.text
        assert site.written() == before and not (tmp_path / "files").exists(), case


def test_a_replayed_form_and_a_submission_after_acceptance_are_refused(site):
    link = site.link("syt")
    a_id = site.assignment("syt")
    fields = form_fields(site.http.get(link).text, a_id)
    assert site.submit(link, fields).status_code == 200
    before = site.written()
    replay = site.submit(link, fields)
    assert replay.status_code == 409 and "Biểu mẫu này đã được gửi trước đó" in replay.text
    assert site.written() == before
    site.cli("--now", "2021-05-25T10:00", "accept", "syt", "bao-cao-6-thang")
    stale = form_fields(site.http.get(link).text, site.assignment("syt", "ke-hoach-don-vi"))
    stale["assignment"] = str(a_id)  # a fresh form, pointed at the accepted report
    before = site.written()
    after = site.submit(link, stale)
    assert after.status_code == 409 and "đã được cơ quan thường trực xác nhận" in after.text
    assert site.written() == before


def test_the_coordinator_sees_the_queue_downloads_the_file_and_accepts_or_returns(site):
    unit_link, coord = site.link("syt"), site.link("sldtbxh")
    assert coord.startswith("/c/")
    for code in ("syt", "stc"):
        link = site.link(code)
        fields = form_fields(site.http.get(link).text, site.assignment(code))
        site.submit(link, fields, files={"file": (f"{code}.pdf", PDF, "application/pdf")})
    page = site.http.get(coord)
    assert page.status_code == 200 and "<h2>Chờ xác nhận (2)</h2>" in page.text
    assert 'class="b-received">Đã gửi, chờ xác nhận</td>' in page.text and "Quá hạn" in page.text
    href = re.search(r'<a href="(/c/[^"]+/files/\d+)">syt.pdf</a>', page.text).group(1)
    download = site.http.get(href)
    assert download.content == PDF and download.headers["content-type"] == "application/octet-stream"
    assert download.headers["content-disposition"] == "attachment; filename=\"syt.pdf\"; filename*=UTF-8''syt.pdf"
    # The file is the coordinator's alone: the same id under the unit's token is a 404.
    assert site.http.get(unit_link + "/files/1").status_code == 404
    # Filters, as in `tracker status`.
    only = site.http.get(coord, params={"state": "received"}).text
    assert only.count('class="b-received"') == 2 and 'class="b-overdue"' not in only
    assert site.http.get(coord, params={"state": "nonsense"}).status_code == 400
    assert site.http.get(coord, params={"plan": "other"}).status_code == 400
    token = form_fields(page.text, site.assignment("syt"))["form"]
    no_reason = site.http.post(f"{coord}/decide", data={"form": token, "assignment": site.assignment("stc"),
                                                        "action": "return", "reason": " "})
    assert no_reason.status_code == 400 and "<h1>Thiếu lý do</h1>" in no_reason.text
    ok = site.http.post(f"{coord}/decide", data={"form": token, "assignment": site.assignment("syt"),
                                                 "action": "accept"})
    assert (ok.status_code, ok.headers["location"]) == (303, f"{coord}?done=accepted#q")
    back = site.http.post(f"{coord}/decide", data={"form": token, "assignment": site.assignment("stc"),
                                                   "action": "return", "reason": "Thiếu phụ lục số liệu"})
    assert back.status_code == 303
    again = site.http.post(f"{coord}/decide", data={"form": token, "assignment": site.assignment("stc"),
                                                    "action": "accept"})
    assert again.status_code == 409 and "<h1>Đã xử lý</h1>" in again.text
    with site.store.reader() as conn:
        states = dict(conn.execute(select(units.c.code, assignments.c.state).join(units)
                                   .where(assignments.c.id.in_([site.assignment("syt"), site.assignment("stc")]))).all())
        msg = conn.execute(select(outbox).where(outbox.c.key.like("returned:stc|%"))).one()
    assert states == {"syt": "submitted", "stc": "open"}
    assert "Lý do trả lại: Thiếu phụ lục số liệu" in msg.body_text
    assert "Bị trả lại" in site.http.get(site.link("stc")).text
    # A unit's token cannot decide, nor can the coordinator decide outside its plans.
    unit_form = form_fields(site.http.get(unit_link).text, site.assignment("syt", "ke-hoach-don-vi"))["form"]
    forged = site.http.post(f"{coord}/decide", data={"form": unit_form, "assignment": site.assignment("syt"),
                                                     "action": "accept"})
    assert forged.status_code == 400


def test_get_on_a_post_route_and_post_on_a_get_route(site):
    assert site.http.post(site.link("sldtbxh")).status_code == 405
    assert site.http.get(site.link("sldtbxh") + "/decide").status_code == 405


def test_the_coordinator_returns_an_accepted_report_from_its_page_and_the_address_is_audited(site):
    link, coord = site.link("syt"), site.link("sldtbxh")
    a_id = site.assignment("syt")
    site.submit(link, form_fields(site.http.get(link).text, a_id),
                files={"file": ("syt.pdf", PDF, "application/pdf")})
    token = form_fields(site.http.get(coord).text, a_id)["form"]
    ok = site.http.post(f"{coord}/decide", data={"form": token, "assignment": a_id, "action": "accept"})
    assert ok.status_code == 303
    page = site.http.get(coord).text
    assert "<h2>Chờ xác nhận (0)</h2>" in page and '<h2 id="r">Đã xác nhận gần đây (1)</h2>' in page
    assert re.search(r'<a href="/c/[^"]+/files/\d+">syt.pdf</a>', page)
    fields = form_fields(page, a_id)
    back = site.http.post(f"{coord}/decide", data={**fields, "action": "return", "reason": "Số liệu chưa khớp"})
    assert (back.status_code, back.headers["location"]) == (303, f"{coord}?done=returned#q")
    again = site.http.post(f"{coord}/decide", data={**fields, "action": "return", "reason": "Số liệu chưa khớp"})
    assert again.status_code == 409 and "<h1>Đã xử lý</h1>" in again.text
    with site.store.reader() as conn:
        state = conn.scalar(select(assignments.c.state).where(assignments.c.id == a_id))
        audit = {r.action: r for r in conn.execute(select(audit_log).where(audit_log.c.action.in_(("accept", "return"))))}
        msg = conn.execute(select(outbox).where(outbox.c.key.like("returned:syt|%"))).one()
    assert state == "open"
    for action in ("accept", "return"):
        assert (audit[action].actor, audit[action].after["client"]) == (
            "coordinator:sldtbxh via link from 127.0.0.1", "127.0.0.1")
    assert audit["return"].after["was_accepted"] is True
    assert "Lý do trả lại: Số liệu chưa khớp" in msg.body_text and "nhiệm vụ được mở lại" in msg.body_text
    unit_page = site.http.get(link).text
    assert "Bị trả lại" in unit_page and "Số liệu chưa khớp" in unit_page
    assert '<h2 id="r">' not in site.http.get(coord).text  # nothing accepted left to return


def test_one_page_load_submits_two_reports_and_each_arrives_once(site):
    link = site.link("syt")
    page = site.http.get(link).text
    assert len(set(re.findall(r'name="form" value="([^"]+)"', page))) == 1  # one token for the page
    first, second = site.assignment("syt"), site.assignment("syt", "ke-hoach-don-vi")
    assert site.submit(link, form_fields(page, first)).status_code == 200
    assert site.submit(link, form_fields(page, second)).status_code == 200
    replay = site.submit(link, form_fields(page, second))
    assert replay.status_code == 409 and "Biểu mẫu này đã được gửi trước đó" in replay.text
    with site.store.reader() as conn:
        keys = conn.execute(select(submissions.c.assignment_id, submissions.c.source_key)).all()
    nonce = keys[0].source_key.split(":")[1]
    assert sorted(keys) == sorted([(first, f"web:{nonce}:{first}"), (second, f"web:{nonce}:{second}")])


def test_the_unit_page_shows_the_data_period_of_a_periodic_report(cli, config_file, db_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_WEB_SECRET", SECRET)
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2025-01-02T09:00", "plan", "import", str(EXAMPLES / "bao-cao-dinh-ky-2025.yaml"))
    link = cli("--now", "2025-06-02T09:00", "units", "link", "syt").out.strip()
    logs: list[str] = []
    with serving(db_url, config_file, tmp_path, "2025-06-02T09:00", logs=logs) as server, server.client() as http:
        page = http.get(link)
    assert page.status_code == 200
    half = re.search(r'<section class="card s-pending" id="a\d+">\s*<h2>Báo cáo 6 tháng</h2>.*?</section>',
                     page.text, re.S).group(0)
    assert ("<dt>Kỳ báo cáo</dt><dd>6 tháng đầu năm 2025</dd>\n"
            "    <dt>Chốt số liệu</dt><dd>Số liệu tính từ 15/12/2024 đến 14/6/2025</dd>") in half
    sections = page.text.split("<section ")
    [may] = [s for s in sections if "<h2>Báo cáo tháng</h2>" in s and "<dd>tháng 5/2025</dd>" in s]
    assert "<dt>Chốt số liệu</dt><dd>Số liệu tính từ 15/4/2025 đến 14/5/2025</dd>" in may
    assert "Traceback" not in logs[0]
