"""The settings: one frozen section per ``[section]`` of ``tracker.toml``, each
key with its built-in default (docs/config.md). Reading them from the file and
the environment is loading.py's; what a valid value is, validation.py's."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time
from zoneinfo import ZoneInfo

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
