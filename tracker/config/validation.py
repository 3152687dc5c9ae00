"""What a valid setting is: every value is checked once, when the settings are
loaded, and a bad one is a ``ConfigError`` naming the file and the key."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.config.settings import (
    _WEEKDAYS, MIN_ATTACHMENT_BYTES, SCORECARD_PERIODS, InboundSection, ScorecardSection, Settings,
)
from tracker.core.addresses import is_email
from tracker.core.errors import ConfigError


def _validate(s: Settings, where: str) -> None:
    try:
        ZoneInfo(s.tracker.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"{where}: tracker.timezone: unknown time zone {s.tracker.timezone!r}") from None
    if s.tracker.max_input_bytes < 1 or not 1 <= s.tracker.max_nesting <= 500:
        raise ConfigError(f"{where}: tracker.max_input_bytes must be >= 1 and tracker.max_nesting 1..500")
    if s.tracker.language not in ("vi", "en"):
        raise ConfigError(f"{where}: tracker.language must be vi or en, not {s.tracker.language!r}")
    for day in s.calendar.weekend:
        if day not in _WEEKDAYS:
            raise ConfigError(f"{where}: calendar.weekend: {day!r} is not one of {', '.join(_WEEKDAYS)}")
    if s.calendar.shift not in ("next_working_day", "none"):
        raise ConfigError(f"{where}: calendar.shift must be next_working_day or none")
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", s.schedule.send_at):
        raise ConfigError(f"{where}: schedule.send_at must be HH:MM, not {s.schedule.send_at!r}")
    if s.schedule.weekly_summary and s.schedule.weekly_summary not in _WEEKDAYS:
        raise ConfigError(f"{where}: schedule.weekly_summary: {s.schedule.weekly_summary!r} is not one of "
                          f"{', '.join(_WEEKDAYS)}")
    for who in s.schedule.weekly_summary_to:
        if who not in ("coordinator", "leadership"):
            raise ConfigError(f"{where}: schedule.weekly_summary_to: {who!r} is not coordinator or leadership")
    if s.schedule.tick_minutes < 1:
        raise ConfigError(f"{where}: schedule.tick_minutes must be at least 1")
    if s.schedule.horizon_days < 1:
        raise ConfigError(f"{where}: schedule.horizon_days must be at least 1")
    for key in ("reminders", "window_reminders", "event_reminders", "escalation"):
        if any(n < 0 for n in getattr(s.schedule, key)):
            raise ConfigError(f"{where}: schedule.{key} must hold days >= 0")
        if any(n > 3660 for n in getattr(s.schedule, key)):
            raise ConfigError(f"{where}: schedule.{key} must hold days <= 3660 (ten years)")
    if any(n < 1 for n in s.schedule.escalation):
        raise ConfigError(f"{where}: schedule.escalation must hold working days >= 1")
    for addr in s.escalation.leadership:
        if not is_email(addr):
            raise ConfigError(f"{where}: escalation.leadership: {addr!r} is not an e-mail address")
    if s.mail.transport not in ("file", "smtp", "none"):
        raise ConfigError(f"{where}: mail.transport must be file, smtp or none")
    if s.mail.smtp_security not in ("starttls", "ssl", "none"):
        raise ConfigError(f"{where}: mail.smtp_security must be starttls, ssl or none")
    if not is_email(s.mail.sender):
        raise ConfigError(f"{where}: mail.sender: {s.mail.sender!r} is not an e-mail address")
    for key in ("message_timeout", "pass_timeout"):
        if not 0 < getattr(s.mail, key) <= 86400:
            raise ConfigError(f"{where}: mail.{key} must be between 0 and 86400 seconds")
    if s.mail.max_attempts < 1:
        raise ConfigError(f"{where}: mail.max_attempts must be at least 1")
    if s.mail.max_items < 1:
        raise ConfigError(f"{where}: mail.max_items must be at least 1")
    if s.mail.max_attachment_bytes < MIN_ATTACHMENT_BYTES:
        raise ConfigError(f"{where}: mail.max_attachment_bytes must be at least {MIN_ATTACHMENT_BYTES} "
                          "(room for the header and the line saying what was left out)")
    _validate_inbound(s.inbound, where)
    _validate_scorecard(s.scorecard, where)
    if not 0 < s.web.port < 65536:
        raise ConfigError(f"{where}: web.port must be between 1 and 65535")
    if s.web.base_url and not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", s.web.base_url):
        raise ConfigError(f"{where}: web.base_url must be an http(s) URL without query, not {s.web.base_url!r}")
    if s.web.max_upload_mb < 1:
        raise ConfigError(f"{where}: web.max_upload_mb must be at least 1")
    for ext in s.web.file_types:
        if not re.fullmatch(r"\.[a-z0-9]{1,8}", ext):
            raise ConfigError(f"{where}: web.file_types: {ext!r} is not an extension like \".pdf\"")


def _validate_scorecard(sc: ScorecardSection, where: str) -> None:
    for name in sc.mail_periods:
        if name not in SCORECARD_PERIODS:
            raise ConfigError(f"{where}: scorecard.mail_periods: {name!r} is not one of {', '.join(SCORECARD_PERIODS)}")


def _validate_inbound(i: InboundSection, where: str) -> None:
    if i.imap_security not in ("ssl", "starttls", "none"):
        raise ConfigError(f"{where}: inbound.imap_security must be ssl, starttls or none")
    if not 0 < i.imap_port < 65536:
        raise ConfigError(f"{where}: inbound.imap_port must be a TCP port")
    if i.imap_host and not i.imap_user:
        raise ConfigError(f"{where}: inbound.imap_user is required when inbound.imap_host is set")
    if i.reply_address and (not is_email(i.reply_address) or "+" in i.reply_address.partition("@")[0]):
        raise ConfigError(f"{where}: inbound.reply_address: {i.reply_address!r} is not a plain e-mail address "
                          "(the tracker adds +TOKEN itself)")
    if i.max_attachment_mb < 1:
        raise ConfigError(f"{where}: inbound.max_attachment_mb must be at least 1")
    if i.timeout < 1:
        raise ConfigError(f"{where}: inbound.timeout must be at least 1")
