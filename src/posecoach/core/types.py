"""Small frozen types passed between pipeline stages.

Coordinates: ``Pose.xy`` holds image-plane positions in **pixels** (x right,
y down) so that 2D angles are not distorted by the frame's aspect ratio.
``Pose.world`` holds MediaPipe world landmarks in metres (origin mid-hip,
y down), or is ``None`` when the source has none.

The enums name the few words that travel between stages and end up in JSON
and on screen (a frame's status, an engine event's kind, why a cycle was
reset).  They are ``StrEnum`` so ``Status.OK == "ok"`` and ``json.dumps``
writes the same strings as before: callers comparing with plain strings keep
working, and a typo in new code is an ``AttributeError`` instead of a silent
mismatch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from posecoach.core.landmarks import N_LANDMARKS

__all__ = ["EventKind", "Frame", "Pose", "ResetReason", "Status"]


class Status(StrEnum):
    """Why a frame was (not) used for counting: ``FrameResult.status``."""

    OK = "ok"
    NO_PERSON = "no_person"
    NOT_VISIBLE = "not_visible"
    WRONG_VIEW_SIDE = "wrong_view_side"
    WRONG_VIEW_FRONT = "wrong_view_front"
    UNSTEADY = "unsteady"  # the main angle jumped faster than a body moves: a tracker glitch

    @property
    def wrong_view(self) -> bool:
        return self in (Status.WRONG_VIEW_SIDE, Status.WRONG_VIEW_FRONT)


class EventKind(StrEnum):
    """What an ``EngineEvent`` reports."""

    REP = "rep"  # a rep completed (``rep`` is set)
    PARTIAL = "partial"  # a rep started but did not reach the peak
    FAULT = "fault"  # a form rule was broken (``rule`` is set)
    HOLD_DONE = "hold_done"  # the hold target was reached
    RESET = "reset"  # the cycle in progress was abandoned (``detail`` is a ``ResetReason``)
    VIEW_NOTE = "view_note"  # faults this camera view cannot judge (``detail`` says which, once)


class ResetReason(StrEnum):
    """Why a cycle was abandoned; the engine branches on these, never on message text."""

    CAMERA_CUT = "camera cut"
    POSE_LOST = "pose lost"
    GAP = "gap in the pose"
    TOO_LONG = "rep took too long"
    TOO_SHORT = "too short to be a rep"
    REST = "rest between sets"


@dataclass(frozen=True, slots=True)
class Frame:
    """One image from a source: ``image`` is BGR uint8 (h, w, 3); ``t`` seconds from the start."""

    image: np.ndarray
    t: float
    index: int

    @property
    def size_wh(self) -> tuple[int, int]:
        h, w = self.image.shape[:2]
        return int(w), int(h)


@dataclass(frozen=True, slots=True)
class Pose:
    """33 landmarks of one person in one frame.

    - ``xy``: (33, 2) float pixels;
    - ``visibility``: (33,) in [0, 1];
    - ``world``: (33, 3) metres or None;
    - ``size_wh``: the frame size the pixels refer to;
    - ``n_people``: how many people the estimator saw in this frame (this pose is the one chosen).
    """

    xy: np.ndarray
    visibility: np.ndarray
    world: np.ndarray | None = None
    size_wh: tuple[int, int] = (640, 480)
    n_people: int = 1
    extra: dict = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.xy.shape != (N_LANDMARKS, 2):
            raise ValueError(f"Pose.xy must have shape ({N_LANDMARKS}, 2), got {self.xy.shape}")
        if self.visibility.shape != (N_LANDMARKS,):
            raise ValueError(
                f"Pose.visibility must have shape ({N_LANDMARKS},), got {self.visibility.shape}"
            )
        if self.world is not None and self.world.shape != (N_LANDMARKS, 3):
            raise ValueError(f"Pose.world must have shape ({N_LANDMARKS}, 3), got {self.world.shape}")
