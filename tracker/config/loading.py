"""Frozen settings: built-in defaults < config file < TRACKER_* environment.

Lookup order of the file (docs/cli.md): ``--config PATH``, ``$TRACKER_CONFIG``,
``./config/tracker.toml``, else built-in defaults only. Unknown keys are an
error naming the key, so a typo never passes silently. Secrets (the SMTP
password) are never read from the file.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from tracker.config.settings import _SECTIONS, Settings
from tracker.config.validation import _validate
from tracker.core.errors import ConfigError

DEFAULT_CONFIG_PATH = Path("config/tracker.toml")


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
