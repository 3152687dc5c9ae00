"""A real IMAP server for tests: Debian's Dovecot (dovecot-imapd), started on
127.0.0.1 on a free port with its own config file (no system config), a
throw-away maildir and a passwd-file, and stopped afterwards. Tests skip, saying
why, when Dovecot is not installed.

Dovecot refuses to run its login process as root; under root (CI containers)
the login and internal processes run as Debian's ``dovenull`` and ``dovecot``
users and the mail belongs to ``dovecot``; otherwise everything runs as the
current user.
"""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
USER = "office@example.vn"
PASSWORD = "mật-khẩu-secret"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _accounts() -> tuple[str, str, int, int]:
    """(login user, internal user, mail uid, mail gid)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.getuid()).pw_name
        return me, me, os.getuid(), os.getgid()
    for name in ("dovenull", "dovecot"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            pytest.skip(f"running as root and Debian's {name!r} user is missing (dovecot-core creates it)")
    mail = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", mail.pw_uid, mail.pw_gid


@dataclass
class Dovecot:
    root: Path
    port: int
    process: subprocess.Popen | None = None

    def client(self, password: str = PASSWORD) -> imaplib.IMAP4:
        c = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        # AUTHENTICATE PLAIN: the password is not ASCII (LOGIN would refuse it).
        c.authenticate("PLAIN", lambda _challenge: b"\0" + USER.encode() + b"\0" + password.encode("utf-8"))
        return c

    def append(self, data: bytes, folder: str = "INBOX") -> int:
        """Put one message in the mailbox; returns its UID."""
        c = self.client()
        try:
            typ, resp = c.append(folder, None, None, data)
            assert typ == "OK", resp
            return int(resp[0].split()[2].rstrip(b"]"))
        finally:
            c.logout()

    def count(self, folder: str = "INBOX") -> int:
        c = self.client()
        try:
            typ, resp = c.select(folder, readonly=True)
            return int(resp[0]) if typ == "OK" else -1
        finally:
            c.logout()

    def flags(self, folder: str = "INBOX") -> list[bytes]:
        c = self.client()
        try:
            c.select(folder, readonly=True)
            typ, data = c.fetch("1:*", "(FLAGS)")
            return [d for d in data if d]
        finally:
            c.logout()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def settings(self, settings, **inbound):
        values = dict(imap_host="127.0.0.1", imap_port=self.port, imap_security="none", imap_user=USER,
                      folder="INBOX", files_dir=str(self.root / "files"), timeout=5)
        values.update(inbound)
        return replace(settings, inbound=replace(settings.inbound, **values))


def start_dovecot() -> Dovecot:
    if not os.path.exists(DOVECOT) or not os.path.exists("/usr/lib/dovecot/imap"):
        pytest.skip("Dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    login_user, internal_user, uid, gid = _accounts()
    root = Path(tempfile.mkdtemp(prefix="tracker-dovecot-"))
    os.chmod(root, 0o755)  # Dovecot's unprivileged processes must reach their files
    for sub in ("mail", "home"):
        (root / sub).mkdir()
        os.chown(root / sub, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n", encoding="utf-8")
    os.chmod(root / "passwd", 0o644)
    port = _free_port()
    internal_group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
    (root / "dovecot.conf").write_text(f"""\
base_dir = {root}/run
state_dir = {root}/state
log_path = /dev/stderr
info_log_path = /dev/stderr
listen = 127.0.0.1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal_user}
default_internal_group = {internal_group}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
""", encoding="utf-8")
    process = subprocess.Popen([DOVECOT, "-F", "-c", str(root / "dovecot.conf")], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    server = Dovecot(root, port, process)
    # The master logs "starting up" after it has bound its listeners: read until then (no sleeping).
    seen = []
    for line in iter(process.stderr.readline, b""):
        seen.append(line.decode(errors="replace").strip())
        if b"starting up" in line:
            break
    else:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail("Dovecot did not start: " + " | ".join(seen[-5:]))
    # Keep draining its log so the pipe never fills and blocks the server.
    import threading

    threading.Thread(target=lambda: [None for _ in iter(process.stderr.readline, b"")], daemon=True).start()
    return server


@pytest.fixture
def dovecot():
    server = start_dovecot()
    yield server
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
