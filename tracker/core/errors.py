"""Errors users see. Each message names what went wrong and where.

The CLI prints ``str(error)`` on one line and exits 1; nothing else in the
package catches these, so a service can raise from any depth.
"""

from __future__ import annotations


class TrackerError(Exception):
    """Base of every error a user (coordinator, operator) is meant to read."""


class ConfigError(TrackerError):
    """The configuration file or environment is wrong."""


class InputError(TrackerError):
    """A file or argument given by the user is invalid.

    ``where`` is ``file:line`` or a field path; it prefixes the message.
    """

    def __init__(self, message: str, where: str | None = None) -> None:
        self.where = where
        self.message = message
        super().__init__(f"{where}: {message}" if where else message)


class ValidationErrors(TrackerError):
    """Several input problems found at once (a file is validated in full)."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        # One line per problem: the CLI prints them as they are.
        super().__init__("\n".join(str(e) for e in errors))


class NotFound(TrackerError):
    """A unit, plan, obligation or assignment named by the user does not exist."""


class Ambiguous(TrackerError):
    """A name matches several records; the user must say which."""


class StoreError(TrackerError):
    """The database cannot be used (missing schema, unreachable, locked)."""


class DeliveryError(TrackerError):
    """A message could not be handed to the transport.

    ``permanent`` tells the outbox whether retrying can help.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        self.permanent = permanent
        super().__init__(message)
