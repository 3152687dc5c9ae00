"""The SMTP transport: yagmail over SMTP, one connection for a whole delivery batch.

yagmail's own ``send()`` logs in again for every message (the team measured
354 msg/s against 619 on one reused connection), so we log in once through
``yagmail.SMTP.login()`` and speak MAIL/RCPT/DATA on its connection object
(``yag.smtp``), which also gives us each recipient's reply and the server's
final answer. yagmail prompts on the terminal when it has no password; we
always hand it one (or skip login), so a daemon can never hang on a prompt.
The interface, the errors it raises and the other transports are in
transports/mail.py.
"""

from __future__ import annotations

import base64
import re
import smtplib  # exception types and reply codes only; sending goes through yagmail's connection
import socket
import ssl
import threading

from tracker.config import Settings
from tracker.core.errors import DeliveryError
from tracker.core.outgoing import Outgoing
from tracker.core.retry import describe_reply, is_permanent_code
from tracker.transports.mail import ConnectionLost, OutcomeUnknown, SendResult

class SmtpTransport:
    name = "smtp"

    def __init__(self, settings: Settings, password: str | None) -> None:
        self.settings = settings
        self._password = password  # held only in memory; never logged, never printed
        self.yag = None

    @property
    def where(self) -> str:
        m = self.settings.mail
        return f"{m.smtp_host}:{m.smtp_port} ({m.smtp_security})"

    def open(self) -> None:
        """Connect and log in, within ``mail.message_timeout`` as a whole: a
        server trickling its greeting a byte at a time cannot hold us."""
        import yagmail  # noqa: F401  (imported here, not on the clock of the connection)

        limit = self.settings.mail.message_timeout
        box: dict = {}
        abandoned = threading.Event()

        def connect() -> None:
            try:
                box["yag"] = self._connect()
            except BaseException as exc:  # handed to the caller's thread
                box["error"] = exc
            if abandoned.is_set() and "yag" in box:  # too late: nobody will use it
                _quietly_close(box["yag"])

        worker = threading.Thread(target=connect, name="smtp-connect", daemon=True)
        worker.start()
        worker.join(limit)
        if worker.is_alive():
            abandoned.set()
            raise ConnectionLost(f"SMTP {self.where}: no complete answer within {limit:g} s "
                                 "(mail.message_timeout)")
        if "error" in box:
            raise box["error"]
        self.yag = box["yag"]

    def _connect(self):
        import yagmail

        m = self.settings.mail
        login = m.smtp_user.strip()
        # RFC 4616 sends the login as UTF-8; smtplib's own AUTH encodes it as ASCII
        # and fails on "mật-khẩu" before a byte is sent. Such a login goes out as
        # AUTH PLAIN in UTF-8 on yagmail's connection.
        utf8_login = bool(login) and not (login + (self._password or "")).isascii()
        # A dict user keeps yagmail from appending "@gmail.com" to a login without "@";
        # soft validation off because logins need not be addresses (we validate ours).
        user = {login: login} if login else {m.sender: m.sender}
        # smtplib's default TLS context does not verify the server's certificate;
        # give it one that does (yagmail passes a dict on to starttls()).
        context = ssl.create_default_context()
        extra = {"context": context} if m.smtp_security == "ssl" else {}
        starttls: bool | dict = {"context": context} if m.smtp_security == "starttls" else False
        yag = yagmail.SMTP(
            user=user, password=self._password if login else None, host=m.smtp_host, port=m.smtp_port,
            smtp_ssl=m.smtp_security == "ssl", smtp_starttls=starttls, smtp_skip_login=not login or utf8_login,
            soft_email_validation=False, timeout=m.smtp_timeout, **extra,
        )
        yag.set_logging(None)  # yagmail would otherwise attach a stderr handler of its own
        try:
            yag.login()
            yag.smtp.ehlo_or_helo_if_needed()
            if utf8_login:
                _login_utf8(yag.smtp, login, self._password or "")
        except smtplib.SMTPAuthenticationError as exc:
            _quietly_close(yag)
            raise ConnectionLost(f"SMTP {self.where}: login as {login!r} refused: "
                                 f"{describe_reply(exc.smtp_code, exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(yag)
            raise ConnectionLost(f"SMTP {self.where}: {_describe(exc)}") from None
        except UnicodeError:
            _quietly_close(yag)
            raise ConnectionLost(f"SMTP {self.where}: the login cannot be encoded for this server") from None
        return yag

    def send(self, message: Outgoing, *, allow_partial: bool = True) -> SendResult:
        """One message over the open connection, its whole exchange bounded by
        ``mail.message_timeout``. A connection dropped before the message was
        handed over is retried once on a fresh login (servers close idle or long
        sessions); after the final dot it never is (``OutcomeUnknown``). Anything
        else is reported, not raised, except a lost connection (``ConnectionLost``)."""
        if self.yag is None:
            self.open()
        try:
            return self._bounded(message, allow_partial)
        except OutcomeUnknown:
            self.close()
            raise
        except smtplib.SMTPServerDisconnected:
            self.close()
            self.open()
            try:
                return self._bounded(message, allow_partial)
            except OutcomeUnknown:
                self.close()
                raise
            except (OSError, smtplib.SMTPServerDisconnected) as exc:
                self.close()
                raise ConnectionLost(f"SMTP {self.where}: {_describe(exc)}") from None
        except smtplib.SMTPResponseException as exc:  # e.g. DATA answered with 4xx/5xx instead of 354
            _reset(self.yag.smtp)
            raise DeliveryError(f"SMTP {self.where}: {_describe(exc)}",
                                permanent=is_permanent_code(exc.smtp_code)) from None
        except OSError as exc:  # timeouts, resets
            self.close()
            raise ConnectionLost(f"SMTP {self.where}: {_describe(exc)}") from None

    def _bounded(self, message: Outgoing, allow_partial: bool) -> SendResult:
        """``_exchange`` under a watchdog: when the time is up it shuts the socket
        down, so a read blocked on a trickling server returns at once."""
        limit = self.settings.mail.message_timeout
        sock = getattr(self.yag.smtp, "sock", None)
        expired = threading.Event()

        def expire() -> None:
            expired.set()
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

        timer = threading.Timer(limit, expire) if sock is not None else None
        if timer is not None:
            timer.daemon = True
            timer.start()
        state = {"handed_over": False}
        try:
            result = self._exchange(message, allow_partial, state)
        except (OSError, DeliveryError) as exc:
            # A reply the server really gave (a refusal) stays what it is, unless the
            # watchdog cut it: then it may be half a line, misread as a code.
            timed_out = expired.is_set()
            if not timed_out and (not isinstance(exc, OSError) or isinstance(exc, smtplib.SMTPResponseException)):
                raise
            self._give_up(state, limit if timed_out else None, _describe(exc))
            raise
        finally:
            if timer is not None:
                timer.cancel()
        if expired.is_set():  # the answer came in pieces and the last piece was cut
            self._give_up(state, limit, "")
        return result

    def _give_up(self, state: dict, limit: float | None, what: str) -> None:
        """Raise what a lost exchange means: unknown after the final dot, a lost connection
        when the time ran out before it; otherwise let the caller handle ``what``."""
        why = f"no complete answer within {limit:g} s (mail.message_timeout)" if limit is not None else what
        if state["handed_over"]:
            raise OutcomeUnknown(f"SMTP {self.where}: message handed over, then {why}") from None
        if limit is not None:
            self.close()
            raise ConnectionLost(f"SMTP {self.where}: {why}") from None

    def _exchange(self, message: Outgoing, allow_partial: bool, state: dict) -> SendResult:
        smtp = self.yag.smtp  # yagmail's connection, logged in once for the batch
        result = SendResult()
        code, reply = smtp.mail(message.sender)
        if code != 250:
            _reset(smtp)
            # The sender was refused: the same for every recipient.
            text = describe_reply(code, reply)
            raise DeliveryError(f"SMTP {self.where}: sender {message.sender} refused: {text}",
                                permanent=is_permanent_code(code))
        for rcpt in message.recipients:
            code, reply = smtp.rcpt(rcpt)
            if code in (250, 251):
                result.accepted.append(rcpt)
            else:
                result.refused[rcpt] = (code, describe_reply(code, reply))
        if not result.accepted or (result.transient_refusals() and not allow_partial):
            # Keep the message whole: better to retry everyone later than to send
            # now and lose track of who still needs it.
            _reset(smtp)
            result.deferred = bool(result.transient_refusals())
            result.accepted = []
            return result
        code, reply = _data(smtp, message.data, state)
        if code != 250:
            _reset(smtp)
            raise DeliveryError(f"SMTP {self.where}: message refused: {describe_reply(code, reply)}",
                                permanent=is_permanent_code(code))
        result.reply = describe_reply(code, reply)
        return result

    def close(self) -> None:
        if self.yag is not None:
            _quietly_close(self.yag)
            self.yag = None


def _data(smtp, data: bytes, state: dict) -> tuple[int, bytes]:
    """SMTP DATA, as smtplib's ``data()`` does it, but noting in ``state`` the
    moment the final dot has been written: from then on a lost answer is an
    unknown outcome, not a failure."""
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    payload = re.sub(rb"(?m)^\.", b"..", data)  # dot-stuffing (RFC 5321 4.5.2)
    if not payload.endswith(b"\r\n"):
        payload += b"\r\n"
    smtp.send(payload + b".\r\n")
    state["handed_over"] = True
    return smtp.getreply()


def _login_utf8(smtp, login: str, password: str) -> None:
    """AUTH PLAIN with the login and password in UTF-8 (RFC 4616)."""
    if not smtp.has_extn("auth"):
        raise smtplib.SMTPNotSupportedError("the server offers no login (AUTH)")
    token = base64.b64encode(b"\0" + login.encode() + b"\0" + password.encode()).decode("ascii")
    code, reply = smtp.docmd("AUTH", "PLAIN " + token)
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, reply)


def _reset(smtp) -> None:
    try:
        smtp.rset()
    except (OSError, smtplib.SMTPException):
        pass


def _quietly_close(yag) -> None:
    try:
        yag.close()
    except Exception:  # closing a dead connection must not hide the real error
        pass


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        return describe_reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, socket.gaierror):
        return f"unknown host ({exc.strerror})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__
