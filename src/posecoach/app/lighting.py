"""When to tell the patient about the light: only when it spoils the tracking.

A bright window behind someone whose plank is tracked fine, or a black title or end card of a
video with no one in it, is not a lighting problem worth a warning over the picture.  The
``LightingWatch`` keeps the last ``window_s`` seconds of frames and says the lighting line of
``posecoach.app.coaching.lighting_guidance`` only while the picture is badly lit AND fewer than
``usable_share`` of those frames could be judged for a reason light can cause (the landmarks
are not visible or jump about: ``SPOILED``); it goes away as soon as the tracking is fine again.
With no one in view it says nothing about light (the set-up guidance, "Step into the camera's
view", is what applies), nor when the person is seen well enough to be facing the wrong way.
Pure: no Qt, no camera.

On the real plank clip (a bright window, 239 mean grey) the old rule put "too bright" over
881 of the 987 frames judged (every second one); this one over none of them (the front-view shot gets "Turn side-on").
"""

from __future__ import annotations

from collections import deque

from posecoach.app.coaching import lighting_guidance

__all__ = ["SPOILED", "LightingWatch"]

#: the frame statuses bad light can cause (faint or jumping landmarks)
SPOILED = frozenset({"not_visible", "unsteady"})


class LightingWatch:
    """``update(t, brightness, status)`` per judged frame -> the lighting line to show, or ""."""

    def __init__(self, window_s: float = 2.0, usable_share: float = 0.5) -> None:
        self.window_s = window_s
        self.usable_share = usable_share
        self._frames: deque[tuple[float, bool]] = deque()

    def usable(self) -> float:
        """The share of the recent frames not spoiled as bad light spoils them (1.0 before any frame)."""
        if not self._frames:
            return 1.0
        return sum(ok for _, ok in self._frames) / len(self._frames)

    def update(self, t: float, brightness: float | None, status: str) -> str:
        self._frames.append((t, status not in SPOILED))
        while self._frames and (t - self._frames[0][0] > self.window_s or t < self._frames[0][0]):
            self._frames.popleft()  # (a time going back is a new video or a camera restart)
        if status not in SPOILED:
            return ""
        light = lighting_guidance(brightness)
        if not light or self.usable() >= self.usable_share:
            return ""
        return light
