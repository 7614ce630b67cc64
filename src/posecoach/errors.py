"""One error hierarchy for the whole package.

The library never prints; it raises these.  The CLI turns them into a one-line
``ERROR ...`` message and an exit code in one place (``posecoach.cli.main``).
Every message names the thing, the cause, and what to do.
"""

from __future__ import annotations

__all__ = [
    "PosecoachError",
    "SourceError",
    "ModelError",
    "ExerciseError",
    "OutputError",
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
