"""The configuration: the settings and their defaults (settings.py), read from
``tracker.toml`` and the environment (loading.py), checked (validation.py);
the secrets kept out of both (secrets.py). Import from here."""

from tracker.config.loading import DEFAULT_CONFIG_PATH, load_settings, resolve_config_path
from tracker.config.secrets import imap_password, private_dir, smtp_password
from tracker.config.settings import (
    _SECTIONS, MIN_ATTACHMENT_BYTES, SCORECARD_PERIODS, CalendarSection, EscalationSection, InboundSection,
    MailSection, ScheduleSection, ScorecardSection, Settings, TrackerSection, WebSection,
)

__all__ = [
    "_SECTIONS",
    "DEFAULT_CONFIG_PATH", "MIN_ATTACHMENT_BYTES", "SCORECARD_PERIODS", "CalendarSection", "EscalationSection",
    "InboundSection", "MailSection", "ScheduleSection", "ScorecardSection", "Settings", "TrackerSection",
    "WebSection", "imap_password", "load_settings", "private_dir", "resolve_config_path", "smtp_password",
]
