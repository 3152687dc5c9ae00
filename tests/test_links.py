"""Signed unit links: in every digest to a unit when [web] base_url is set,
printed and rotated by `tracker units link`, and the web secret's sources."""

from __future__ import annotations

import os
from email import message_from_bytes, policy

import pytest

from tests.conftest import EXAMPLES
from tracker.config import load_settings
from tracker.core.errors import ConfigError
from tracker.services.links import COORDINATOR, UNIT, Signer, ensure_secret_file, web_secret

SECRET = "s" * 40


@pytest.fixture
def linked(cli, config_file, monkeypatch):
    config_file.write_text(config_file.read_text() + '\n[web]\nbase_url = "https://tracker.example.vn/"\n')
    monkeypatch.setenv("TRACKER_WEB_SECRET", SECRET)
    cli("units", "import", str(EXAMPLES / "units.csv"))
    cli("--now", "2021-03-01T09:00", "plan", "import", str(EXAMPLES / "hn-2021-43.yaml"))
    return cli


def test_every_digest_to_a_unit_carries_its_link_in_both_parts(linked, tmp_path):
    link = linked("units", "link", "syt").out.strip()
    assert link.startswith("https://tracker.example.vn/u/")
    token = link.rsplit("/", 1)[1]
    assert Signer(SECRET.encode()).read_link(UNIT, token) is not None
    linked("--now", "2021-05-24T08:00", "tick")
    mails = [message_from_bytes(p.read_bytes(), policy=policy.default) for p in (tmp_path / "outbox").glob("*.eml")]
    to_syt = next(m for m in mails if "vanthu@syt.example.vn" in m["To"])
    text = to_syt.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = to_syt.get_body(("html",)).get_content()
    assert f"Đơn vị xác nhận đã gửi báo cáo và gửi kèm tệp tại trang của đơn vị:\n{link}\n" in text
    assert f'<a href="{link}">trang của đơn vị</a>' in html


def test_rotation_revokes_every_older_link(linked):
    first = linked("units", "link", "syt").out.strip()
    assert linked("units", "link", "syt").out.strip() == first  # stable until rotated
    rotated = linked("--now", "2021-05-24T08:00", "units", "link", "syt", "--rotate")
    assert rotated.exit_code == 0 and rotated.err == "syt: older links revoked (now version 2)\n"
    assert rotated.out.strip() != first
    signer = Signer(SECRET.encode())
    assert signer.read_link(UNIT, first.rsplit("/", 1)[1]) == (signer.read_link(UNIT, rotated.out.strip()
                                                                                .rsplit("/", 1)[1])[0], 1)


def test_a_coordinator_gets_its_coordinator_page(linked):
    out = linked("units", "link", "sldtbxh").out.strip()
    assert out.startswith("https://tracker.example.vn/c/")
    assert Signer(SECRET.encode()).read_link(COORDINATOR, out.rsplit("/", 1)[1]) is not None
    assert Signer(SECRET.encode()).read_link(UNIT, out.rsplit("/", 1)[1]) is None  # one page's token is not the other's
    refused = linked("units", "link", "syt", "--page", "coordinator")
    assert (refused.exit_code, refused.err) == (
        1, "error: --page: unit 'syt' coordinates no plan: it has no coordinator page\n")


@pytest.mark.parametrize("token", ["", "abc", "WzEsMV0.bad-signature", "x" * 500])
def test_a_bad_token_reads_as_nothing(token):
    assert Signer(SECRET.encode()).read_link(UNIT, token) is None


def test_a_truncated_or_tampered_token_reads_as_nothing():
    signer = Signer(SECRET.encode())
    good = signer.link_token(UNIT, 7, 1)
    assert signer.read_link(UNIT, good) == (7, 1)
    assert signer.read_link(UNIT, good[:-3]) is None
    assert Signer(b"another secret of enough length!!!").read_link(UNIT, good) is None


def test_the_secret_file_is_made_0600_and_refused_when_open_to_others(tmp_path):
    settings = load_settings(None, environ={"TRACKER_WEB_SECRET_FILE": str(tmp_path / "web.secret")})
    path = ensure_secret_file(settings, environ={})
    assert path is not None and path.stat().st_mode & 0o777 == 0o600
    assert ensure_secret_file(settings, environ={}) is None  # kept, never overwritten
    assert web_secret(settings, environ={}) == path.read_text().strip().encode()
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match=r"readable by others \(mode 644\); run `chmod 600"):
        web_secret(settings, environ={})
    assert web_secret(settings, environ={"TRACKER_WEB_SECRET": "from-env"}) == b"from-env"


def test_no_secret_is_a_clear_error(tmp_path):
    settings = load_settings(None, environ={"TRACKER_WEB_SECRET_FILE": str(tmp_path / "none")})
    with pytest.raises(ConfigError, match="no web secret: set TRACKER_WEB_SECRET"):
        web_secret(settings, environ={})


def test_serve_without_a_secret_says_so_on_one_line(cli, monkeypatch):
    monkeypatch.delenv("TRACKER_WEB_SECRET", raising=False)
    r = cli("serve", "--port", "1")
    assert r.exit_code == 1 and r.err.startswith("error: no web secret: set TRACKER_WEB_SECRET") \
        and r.err.count("\n") == 1
