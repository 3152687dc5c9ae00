"""Column types. Instants are stored as naive UTC and returned aware (UTC).

A naive datetime handed to the store is a bug (whose clock? which zone?), so
it is rejected rather than guessed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    impl = DateTime(timezone=False)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored: pass an aware datetime")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def bind_processor(self, dialect):
        """The conversion above, then the driver's (SQLite: a string), remembered
        per instant: a pass after a mass import stores millions of instants, and
        they are a few hundred distinct ones (the pass's ``now``, each deadline,
        each stage time)."""
        convert = super().bind_processor(dialect)
        if convert is None:
            return None
        cache: dict[datetime, object] = {}

        def process(value):
            if value is None:
                return None
            try:
                return cache[value]
            except (KeyError, TypeError):
                out = convert(value)  # raises for a naive datetime, which is never cached
            if len(cache) < 4096:
                cache[value] = out
            return out

        return process

    def result_processor(self, dialect, coltype):
        """The conversion below after the driver's, remembered per stored value like
        ``bind_processor``: a pass after a mass import reads 660,000 due rows and
        composes as many items, with a few hundred distinct instants among them."""
        convert = super().result_processor(dialect, coltype)
        cache: dict[object, datetime | None] = {}

        def process(value):
            try:
                return cache[value]
            except KeyError:
                out = convert(value)  # never None: process_result_value is defined below
            if len(cache) < 4096:
                cache[value] = out
            return out

        return process

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)
