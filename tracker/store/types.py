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
        remembered = _remembered(convert)  # convert raises for a naive datetime, which is never cached
        return lambda value: None if value is None else remembered(value)

    def result_processor(self, dialect, coltype):
        """The conversion below after the driver's, remembered per stored value like
        ``bind_processor``: a pass after a mass import reads 660,000 due rows and
        composes as many items, with a few hundred distinct instants among them."""
        return _remembered(super().result_processor(dialect, coltype))

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


_MISSING = object()


def _remembered(convert):
    """``convert``, remembering up to 4,096 results by value. A miss costs one dict lookup
    (not a raised KeyError): columns of distinct instants (created_at) read as fast as before."""
    cache: dict = {}

    def process(value):
        out = cache.get(value, _MISSING)
        if out is _MISSING:
            out = convert(value)
            if len(cache) < 4096:
                cache[value] = out
        return out

    return process
