"""Test helpers for mail: a real SMTP server (aiosmtpd) on an ephemeral port,
and digests built by hand (the scheduler is not needed to test delivery)."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from tracker.core.digest import Digest, DigestItem

UTC = timezone.utc


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)


@dataclass
class RecordingHandler:
    """Accepts everything except the addresses in ``reject`` (replied as given, e.g. 550)."""

    messages: list[Received] = field(default_factory=list)
    reject: dict[str, str] = field(default_factory=dict)
    connections: int = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.connections += 1
        session.host_name = hostname
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return self.reject[address.lower()]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return f"250 2.0.0 Ok: queued as Q{len(self.messages)}"

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]


class EphemeralController(Controller):
    """aiosmtpd's Controller, bound to port 0: the OS picks a free port (no races
    with other tests), read back before the controller's own readiness check."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpServer:
    def __init__(self) -> None:
        self.handler = RecordingHandler()
        self.controller: Controller | None = None
        self.port = 0

    def start(self, port: int = 0, **smtp_options) -> "SmtpServer":
        # Starts synchronously: start() returns once the server answers.
        self.controller = EphemeralController(self.handler, hostname="127.0.0.1", port=port, **smtp_options)
        self.controller.start()
        self.port = self.controller.port
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages


@pytest.fixture
def smtp_server():
    server = SmtpServer().start()
    yield server
    server.stop()


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def smtp_settings(settings, port: int, **mail):
    values = dict(transport="smtp", smtp_host="127.0.0.1", smtp_port=port, smtp_security="none", smtp_user="",
                  smtp_timeout=5)
    values.update(mail)
    return replace(settings, mail=replace(settings.mail, **values))


def with_language(settings, language: str):
    return replace(settings, tracker=replace(settings.tracker, language=language))


def item(obligation: str = "bao-cao-6-thang", *, unit: str = "syt", unit_name: str = "Sở Y tế",
         stage: str = "before:7", due: datetime = datetime(2021, 5, 31, 16, 59, 59, tzinfo=UTC),
         title: str = "Báo cáo 06 tháng công tác bình đẳng giới và vì sự tiến bộ phụ nữ",
         kind: str = "deadline", ends_at: datetime | None = None,
         source: str | None = "Báo cáo 06 tháng ... gửi trước ngày **30/5/2021**.") -> DigestItem:
    return DigestItem(plan="hn-2021-43", plan_title="Triển khai công tác bình đẳng giới năm 2021",
                      obligation=obligation, title=title, kind=kind, unit=unit, unit_name=unit_name, period="2021",
                      stage=stage, due_at=due, ends_at=ends_at, source=source, strict_before=True)


def digest(key: str = "syt/2021-05-24T01:00", *, unit: str | None = "syt", name: str = "Sở Y tế",
           to: tuple[str, ...] = ("vanthu@syt.example.vn",), cc: tuple[str, ...] = (),
           reply_to: tuple[str, ...] = ("vanthu@sldtbxh.example.vn",),
           at: datetime = datetime(2021, 5, 24, 1, 0, tzinfo=UTC),
           items: tuple[DigestItem, ...] | None = None) -> Digest:
    return Digest(key=key, at=at, recipient_unit=unit, recipient_name=name, to=to, cc=cc, reply_to=reply_to,
                  items=items if items is not None else (item(unit=unit or "syt", unit_name=name),))


def enqueue_digests(rt, digests, now: datetime) -> list[int]:
    """Render and enqueue, as the tick does (one transaction)."""
    from tracker.render.mail import render_digest
    from tracker.store.outbox import enqueue_many, new_message

    with rt.store.write() as session:
        ids = enqueue_many(session, [new_message(d, render_digest(d, rt.settings), now, rt.tz) for d in digests])
    return [ids[d.key].id for d in digests]


def outbox_rows(rt):
    from sqlalchemy import select

    from tracker.store.models import OutboxMessage

    with rt.store.read() as session:
        return {r.id: r for r in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))}


# --- a hostile SMTP server: the probe's modes -------------------------------------

class HostileSmtp:
    """A small SMTP server on plain sockets (one thread per connection) that can
    misbehave the ways the probe found (issue 21):

    - ``drop``: takes the whole message, then closes the connection without replying;
    - ``slow``: takes the whole message and answers ``delay`` seconds later;
    - ``trickle``: answers after the final dot one byte every ``interval`` seconds;
    - ``trickle_all``: every reply, the greeting included, one byte every ``interval``;
    - ``refuse``: addresses answered ``452 4.2.2 mailbox full`` at RCPT (any mode).

    Its deliberate slowness (``Event.wait``) is the only waiting in these tests;
    ``stop()`` cuts it short. ``messages`` records every message it took.
    """

    def __init__(self, mode: str = "normal", *, delay: float = 1.0, interval: float = 1.0,
                 refuse: tuple[str, ...] = ()) -> None:
        import threading

        self.mode, self.delay, self.interval = mode, delay, interval
        self.refuse = {a.lower() for a in refuse}
        self.messages: list[Received] = []
        self.logins: list[tuple[str, str]] = []
        self.connections = 0
        self._stop = threading.Event()
        self.received = threading.Event()  # set at the first message taken
        self._lock = threading.Lock()
        self._clients: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self._listener.close()
        with self._lock:
            for c in self._clients:
                try:
                    c.close()
                except OSError:
                    pass

    def __enter__(self) -> "HostileSmtp":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _accept(self) -> None:
        import threading

        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._clients.append(client)
                self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _reply(self, client: socket.socket, text: str, *, slow: bool = False) -> None:
        data = (text + "\r\n").encode()
        if not slow:
            client.sendall(data)
            return
        for byte in data:
            if self._stop.wait(self.interval):
                raise OSError("server stopped")
            client.sendall(bytes([byte]))

    def _serve(self, client: socket.socket) -> None:
        import base64

        trickle_all = self.mode == "trickle_all"
        reader = client.makefile("rb")
        try:
            self._reply(client, "220 fake ESMTP", slow=trickle_all)
            mail_from, rcpts = "", []
            while not self._stop.is_set():
                line = reader.readline()
                if not line:
                    return
                verb, _, arg = line.decode("utf-8", "replace").strip().partition(" ")
                verb = verb.upper()
                if verb in ("EHLO", "HELO"):
                    self._reply(client, "250-fake\r\n250-AUTH PLAIN\r\n250 8BITMIME", slow=trickle_all)
                elif verb == "AUTH":
                    raw = base64.b64decode(arg.split(" ", 1)[1]).split(b"\0")
                    self.logins.append((raw[1].decode("utf-8"), raw[2].decode("utf-8")))
                    self._reply(client, "235 2.7.0 ok", slow=trickle_all)
                elif verb == "MAIL":
                    mail_from, rcpts = arg.partition(":")[2].strip().strip("<>").split(">")[0], []
                    self._reply(client, "250 OK", slow=trickle_all)
                elif verb == "RCPT":
                    address = arg.partition(":")[2].strip().strip("<>").split(">")[0]
                    if address.lower() in self.refuse:
                        self._reply(client, "452 4.2.2 mailbox full, try later", slow=trickle_all)
                    else:
                        rcpts.append(address)
                        self._reply(client, "250 OK", slow=trickle_all)
                elif verb == "DATA":
                    self._reply(client, "354 go ahead", slow=trickle_all)
                    body = []
                    while True:
                        chunk = reader.readline()
                        if not chunk:
                            return
                        if chunk == b".\r\n":
                            break
                        body.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                    with self._lock:
                        self.messages.append(Received(mail_from, list(rcpts), b"".join(body)))
                    self.received.set()
                    if self.mode == "drop":
                        return
                    if self.mode == "slow" and self._stop.wait(self.delay):
                        return
                    self._reply(client, f"250 2.0.0 queued as Q{len(self.messages)}",
                                slow=self.mode in ("trickle", "trickle_all"))
                elif verb == "QUIT":
                    self._reply(client, "221 bye")
                    return
                else:  # RSET, NOOP
                    self._reply(client, "250 OK", slow=trickle_all)
        except OSError:
            return
        finally:
            try:  # the reader holds the descriptor too: close both, so the client sees the drop
                reader.close()
                client.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            client.close()


def copies(received: list[Received]) -> dict[str, int]:
    """Message-ID -> how many times it arrived."""
    out: dict[str, int] = {}
    for m in received:
        mid = m.parsed()["Message-ID"]
        out[mid] = out.get(mid, 0) + 1
    return out
