"""Signed links: a unit's page (``/u/TOKEN``), the coordinator's page
(``/c/TOKEN``), and the token each form carries.

A link token signs (unit id, link version) with the server's secret
(itsdangerous), so it needs no account and no table of issued links: raising
``units.link_version`` (``tracker units link CODE --rotate``) revokes every
older link at once. A token that is tampered with, truncated, of an older
version or of a retired unit reads as None, and the web app answers a plain 404.

The secret comes from ``TRACKER_WEB_SECRET``, else the system keyring (service
``tracker``, user ``web-secret``), else ``[web] secret_file``, which
``tracker init`` creates with mode 0600. Never from the config file.
"""

from __future__ import annotations

import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from tracker.config import Settings
from tracker.core.errors import ConfigError

KEYRING_SERVICE, KEYRING_USER = "tracker", "web-secret"
UNIT, COORDINATOR = "unit", "coordinator"
_SALTS = {UNIT: "tracker.unit-link", COORDINATOR: "tracker.coordinator-link"}
_FORM_SALT = "tracker.form"
# A form older than this asks the unit to reload the page (a token is not a session).
FORM_MAX_AGE_S = 12 * 3600


def web_secret(settings: Settings, environ: dict[str, str] | None = None) -> bytes:
    """The signing secret; a clear error when there is none or its file is open to others."""
    environ = os.environ if environ is None else environ
    value = environ.get("TRACKER_WEB_SECRET") or _keyring_secret()
    if value:
        return value.encode("utf-8")
    path = Path(settings.web.secret_file)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ConfigError(f"no web secret: set TRACKER_WEB_SECRET, store one in the keyring "
                          f"(`keyring set {KEYRING_SERVICE} {KEYRING_USER}`) or run `tracker init` to create "
                          f"{path}") from None
    if mode & 0o077:
        raise ConfigError(f"{path}: the web secret is readable by others (mode {stat.S_IMODE(mode):o}); "
                          f"run `chmod 600 {path}`")
    text = path.read_text(encoding="utf-8").strip()
    if len(text) < 32:
        raise ConfigError(f"{path}: the web secret is too short (at least 32 characters)")
    return text.encode("utf-8")


def _keyring_secret() -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except Exception:  # no keyring installed: not an error, the next source is tried
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, KEYRING_USER)
    except KeyringError:
        return None
    except Exception:  # a broken backend (no D-Bus session) must not stop the server
        return None


def ensure_secret_file(settings: Settings, environ: dict[str, str] | None = None) -> Path | None:
    """Create ``[web] secret_file`` (mode 0600, from the start) unless a secret
    is already given by the environment or the file exists; the path when created."""
    environ = os.environ if environ is None else environ
    if environ.get("TRACKER_WEB_SECRET"):
        return None
    path = Path(settings.web.secret_file)
    if path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another init won the race: its secret stands
        return None
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(secrets.token_urlsafe(48) + "\n")
    return path


@dataclass(frozen=True)
class Signer:
    """Makes and reads the tokens; one per secret."""

    secret: bytes

    def _serializer(self, salt: str):
        from itsdangerous import URLSafeSerializer

        return URLSafeSerializer(self.secret, salt=salt)

    def link_token(self, page: str, unit_id: int, version: int) -> str:
        return self._serializer(_SALTS[page]).dumps([unit_id, version])

    def read_link(self, page: str, token: str) -> tuple[int, int] | None:
        """(unit id, version), or None for anything not made by ``link_token``."""
        from itsdangerous import BadData

        if not token or len(token) > 200:
            return None
        try:
            value = self._serializer(_SALTS[page]).loads(token)
        except BadData:
            return None
        if (not isinstance(value, list) or len(value) != 2
                or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            return None
        return value[0], value[1]

    def form_token(self, page: str, unit_id: int, version: int, now: datetime) -> str:
        """A form's token: whose page it was made for, when, and a nonce that makes
        the submission it carries arrive once (``submissions.source_key``)."""
        return self._serializer(_FORM_SALT).dumps([page, unit_id, version, int(now.timestamp()),
                                                   secrets.token_urlsafe(12)])

    def read_form(self, token: str) -> dict[str, Any] | None:
        from itsdangerous import BadData

        if not token or len(token) > 300:
            return None
        try:
            value = self._serializer(_FORM_SALT).loads(token)
        except BadData:
            return None
        if not isinstance(value, list) or len(value) != 5:
            return None
        page, unit_id, version, issued, nonce = value
        if page not in _SALTS or not all(isinstance(v, int) for v in (unit_id, version, issued)):
            return None
        return {"page": page, "unit_id": unit_id, "version": version, "issued": issued, "nonce": str(nonce)}


def link_url(base_url: str, page: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/{'u' if page == UNIT else 'c'}/{token}"


@dataclass(frozen=True)
class PageLinks:
    """A digest's links, by (unit id, link version): called, a unit's page;
    ``coordinator``, a coordinator's page (where a cut attachment's full list is)."""

    base: str
    signer: Signer

    def __call__(self, unit_id: int, version: int) -> str:
        return link_url(self.base, UNIT, self.signer.link_token(UNIT, unit_id, version))

    def coordinator(self, unit_id: int, version: int) -> str:
        return link_url(self.base, COORDINATOR, self.signer.link_token(COORDINATOR, unit_id, version))


def digest_links(settings: Settings, environ: dict[str, str] | None = None) -> PageLinks | None:
    """What a digest needs to carry each unit's link, or None when ``[web] base_url`` is not set."""
    base = settings.web.base_url
    if not base:
        return None
    return PageLinks(base, Signer(web_secret(settings, environ)))


@dataclass(frozen=True)
class UnitLink:
    unit: str
    page: str  # unit | coordinator
    url: str  # the full URL when base_url is set, else the path (/u/TOKEN)
    version: int
    rotated: bool


def unit_link(rt, now: datetime, code: str, *, rotate: bool = False, page: str | None = None) -> UnitLink:
    """The link of unit ``code``: its coordinator page when it coordinates a plan
    (or ``page`` says so), else its own page. ``rotate`` first revokes every
    older link of the unit (both pages)."""
    from sqlalchemy import select

    from tracker.core.errors import InputError
    from tracker.services import audit
    from tracker.services.status import unit_id_or_fail
    from tracker.store import units as store_units
    from tracker.store.tables import plans, units

    signer = Signer(web_secret(rt.settings))
    with rt.store.write() as session:
        unit_id = unit_id_or_fail(session, code)
        version = session.scalar(select(units.c.link_version).where(units.c.id == unit_id))
        if rotate:
            store_units.set_link_version(session, unit_id, version + 1, now)
            audit.record(session, at=now, actor=rt.actor, action="rotate-link", entity="unit", entity_id=code,
                         before={"link_version": version}, after={"link_version": version + 1})
            version += 1
        coordinates = session.scalar(select(plans.c.id).where(plans.c.coordinator_code == code).limit(1))
    chosen = page or (COORDINATOR if coordinates is not None else UNIT)
    if chosen == COORDINATOR and coordinates is None:
        raise InputError(f"unit {code!r} coordinates no plan: it has no coordinator page", "--page")
    token = signer.link_token(chosen, unit_id, version)
    base = rt.settings.web.base_url
    url = link_url(base, chosen, token) if base else link_url("", chosen, token)
    return UnitLink(code, chosen, url, version, rotate)
