"""When to try a message again, and which failures are worth retrying. Pure.

A failed attempt waits ``backoff(attempts)`` before the next one: 5 min, 10, 20,
40 … capped at 6 h. With the default ``max_attempts = 8`` a message survives a
mail server that is down for about ten and a half hours before it becomes a dead
letter (the sum of the first seven waits), long enough to ride out a night's
maintenance, short enough that the coordinator hears about it the same day.
No jitter: the daemon polls on a fixed tick anyway, and exact times keep the
behaviour testable under a frozen clock.
"""

from __future__ import annotations

from datetime import timedelta

BASE_DELAY = timedelta(minutes=5)
MAX_DELAY = timedelta(hours=6)


def backoff(attempts: int, *, base: timedelta = BASE_DELAY, cap: timedelta = MAX_DELAY) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based): base · 2^(attempts-1), capped."""
    if attempts < 1:
        return timedelta(0)
    # Cap the exponent before multiplying so a huge attempt count cannot overflow timedelta.
    exponent = min(attempts - 1, 32)
    return min(cap, base * (2 ** exponent))


def is_permanent_code(code: int | None) -> bool:
    """SMTP 5xx replies are final (RFC 5321 §4.2.1); 4xx, and no reply at all, are worth retrying."""
    return code is not None and 500 <= code <= 599


def describe_reply(code: int | None, text: bytes | str | None) -> str:
    """``550 5.1.1 no such user`` on one line, whatever the server sent."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    text = " ".join((text or "").split())
    if code is None:
        return text or "no reply"
    return f"{code} {text}".strip()
