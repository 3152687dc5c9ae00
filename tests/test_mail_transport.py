"""Transports (file, none, SMTP login) and `tracker mail test`."""

from __future__ import annotations

import errno
import getpass
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.mail_support import SmtpServer, closed_port, digest, enqueue_digests, outbox_rows, smtp_settings
from tracker.core.errors import ConfigError
from tracker.transports.mail import make_transport, resolve_password
from tracker.services.delivery import deliver_due
from tracker.services.runtime import Runtime

UTC = timezone.utc
NOW = datetime(2021, 5, 24, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_prompt_no_keyring(monkeypatch):
    """A prompt would hang a daemon: make any attempt fail loudly, and keep the
    developer's real keyring out of the tests."""
    def refuse(*args, **kwargs):
        raise AssertionError("tried to prompt for a password")

    monkeypatch.setattr(getpass, "getpass", refuse)
    monkeypatch.setattr("builtins.input", refuse)
    monkeypatch.setattr("tracker.transports.mail._keyring_password", lambda user: None)
    monkeypatch.delenv("TRACKER_SMTP_PASSWORD", raising=False)


def test_file_transport_writes_parseable_eml(rt, tmp_path):
    [outbox_id] = enqueue_digests(rt, [digest(cc=("giamdoc@syt.example.vn",))], NOW)
    report = deliver_due(rt, NOW)
    assert report.sent == 1
    row = outbox_rows(rt)[outbox_id]
    files = sorted((tmp_path / "outbox").iterdir())
    assert [f.name for f in files] == [row.message_id.strip("<>").split("@")[0] + ".eml"]
    msg = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["Message-ID"] == row.message_id
    assert msg["Subject"] == row.subject
    assert str(msg["To"]) == "vanthu@syt.example.vn" and str(msg["Cc"]) == "giamdoc@syt.example.vn"
    assert msg.get_body(("plain",)).get_content().replace("\r\n", "\n") == row.body_text
    assert msg.get_body(("html",)).get_content().replace("\r\n", "\n") == row.body_html


def test_file_transport_disk_full_keeps_the_message_queued(rt, tmp_path, monkeypatch):
    [outbox_id] = enqueue_digests(rt, [digest()], NOW)

    def full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("tracker.transports.mail.os.fsync", full)
    report = deliver_due(rt, NOW)
    assert (report.sent, report.retrying) == (0, 1)
    assert "disk full" in report.errors[0]
    row = outbox_rows(rt)[outbox_id]
    assert row.state == "queued" and "disk full (No space left on device)" in row.last_error
    assert list((tmp_path / "outbox").iterdir()) == []  # no half-written file, no temp file left

    monkeypatch.undo()
    assert deliver_due(rt, row.next_attempt_at).sent == 1


def test_none_transport_discards(rt, tmp_path):
    quiet = Runtime(replace(rt.settings, mail=replace(rt.settings.mail, transport="none")), rt.store)
    [outbox_id] = enqueue_digests(quiet, [digest()], NOW)
    assert deliver_due(quiet, NOW).sent == 1
    assert outbox_rows(quiet)[outbox_id].state == "sent"
    assert not (tmp_path / "outbox").exists()


def test_smtp_user_without_password_is_a_clear_error_not_a_prompt(settings):
    with_user = smtp_settings(settings, closed_port(), smtp_user="tracker@example.vn")
    with pytest.raises(ConfigError, match="no SMTP password was found: set TRACKER_SMTP_PASSWORD"):
        make_transport(with_user, environ={})
    assert resolve_password(smtp_settings(settings, 25), environ={}) is None  # no user: no login at all


def test_password_from_environment_or_keyring(settings, monkeypatch):
    with_user = smtp_settings(settings, 25, smtp_user="apikey")
    assert resolve_password(with_user, environ={"TRACKER_SMTP_PASSWORD": "s3cret"}) == "s3cret"
    monkeypatch.setattr("tracker.transports.mail._keyring_password", lambda user: f"from-keyring-{user}")
    assert resolve_password(with_user, environ={}) == "from-keyring-apikey"


def test_smtp_login_with_password_from_environment(rt):
    seen: list[tuple[bytes, bytes]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        seen.append((auth_data.login, auth_data.password))
        # handled=False: let aiosmtpd answer 535 itself (handled=True would leave the client waiting).
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    server = SmtpServer().start(authenticator=authenticator, auth_require_tls=False)
    try:
        settings = smtp_settings(rt.settings, server.port, smtp_user="apikey")
        transport = make_transport(settings, environ={"TRACKER_SMTP_PASSWORD": "s3cret"})
        authed = Runtime(settings, rt.store)
        enqueue_digests(authed, [digest()], NOW)
        assert deliver_due(authed, NOW, transport=transport).sent == 1
        assert seen[0] == (b"apikey", b"s3cret")  # a login without "@" is passed through as is

        wrong = Runtime(settings, rt.store)
        enqueue_digests(wrong, [digest("other")], NOW)
        report = deliver_due(wrong, NOW, transport=make_transport(settings, environ={"TRACKER_SMTP_PASSWORD": "x"}))
        assert report.retrying == 1 and "login as 'apikey' refused: 535" in report.errors[0]
        assert "x" not in report.errors[0].split("refused")[0]  # the password is never echoed
    finally:
        server.stop()


def _write_config(config_file, **mail):
    lines = ["[mail]"] + [f'{k} = {v!r}'.replace("'", '"') if isinstance(v, str) else f"{k} = {v}"
                          for k, v in mail.items()]
    config_file.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_mail_test_over_smtp_reports_the_server_reply(cli, config_file):
    server = SmtpServer().start()
    try:
        _write_config(config_file, transport="smtp", smtp_host="127.0.0.1", smtp_port=server.port,
                      smtp_security="none")
        result = cli("mail", "test", "vanthu@syt.example.vn")
    finally:
        server.stop()
    assert result.exit_code == 0, result.err
    assert result.out == (f"vanthu@syt.example.vn: accepted by 127.0.0.1:{server.port} (none): "
                          "250 2.0.0 Ok: queued as Q1\n")
    msg = server.messages[0].parsed()
    assert msg["Subject"].startswith("[Thử nghiệm] Thư kiểm tra cấu hình gửi thư – ")
    assert "Thứ Hai, Chủ Nhật" in msg.get_body(("plain",)).get_content()


def test_mail_test_file_transport_prints_the_path(cli, tmp_path):
    result = cli("mail", "test", "vanthu@syt.example.vn")
    assert result.exit_code == 0, result.err
    path = result.out.strip().split("written to ", 1)[1]
    assert path.startswith(str(tmp_path / "outbox")) and path.endswith(".eml")
    msg = message_from_bytes(open(path, "rb").read(), policy=policy.default)
    assert str(msg["To"]) == "vanthu@syt.example.vn"


def test_mail_test_errors_are_one_line(cli, config_file):
    bad = cli("mail", "test", "not-an-address")
    assert bad.exit_code == 1 and bad.err == "error: ADDRESS: 'not-an-address' is not an e-mail address\n"

    port = closed_port()
    _write_config(config_file, transport="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="none")
    down = cli("mail", "test", "a@b.vn")
    assert down.exit_code == 1 and down.err == f"error: SMTP 127.0.0.1:{port} (none): connection refused\n"

    _write_config(config_file, transport="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_user="tracker")
    no_pw = cli("mail", "test", "a@b.vn")
    assert no_pw.exit_code == 1 and no_pw.err.count("\n") == 1
    assert "no SMTP password was found" in no_pw.err


def test_mail_test_refused_address(cli, config_file):
    server = SmtpServer().start()
    server.handler.reject["nobody@syt.example.vn"] = "550 5.1.1 no such user"
    try:
        _write_config(config_file, transport="smtp", smtp_host="127.0.0.1", smtp_port=server.port,
                      smtp_security="none")
        result = cli("mail", "test", "nobody@syt.example.vn")
    finally:
        server.stop()
    assert result.exit_code == 1
    assert result.err == "error: nobody@syt.example.vn was refused: 550 5.1.1 no such user\n"


def _self_signed(tmp_path):
    """A certificate for 127.0.0.1, made on the spot (no network, no openssl binary)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def test_starttls_verifies_the_server_certificate(rt, tmp_path, monkeypatch):
    import ssl

    cert_path, key_path = _self_signed(tmp_path)
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert_path, key_path)
    server = SmtpServer().start(tls_context=server_ctx, require_starttls=True)
    try:
        settings = smtp_settings(rt.settings, server.port, smtp_security="starttls")
        tls_rt = Runtime(settings, rt.store)
        enqueue_digests(tls_rt, [digest()], NOW)
        untrusted = deliver_due(tls_rt, NOW)  # self-signed: smtplib alone would accept it
        assert untrusted.sent == 0 and "certificate verify failed" in untrusted.errors[0]
        assert server.messages == []

        monkeypatch.setenv("SSL_CERT_FILE", str(cert_path))  # now the operator trusts it
        trusted = deliver_due(tls_rt, NOW + timedelta(minutes=5))
        assert trusted.sent == 1 and len(server.messages) == 1
    finally:
        server.stop()
