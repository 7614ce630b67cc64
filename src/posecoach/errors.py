"""One error hierarchy for the whole package.

The library never prints; it raises these.  The CLI turns them into a one-line
``ERROR ...`` message and an exit code in one place (``posecoach.cli.main``).
Every message names the thing, the cause, and what to do.
"""

from __future__ import annotations

__all__ = [
    "ExerciseError",
    "InvalidValue",
    "ModelError",
    "NotFound",
    "OutputError",
    "PatientNotFound",
    "PosecoachError",
    "ReferenceNotFound",
    "SessionNotFound",
    "SourceError",
    "UsageError",
]


class PosecoachError(Exception):
    """Base class: a problem a user can fix, with a one-line message saying how."""


class SourceError(PosecoachError):
    """A frame source (video file, image folder, camera) cannot be opened or read."""


class ModelError(PosecoachError):
    """The pose model is missing, corrupt or cannot be built."""


class ExerciseError(PosecoachError):
    """An exercise definition is unknown or invalid."""


class OutputError(PosecoachError):
    """Results cannot be written (disk full, no permission, ...)."""


class UsageError(PosecoachError):
    """The command was given wrong or missing arguments (what to type instead is in the message)."""


class InvalidValue(PosecoachError, ValueError):
    """A value given to the clinic (a name, a pain score, a target, a programme item...) is not valid.

    Also a ``ValueError``, so code written against the earlier ``ValueError`` keeps working while
    callers move to catching ``PosecoachError``."""


class NotFound(PosecoachError, KeyError):
    """A record (patient, session, reference) that is not in the database.

    Also a ``KeyError`` for the same reason as ``InvalidValue``; ``str()`` is the message itself
    (``KeyError`` would quote it)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "not found"


class PatientNotFound(NotFound):
    """A patient name or id that is not in the database."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "unknown patient"


class SessionNotFound(NotFound):
    """A session id that is not in the history."""


class ReferenceNotFound(NotFound):
    """A reference id that is not in the database."""
