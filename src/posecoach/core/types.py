"""Small frozen types passed between pipeline stages.

Coordinates: ``Pose.xy`` holds image-plane positions in **pixels** (x right,
y down) so that 2D angles are not distorted by the frame's aspect ratio.
``Pose.world`` holds MediaPipe world landmarks in metres (origin mid-hip,
y down), or is ``None`` when the source has none.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posecoach.core.landmarks import N_LANDMARKS

__all__ = ["Frame", "Pose"]


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
