"""The loop of a submission: who sent it, whether the coordinator accepted or
returned it, and which files a unit may attach. Pure: names and rules only.

A unit's own submission (its page, a reply to a reminder) waits for the
coordinator: the assignment is ``received`` ("đã gửi, chờ xác nhận") and
reminders stop. Accepting it makes the assignment ``submitted``, judged on
time by its first submission; returning it opens the assignment again, and the
scheduler resumes where the deadline puts it.
"""

from __future__ import annotations

import re
from enum import StrEnum

from tracker.core.states import AssignmentState

# The stored assignment state of a unit's submission waiting for acceptance.
RECEIVED = AssignmentState.RECEIVED


class SubmissionState(StrEnum):
    """One submission's fate, stored in ``submissions.state``."""

    RECEIVED = "received"  # waiting for the coordinator
    ACCEPTED = "accepted"
    RETURNED = "returned"


class SubmissionSource(StrEnum):
    """Where a submission came from (``submissions.source``)."""

    COORDINATOR = "coordinator"  # tracker submit: accepted at once
    WEB = "web"  # the unit's signed page
    MAIL = "mail"  # a reply to a reminder, read from the office mailbox


_SAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


def file_extension(name: str) -> str:
    """The lower-case extension of an uploaded file's name ('' when none)."""
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return "." + base.rsplit(".", 1)[1].lower() if "." in base.strip(".") else ""


def file_refusal(name: str, size: int, *, max_bytes: int, types: tuple[str, ...]) -> str | None:
    """Why a file is refused (a Vietnamese sentence for the unit), or None."""
    if size > max_bytes:
        return f"Tệp “{display_name(name)}” quá lớn ({size / 1_048_576:.1f} MB; tối đa {max_bytes / 1_048_576:.0f} MB)."
    if size == 0:
        return f"Tệp “{display_name(name)}” rỗng."
    ext = file_extension(name)
    if ext not in types:
        allowed = ", ".join(t.lstrip(".") for t in types)
        return f"Không nhận tệp loại “{ext.lstrip('.') or 'không rõ'}” (chỉ nhận: {allowed})."
    return None


def display_name(name: str, limit: int = 120) -> str:
    """The original file name as data: path parts and control characters gone, length bounded."""
    base = _SAFE_NAME.sub(" ", name.replace("\\", "/").rsplit("/", 1)[-1]).strip() or "tep"
    return base if len(base) <= limit else base[: limit - 1] + "…"


# --- what can go wrong, each with the HTTP status a web page answers --------------

from tracker.core.errors import TrackerError  # noqa: E402  (kept beside the classes that use it)


class SubmissionRefused(TrackerError):
    """A submission that cannot be recorded; ``status`` is the web page's HTTP status."""

    status = 400


class NotOwed(SubmissionRefused):
    """The assignment is not the unit's (a cross-unit form, an obligation it does not owe)."""

    status = 403


class AlreadyClosed(SubmissionRefused):
    """Already accepted or waived: nothing more to submit."""

    status = 409


class Replayed(SubmissionRefused):
    """The same form (or mail) arrived a second time."""

    status = 409


class FileRefused(SubmissionRefused):
    """A file over the size limit (413) or of a refused type (415)."""

    def __init__(self, message: str, status: int) -> None:
        self.status = status
        super().__init__(message)


class NothingToDecide(TrackerError):
    """accept / return on an assignment with no submission waiting."""
