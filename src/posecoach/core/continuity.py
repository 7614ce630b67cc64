"""The continuity guard: is this frame the same body, moving as a body can?

A video is not a continuous recording of one body.  Shots change, the tracker
jumps to another person or to garbage for a frame, joints vanish and come back.
Counting across such a discontinuity would splice half a rep from one shot
onto half a rep from another.  This module holds the one set of rules that
decides, for every frame, one ``Verdict``:

- ``ok``: carry on;
- ``drop``: a lone odd frame (a tracker glitch): ignore it;
- ``restart``: a real discontinuity: restart the rep cycle (count nothing across it);
- ``refilter``: the same body, but start smoothing afresh (the filter state is stale).

It is built from two pieces, each written once:

- **the jump test**: the whole body (the box around all landmarks) moved more
  than ``*_jump`` box diagonals or changed size more than ``*_scale``; the main
  angle moved more than ``max_angle_step`` degrees;
- **the confirm rule** (``Track``): a jump is a glitch unless the next frame
  agrees with the jumped value; then it was real (a cut, or fast movement).
  Frames more than ``max_dt`` apart are not compared at all; at a frame rate
  so low that consecutive frames are that far apart (a 20 fps clip read every
  second frame, a 10 fps webcam), the window widens to 1.5 frame intervals
  (the median of the last nine, once three are known), so the guard still
  compares consecutive frames and a gap of a frame or more is still a gap.

The guard looks twice per frame, because the second look needs the first's
outcome (the angles are measured on the smoothed pose):

1. ``check_body`` on the raw pose, before smoothing: a shot change (``scene_cut``)
   with the body gone, or a confirmed whole-body jump, restarts; a lone jump is
   dropped; a shot change with the body in place, or the needed joints becoming
   visible again, refilters;
2. ``check_angles`` on the main angle of each side counted: a lone spike is dropped;
   and after a shot change that left the body in place, a main angle that jumped
   (or cannot be compared) means the view changed: restart.

Both looks apply identically to one-sided and both-sided exercises (the angle
look once per side).  The guard owns all the state; the session only acts on
verdicts.

Kept as it was before the guard existed (the outputs depend on it): a restart
from the body look does not clear the angle tracks or a pending shot change, so
the first main angle after a cut is still compared with the last one before it
(a jump of more than ``max_angle_step`` there costs one dropped frame).
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Generic, TypeVar

import numpy as np

__all__ = ["Box", "ContinuityConfig", "ContinuityGuard", "Track", "Verdict", "body_box", "body_moved"]

_TINY = 1e-6  # a box smaller than this has no size to compare

V = TypeVar("V")


class Verdict(StrEnum):
    """What to do with a frame (or, from ``check_angles``, with one side's angle)."""

    OK = "ok"
    DROP = "drop"
    RESTART = "restart"
    REFILTER = "refilter"


@dataclass(frozen=True)
class ContinuityConfig:
    """Every threshold of the guard (the session's ``SessionConfig`` carries the same names)."""

    max_dt: float = 0.1  # only frames this close in time are compared
    # Landmark jumps: only clear ones count (the tracker itself jitters on hard frames).
    cut_jump: float = 0.5  # centre jump between frames, in body-box diagonals
    cut_scale: float = 1.8  # body size change between frames (ratio)
    # A shot change in the picture restarts the count only if the body moved with it...
    shot_jump: float = 0.12
    shot_scale: float = 1.15
    shot_angle: float = 12.0  # ...or if the main angle jumps more than this at the shot change,
    shot_max_dt: float = 0.3  # ...or the last main angle is older than this (nothing to compare)
    max_angle_step: float = 60.0  # degrees between consecutive frames; more is a glitch

    def __post_init__(self) -> None:
        # A body "in place" at a shot change must never be a jump too, or one frame
        # would need two verdicts.
        if self.shot_jump > self.cut_jump or self.shot_scale > self.cut_scale:
            raise ValueError("shot_jump/shot_scale must not exceed cut_jump/cut_scale")


@dataclass(frozen=True)
class Box:
    """The box around all landmarks: its centre and diagonal (a scale foreshortening barely changes)."""

    centre: np.ndarray
    size: float


def body_box(xy: np.ndarray) -> Box:
    lo = xy.min(axis=0)
    hi = xy.max(axis=0)
    return Box(0.5 * (lo + hi), float(np.linalg.norm(hi - lo)))


def body_moved(a: Box, b: Box, max_jump: float, max_scale: float) -> bool:
    """The jump test: did the body move more than ``max_jump`` diagonals or change size more than ``max_scale``?"""
    big = max(a.size, b.size)
    if big <= _TINY:
        return True
    jump = float(np.linalg.norm(b.centre - a.centre)) / big
    return not (jump <= max_jump and big / max(min(a.size, b.size), _TINY) <= max_scale)


class Step(StrEnum):
    """What ``Track.step`` made of a new value."""

    FIRST = "first"  # nothing recent to compare with: accepted
    STEADY = "steady"  # close to the last steady value: accepted
    GLITCH = "glitch"  # a jump, not (yet) confirmed: rejected, kept as the suspect
    CONFIRMED = "confirmed"  # a jump the previous (rejected) frame agrees with: accepted


class Track(Generic[V]):
    """The confirm-on-next-frame rule for one quantity.

    ``last`` is the last accepted value; a value that jumped from it (``moved``)
    is rejected and remembered as the suspect; the next value is accepted if it
    is close to the suspect (two frames agree on the new value: it was real).
    """

    def __init__(self, max_dt: float, moved: Callable[[V, V], bool]) -> None:
        self.max_dt = max_dt
        self.moved = moved
        self.last: tuple[float, V] | None = None
        self.suspect: tuple[float, V] | None = None

    def accept(self, t: float, value: V) -> None:
        self.last, self.suspect = (t, value), None

    def clear(self) -> None:
        self.last = self.suspect = None

    def recent(self, t: float, within: float) -> V | None:
        """The last accepted value, if it is at most ``within`` seconds old."""
        if self.last is None or t - self.last[0] > within:
            return None
        return self.last[1]

    def step(self, t: float, value: V) -> Step:
        last = self.recent(t, self.max_dt)
        if last is None:
            self.accept(t, value)
            return Step.FIRST
        if not self.moved(last, value):
            self.accept(t, value)
            return Step.STEADY
        s = self.suspect
        if s is not None and t - s[0] <= self.max_dt and not self.moved(s[1], value):
            self.accept(t, value)
            return Step.CONFIRMED
        self.suspect = (t, value)
        return Step.GLITCH


class ContinuityGuard:
    """One per session: the body track, one main-angle track per side, and the pending shot change."""

    def __init__(self, config: ContinuityConfig, sides: tuple[str, ...]) -> None:
        self.config = config
        cfg = config
        self._body: Track[Box] = Track(cfg.max_dt, lambda a, b: body_moved(a, b, cfg.cut_jump, cfg.cut_scale))
        self._angles: dict[str, Track[float]] = {
            side: Track(cfg.max_dt, lambda a, b: abs(b - a) > cfg.max_angle_step) for side in sides
        }
        self._shot_changed = False  # a shot change left the body in place: the angles must confirm it
        self._needed_hidden = False
        self._last_t: float | None = None
        self._intervals: deque[float] = deque(maxlen=9)

    def _follow_frame_rate(self, t: float) -> None:
        """Widen the comparison window to 1.5 frame intervals when frames come slower than ``max_dt``."""
        if self._last_t is not None and t > self._last_t:
            self._intervals.append(t - self._last_t)
        self._last_t = t
        if len(self._intervals) < 3:
            return  # too few to tell a slow stream from a gap
        window = max(self.config.max_dt, 1.5 * statistics.median(self._intervals))
        self._body.max_dt = window
        for track in self._angles.values():
            track.max_dt = window

    def check_body(self, t: float, xy: np.ndarray | None, *, scene_cut: bool = False,
                   needed_visible: bool = True) -> Verdict:
        """The raw pose's landmarks (``None``: no person), before smoothing.

        ``scene_cut``: the picture changed shot; ``needed_visible``: the joints the
        exercise needs are visible in this pose.
        """
        cfg = self.config
        self._follow_frame_rate(t)
        verdict = Verdict.OK
        box = body_box(xy) if xy is not None else None
        if scene_cut:
            ref = self._body.recent(t, self._body.max_dt)
            if box is not None and ref is not None and not body_moved(ref, box, cfg.shot_jump, cfg.shot_scale):
                # The body is where it was: graphics, or a fast movement filling the frame.
                # Still a cut if the main angle jumps (``check_angles``, on fresh values).
                self._shot_changed = True
                verdict = Verdict.REFILTER
            else:
                self._body.clear()  # a new shot: nothing to compare with
                verdict = Verdict.RESTART
        if box is None:
            return verdict
        step = self._step_body(t, box)
        if step is Step.GLITCH:
            return Verdict.DROP
        if step is Step.CONFIRMED:
            verdict = Verdict.RESTART
        if self._needed_hidden and needed_visible and verdict is Verdict.OK:
            # While hidden, the needed joints' positions are garbage and the filter chased
            # them; start smoothing afresh rather than lag that garbage into the angles.
            verdict = Verdict.REFILTER
        self._needed_hidden = not needed_visible
        return verdict

    def _step_body(self, t: float, box: Box) -> Step:
        if box.size <= _TINY:
            self._body.accept(t, box)  # no size to compare: take it as it is
            return Step.FIRST
        return self._body.step(t, box)

    def check_angles(self, t: float, mains: Mapping[str, float]) -> dict[str, Verdict]:
        """The main angle of each side whose frame is usable (NaN: not measured, not judged).

        Returns a verdict per side given: ``drop`` for a lone spike on that side;
        ``restart`` for every side when a pending shot change turns out to be a cut.
        """
        judged = {side: m for side, m in mains.items() if not math.isnan(m)}
        out = dict.fromkeys(mains, Verdict.OK)
        if not judged:
            return out
        shot, self._shot_changed = self._shot_changed, False
        if shot:
            changed = [self._view_changed(t, side, m) for side, m in judged.items()]
            if any(changed):
                return dict.fromkeys(mains, Verdict.RESTART)
            return out
        for side, m in judged.items():
            if self._angles[side].step(t, m) is Step.GLITCH:
                out[side] = Verdict.DROP
        return out

    def _view_changed(self, t: float, side: str, main: float) -> bool:
        """At a shot change with the body in place: did this side's main angle jump (or is there
        nothing recent to compare with)?  The new value becomes the reference either way."""
        track = self._angles[side]
        last = track.recent(t, self.config.shot_max_dt)
        track.accept(t, main)
        return last is None or not abs(main - last) <= self.config.shot_angle
