"""Two `tracker serve` processes on one PostgreSQL store: what one records the
other shows, a form sent to both at once is recorded once, and the coordinator
may accept on one and return on the other."""

from __future__ import annotations

import threading

from sqlalchemy import select

from tests.conftest import EXAMPLES
from tests.web_support import SECRET, form_fields, serving
from tracker.store.engine import Store
from tracker.store.tables import assignments, obligations, submissions, units

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_two_servers_share_one_postgresql_store(cli, config_file, pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_WEB_SECRET", SECRET)
    config_file.write_text(config_file.read_text() + f'\n[inbound]\nfiles_dir = "{tmp_path / "files"}"\n')
    assert cli("init", db=pg_url).exit_code == 0
    cli("units", "import", str(EXAMPLES / "units.csv"), db=pg_url)
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"), db=pg_url)
    link = cli("--now", "2021-05-25T09:00", "units", "link", "syt", db=pg_url).out.strip()
    coord = cli("--now", "2021-05-25T09:00", "units", "link", "sldtbxh", db=pg_url).out.strip()
    store = Store(pg_url)
    with store.reader() as conn:
        a_id = conn.scalar(select(assignments.c.id).join(units).join(obligations).where(
            units.c.code == "syt", obligations.c.code == "bao-cao-6-thang"))
    logs: list[str] = []
    try:
        with serving(pg_url, config_file, tmp_path, "2021-05-25T09:00", logs=logs) as one, \
                serving(pg_url, config_file, tmp_path, "2021-05-25T09:00", logs=logs) as two, \
                one.client() as a, two.client() as b:
            fields = form_fields(a.get(link).text, a_id)
            # The same form sent to both servers at once: one records it, the other refuses it.
            answers: list[int] = []

            def send(http) -> None:
                answers.append(http.post(link, data=fields, files={"file": ("bc.pdf", PDF, "application/pdf")})
                               .status_code)

            threads = [threading.Thread(target=send, args=(http,)) for http in (a, b)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            assert sorted(answers) == [200, 409]
            # Recorded through one server, waiting on the other's coordinator page.
            page = b.get(coord).text
            assert "<h2>Chờ xác nhận (1)</h2>" in page and "bc.pdf" in page
            token = form_fields(page, a_id)["form"]
            assert b.post(f"{coord}/decide", data={"form": token, "assignment": a_id, "action": "accept"}
                          ).status_code == 303
            # Accepted on one, returned on the other (found incomplete after all).
            accepted = a.get(coord).text
            assert '<h2 id="r">Đã xác nhận gần đây (1)</h2>' in accepted
            back = a.post(f"{coord}/decide", data={**form_fields(accepted, a_id), "action": "return",
                                                    "reason": "Thiếu phụ lục"})
            assert back.status_code == 303
            assert "Bị trả lại" in b.get(link).text
        with store.reader() as conn:
            subs = conn.execute(select(submissions.c.state, submissions.c.reason)).all()
            state = conn.scalar(select(assignments.c.state).where(assignments.c.id == a_id))
        assert (subs, state) == ([("returned", "Thiếu phụ lục")], "open")
    finally:
        store.dispose()
    assert len(logs) == 2 and not any("Traceback" in log for log in logs)
