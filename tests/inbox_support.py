"""Mail as units and mail servers send it back: replies to a digest, delivery
status notifications (RFC 3464, as Postfix writes them), other people's mail."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from datetime import datetime, timezone

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def reply(original: EmailMessage | None, *, sender: str, text: str | None = "Đã gửi báo cáo, xin xem tệp đính kèm.",
          html: str | None = None, attachment: bytes | None = PDF, filename: str = "bao-cao-6-thang.pdf",
          to: str = "vanthu@sldtbxh.example.vn", in_reply_to: str | None = None, references: bool = True,
          date: datetime = datetime(2021, 5, 20, 3, 0, tzinfo=timezone.utc),
          message_id: str | None = None) -> bytes:
    """What a mail client sends when a unit answers ``original`` with its report attached."""
    msg = EmailMessage()
    msg["From"] = f"Văn thư <{sender}>"
    msg["To"] = to
    msg["Subject"] = "Re: " + (str(original["Subject"]) if original is not None else "báo cáo")
    msg["Date"] = format_datetime(date)
    msg["Message-ID"] = message_id or make_msgid(domain=sender.partition("@")[2])
    parent = in_reply_to or (str(original["Message-ID"]) if original is not None else None)
    if parent and references:
        msg["In-Reply-To"] = parent
        msg["References"] = parent
    if text is not None:
        msg.set_content(text)
        if html is not None:
            msg.add_alternative(html, subtype="html")
    elif html is not None:
        msg.set_content(html, subtype="html")
    if attachment is not None:
        msg.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename)
    return bytes(msg)


def dsn(original: EmailMessage, recipient: str, *, status: str = "5.1.1",
        diagnostic: str = "550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table",
        reporting_mta: str = "mx.example.vn") -> bytes:
    """A delivery status notification for ``recipient`` of ``original``, as Postfix writes it."""
    action = "failed" if status.startswith("5") else "delayed"
    boundary = "8A2F31C0AE.1621486800/mx.example.vn"
    headers = "".join(f"{k}: {v}\r\n" for k, v in original.items())
    diag = diagnostic.format(r=recipient)
    body = (
        f"From: MAILER-DAEMON@{reporting_mta} (Mail Delivery System)\r\n"
        f"To: {original['From']}\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: Thu, 20 May 2021 10:00:00 +0700\r\n"
        f"Message-ID: <{_dsn_id(original, recipient, status)}@{reporting_mta}>\r\n"
        f"Auto-Submitted: auto-replied\r\n"
        f"MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status;\r\n boundary="{boundary}"\r\n'
        f"\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Notification\r\n"
        f"Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {reporting_mta}.\r\n\r\n"
        f"I'm sorry to have to inform you that your message could not\r\nbe delivered to one or more recipients.\r\n\r\n"
        f"<{recipient}>: host {reporting_mta} said: {diag}\r\n\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Delivery report\r\n"
        f"Content-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {reporting_mta}\r\n"
        f"X-Postfix-Queue-ID: 8A2F31C0AE\r\n"
        f"Arrival-Date: Thu, 20 May 2021 09:59:58 +0700 (+07)\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Original-Recipient: rfc822;{recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Remote-MTA: dns; {recipient.partition('@')[2]}\r\n"
        f"Diagnostic-Code: smtp; {diag}\r\n\r\n"
        f"--{boundary}\r\n"
        f"Content-Description: Undelivered Message Headers\r\n"
        f"Content-Type: text/rfc822-headers\r\n\r\n"
        f"{headers}\r\n"
        f"--{boundary}--\r\n"
    )
    return body.encode("utf-8")


def other_mail(sender: str = "ban@example.com", subject: str = "Mời họp") -> bytes:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "vanthu@sldtbxh.example.vn"
    msg["Subject"] = subject
    msg["Date"] = "Thu, 20 May 2021 10:00:00 +0700"
    msg["Message-ID"] = make_msgid(domain="example.com")
    msg.set_content("Kính mời anh chị dự họp.")
    return bytes(msg)


def _dsn_id(original: EmailMessage, recipient: str, status: str) -> str:
    """One report per original message, recipient and status, as a server would send."""
    import hashlib

    return hashlib.sha256(f"{original['Message-ID']}|{recipient}|{status}".encode()).hexdigest()[:16]
