"""Frozen settings: built-in defaults < config file < TRACKER_* environment.

Lookup order of the file (docs/cli.md): ``--config PATH``, ``$TRACKER_CONFIG``,
``./config/tracker.toml``, else built-in defaults only. Unknown keys are an
error naming the key, so a typo never passes silently. Secrets (the SMTP
password) are never read from the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tracker.core.addresses import is_email
from tracker.core.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/tracker.toml")
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


@dataclass(frozen=True)
class TrackerSection:
    database_url: str = "sqlite:///var/tracker.db"
    timezone: str = "Asia/Ho_Chi_Minh"
    language: str = "vi"
    # Input limits: a plan or unit file larger than this is refused unread, and
    # nesting deeper than this refused before it is built. Real plans are a few
    # kilobytes and four levels deep; a national unit list is not: 55,000 units
    # are 5.6 MB of CSV (5 MB refused it). 20 MB still stops the wrong file
    # (a 57 MB plan took minutes and 2 GB before its error).
    max_input_bytes: int = 20_000_000
    max_nesting: int = 32


@dataclass(frozen=True)
class CalendarSection:
    country: str = "VN"
    weekend: tuple[str, ...] = ("sat", "sun")
    extra_days_off: tuple[date, ...] = ()
    extra_working_days: tuple[date, ...] = ()
    shift: str = "next_working_day"


@dataclass(frozen=True)
class ScheduleSection:
    send_at: str = "08:00"
    tick_minutes: int = 5
    horizon_days: int = 400
    reminders: tuple[int, ...] = (14, 7, 3, 1, 0)
    escalation: tuple[int, ...] = (1, 3, 7)
    window_reminders: tuple[int, ...] = (7, 1)
    event_reminders: tuple[int, ...] = (7, 1)
    weekly_summary: str = ""  # mon..sun: the weekday of the coordinator's weekly summary; empty: none
    weekly_summary_to: tuple[str, ...] = ("coordinator",)  # and/or "leadership"


@dataclass(frozen=True)
class EscalationSection:
    leadership: tuple[str, ...] = ()


@dataclass(frozen=True)
class MailSection:
    transport: str = "file"
    outbox_dir: str = "var/outbox"
    sender: str = "tracker@example.vn"
    smtp_host: str = "localhost"
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str = ""
    smtp_timeout: int = 30
    # Bounds on time (seconds): one message's whole exchange, however slowly the
    # server trickles its replies; and a delivery pass, so the next pass decides
    # on time and SIGTERM is obeyed well within systemd's TimeoutStopSec (120 s).
    message_timeout: float = 60.0
    pass_timeout: float = 90.0
    max_attempts: int = 8
    templates_dir: str = ""  # operator overrides; empty = the shipped config/templates
    max_items: int = 50  # items listed in one digest, most urgent first; the rest summarised and attached
    # The attached full list stops here (cut at a whole row, saying what it left out):
    # 600,000 rows make 69 MB, and mail servers take 10-25 MB (base64 adds a third).
    max_attachment_bytes: int = 5 * 1024 * 1024


@dataclass(frozen=True)
class InboundSection:
    """The office mailbox read for replies and bounces (empty host: not read)."""

    imap_host: str = ""
    imap_port: int = 993
    imap_security: str = "ssl"  # ssl | starttls | none
    imap_user: str = ""
    folder: str = "INBOX"
    move_to: str = ""  # empty: processed mail stays where it is, untouched
    reply_address: str = ""  # e.g. baocao@so.vn: digests ask for replies to baocao+TOKEN@so.vn
    files_dir: str = "var/files"  # attachments, stored by content hash
    max_attachment_mb: int = 20
    timeout: int = 30


@dataclass(frozen=True)
class ScorecardSection:
    """The scorecard mailed to each plan's coordinator when a period ends (Cc the
    escalation leadership list when it is set); an empty list mails none."""

    mail_periods: tuple[str, ...] = ("quarter", "half-year", "year")


SCORECARD_PERIODS = ("quarter", "half-year", "year")
MIN_ATTACHMENT_BYTES = 4096


@dataclass(frozen=True)
class WebSection:
    """``tracker serve``: the units' and the coordinator's pages. The signing
    secret is never here: TRACKER_WEB_SECRET, the keyring, or ``secret_file``."""

    host: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # e.g. https://tracker.example.vn; set: digests carry each unit's link
    require_acceptance: bool = True  # a unit's own submission waits for the coordinator
    max_upload_mb: int = 20
    file_types: tuple[str, ...] = (".pdf", ".doc", ".docx", ".xls", ".xlsx", ".odt", ".ods", ".jpg", ".jpeg",
                                   ".png", ".zip")
    secret_file: str = "var/web.secret"  # made by `tracker init`, mode 0600


@dataclass(frozen=True)
class Settings:
    tracker: TrackerSection = field(default_factory=TrackerSection)
    calendar: CalendarSection = field(default_factory=CalendarSection)
    schedule: ScheduleSection = field(default_factory=ScheduleSection)
    escalation: EscalationSection = field(default_factory=EscalationSection)
    mail: MailSection = field(default_factory=MailSection)
    inbound: InboundSection = field(default_factory=InboundSection)
    scorecard: ScorecardSection = field(default_factory=ScorecardSection)
    web: WebSection = field(default_factory=WebSection)
    source: str = "built-in defaults"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tracker.timezone)

    @property
    def send_time(self) -> time:
        hour, minute = self.schedule.send_at.split(":")
        return time(int(hour), int(minute))

    @property
    def weekend_days(self) -> frozenset[int]:
        return frozenset(_WEEKDAYS[d] for d in self.calendar.weekend)


_SECTIONS: dict[str, type] = {
    "tracker": TrackerSection,
    "calendar": CalendarSection,
    "schedule": ScheduleSection,
    "escalation": EscalationSection,
    "mail": MailSection,
    "inbound": InboundSection,
    "scorecard": ScorecardSection,
    "web": WebSection,
}


def resolve_config_path(explicit: str | Path | None) -> Path | None:
    if explicit:
        return Path(explicit)
    env = os.environ.get("TRACKER_CONFIG")
    if env:
        return Path(env)
    return DEFAULT_CONFIG_PATH if DEFAULT_CONFIG_PATH.exists() else None


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read settings from ``path`` (see the lookup order) and the environment."""
    environ = dict(os.environ if environ is None else environ)
    cfg_path = resolve_config_path(path)
    raw: dict[str, Any] = {}
    source = "built-in defaults"
    if cfg_path is not None:
        try:
            text = cfg_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise ConfigError(f"{cfg_path}: config file not found") from None
        except OSError as exc:
            raise ConfigError(f"{cfg_path}: cannot read config file: {exc.strerror}") from None
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{cfg_path}: invalid TOML: {exc}") from None
        source = str(cfg_path)
    where = str(cfg_path) if cfg_path else "config"
    sections: dict[str, Any] = {}
    for name, value in raw.items():
        if name not in _SECTIONS:
            raise ConfigError(f"{where}: unknown section [{name}] (known: {', '.join(_SECTIONS)})")
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{name}] must be a table")
        sections[name] = _build_section(name, value, where)
    settings = Settings(**{n: sections.get(n, cls()) for n, cls in _SECTIONS.items()}, source=source)
    settings = _apply_environment(settings, environ)
    _validate(settings, where)
    return settings


def _build_section(name: str, values: dict[str, Any], where: str) -> Any:
    cls = _SECTIONS[name]
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {name}.{key}")
        kwargs[key] = _coerce(value, known[key].type, f"{where}: {name}.{key}")
    return cls(**kwargs)


def _coerce(value: Any, type_name: Any, where: str) -> Any:
    type_name = str(type_name)
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes"):
            return True
        if text in ("false", "0", "no"):
            return False
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    if type_name == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{where} must be a string")
        return value
    if type_name == "float":
        if isinstance(value, bool):
            raise ConfigError(f"{where} must be a number of seconds, not {value!r}")
        try:
            return float(str(value))
        except ValueError:
            raise ConfigError(f"{where} must be a number of seconds, not {value!r}") from None
    if type_name == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            try:
                return int(str(value))
            except ValueError:
                raise ConfigError(f"{where} must be a whole number, not {value!r}") from None
        return value
    if type_name.startswith("tuple["):
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{where} must be a list")
        if "int" in type_name:
            return tuple(_coerce(v, "int", where) for v in value)
        if "date" in type_name:
            out = []
            for v in value:
                if isinstance(v, date):
                    out.append(v)
                    continue
                try:
                    out.append(date.fromisoformat(str(v)))
                except ValueError:
                    raise ConfigError(f"{where}: {v!r} is not a date (yyyy-mm-dd)") from None
            return tuple(out)
        return tuple(str(v) for v in value)
    return value


def _apply_environment(settings: Settings, environ: dict[str, str]) -> Settings:
    """TRACKER_<SECTION>_<KEY> overrides a key; TRACKER_DATABASE_URL is the short form."""
    updated = {}
    for name, cls in _SECTIONS.items():
        section = getattr(settings, name)
        changes = {}
        for f in fields(cls):
            env_key = f"TRACKER_{name.upper()}_{f.name.upper()}"
            if env_key in environ:
                changes[f.name] = _coerce(environ[env_key], f.type, env_key)
        if changes:
            section = replace(section, **changes)
        updated[name] = section
    if environ.get("TRACKER_DATABASE_URL"):
        updated["tracker"] = replace(updated["tracker"], database_url=environ["TRACKER_DATABASE_URL"])
    return replace(settings, **updated)


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


def private_dir(path: Path) -> None:
    """Create ``path`` and its missing parents as 0700 (the store, the .eml outbox):
    under ``umask 000`` a plain mkdir would leave them world-writable. Existing
    directories are left as the operator made them."""
    missing = []
    for p in (path, *path.parents):
        if p.exists():
            break
        missing.append(p)
    for p in reversed(missing):
        try:
            os.mkdir(p, 0o700)
        except FileExistsError:  # made meanwhile by another process
            continue
        os.chmod(p, 0o700)  # mkdir's mode is masked by the umask; be exact


def smtp_password(environ: dict[str, str] | None = None) -> str | None:
    """The SMTP password from the environment; the keyring is the transport's fallback (transports/mail.py)."""
    environ = os.environ if environ is None else environ
    return environ.get("TRACKER_SMTP_PASSWORD") or None


def imap_password(environ: dict[str, str] | None = None) -> str | None:
    """The IMAP password from the environment; the keyring is the IMAP transport's fallback."""
    environ = os.environ if environ is None else environ
    return environ.get("TRACKER_IMAP_PASSWORD") or None
