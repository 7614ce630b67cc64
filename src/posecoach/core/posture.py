"""Posture check at the laptop: head-forward and trunk lean from the landmarks a front camera sees.

The guidance's third pillar is posture: sitting for hours with the head pushed forward and the
trunk slumped is what a person with low back (and neck) pain is asked to notice and correct.
``PostureCoach`` watches a person seated at a laptop (the laptop's own camera: the person faces it,
often only head, shoulders and upper trunk are in the picture) and, frame by frame:

- measures **head forward**: how far the ears have moved forward of and down from the shoulders,
  in shoulder widths, compared with the person's own upright **baseline** (the median of the first
  ``calibration_s`` seconds in which they are seen; ``recalibrate`` takes it again).  In MediaPipe's
  world landmarks (metres, any camera angle) "forward" is the horizontal direction square to the
  shoulder line on the nose's side; without them, the head's drop and the nose's drop toward the
  ears' level in the picture;
- measures **lean**: the trunk's tilt from vertical (mid-hip to mid-shoulder) where the hips are
  seen, and the shoulder line's sideways tilt, both in degrees away from the baseline;
- gives the state ``good``, ``fair`` (past a ``warn`` limit) or ``poor`` (past a ``poor`` limit),
  on a short median so a single glitch changes nothing; ``calibrating`` before the baseline,
  ``away`` when head and shoulders are not seen;
- gives **one gentle reminder** when the posture was poor for ``poor_s`` seconds of the last
  ``window_s`` and is poor now, and then none for at least ``reminder_gap_min`` minutes (no nagging).

Every limit is data, in a file like the exercises (``posture/posture_check.yaml``), validated by
``PostureSettings`` with one-line errors naming the file, the field and what was expected
(``load_posture_settings``).  Measures are mirror-invariant: a mirrored camera (left and right
labels and x swapped) gives the same readings.  Pure: numpy and pydantic, no Qt, no camera.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from posecoach.core.landmarks import INDEX
from posecoach.core.types import Pose
from posecoach.errors import ExerciseError

__all__ = [
    "Limits",
    "PostureCoach",
    "PostureReading",
    "PostureSettings",
    "PostureState",
    "Segment",
    "load_posture_settings",
    "measure",
    "timeline",
]

_Pos = Annotated[float, Field(gt=0, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Limits(_Strict):
    """``warn`` and ``poor`` limits of one measure, away from the person's baseline."""

    warn: Annotated[float, Field(gt=0, le=90, allow_inf_nan=False)]
    poor: Annotated[float, Field(gt=0, le=90, allow_inf_nan=False)]

    @model_validator(mode="after")
    def _order(self) -> Limits:
        if self.poor <= self.warn:
            raise ValueError(f"'poor' ({self.poor:g}) must be greater than 'warn' ({self.warn:g})")
        return self


class PostureSettings(_Strict):
    """The posture check's limits and words (``posture/posture_check.yaml``)."""

    schema_version: Literal[1] = 1
    kind: Literal["posture"]
    id: str
    name: str
    calibration_s: Annotated[float, Field(ge=1, le=60, allow_inf_nan=False)] = 5.0
    smoothing_s: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 1.0
    window_s: Annotated[float, Field(ge=10, le=3600, allow_inf_nan=False)] = 120.0
    poor_s: Annotated[float, Field(ge=1, le=3600, allow_inf_nan=False)] = 60.0
    reminder_gap_min: Annotated[float, Field(ge=0, le=600, allow_inf_nan=False)] = 15.0
    min_visibility: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.5
    head_forward: Limits
    lean_deg: Limits
    tilt_deg: Limits
    reminder: str
    tips: list[str] = []
    description: str = ""

    @model_validator(mode="after")
    def _window(self) -> PostureSettings:
        if self.poor_s > self.window_s:
            raise ValueError(f"'poor_s' ({self.poor_s:g}) must not exceed 'window_s' ({self.window_s:g})")
        return self


def load_posture_settings(path: str | Path) -> PostureSettings:
    """The posture check's settings file, validated; ``ExerciseError`` (one line: file, field,
    what was expected) when it is not right.  Read like an exercise file (``safe_yaml``)."""
    from posecoach.core.exercise.loader import _describe, _error, _loc, _read_yaml

    path = Path(path)
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ExerciseError(f"{path}: expected a mapping of fields (kind, id, head_forward, ...), "
                            f"got {type(data).__name__}")
    try:
        return PostureSettings.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        more = f" (and {e.error_count() - 1} more problem(s))" if e.error_count() > 1 else ""
        where = f"{_loc(err['loc'])}: " if err["loc"] else ""
        raise _error(path, f"{where}{_describe(err)}{more}") from None


# --------------------------------------------------------------------------- measuring


@dataclass(frozen=True)
class Measures:
    """One frame's raw measures (before the baseline): NaN where not seen.

    ``ahead`` and ``height``: the ears' mid-point ahead of / above the shoulders' mid-point, in
    shoulder widths; ``trunk``: the trunk's tilt from vertical (degrees; NaN without the hips);
    ``tilt``: the shoulder line's tilt from horizontal (degrees, unsigned side)."""

    ahead: float
    height: float
    trunk: float
    tilt: float


def _mid(a: np.ndarray, i: str, j: str) -> np.ndarray:
    return (a[INDEX[i]] + a[INDEX[j]]) / 2


def _seen(pose: Pose, names: tuple[str, ...], min_vis: float) -> bool:
    return all(pose.visibility[INDEX[n]] >= min_vis for n in names)


_HEAD = ("left_shoulder", "right_shoulder")
_EARS = ("left_ear", "right_ear")


def measure(pose: Pose | None, min_visibility: float = 0.5) -> Measures | None:
    """The frame's measures, or None when the shoulders and at least one ear are not seen."""
    if pose is None or not _seen(pose, _HEAD, min_visibility):
        return None
    ears = [n for n in _EARS if pose.visibility[INDEX[n]] >= min_visibility]
    if not ears:
        return None
    hips = _seen(pose, ("left_hip", "right_hip"), min_visibility)
    if pose.world is not None:
        return _measure_world(pose.world, ears, hips)
    return _measure_image(pose.xy, ears, hips, pose.visibility[INDEX["nose"]] >= min_visibility)


def _ear(a: np.ndarray, ears: list[str]) -> np.ndarray:
    return np.mean([a[INDEX[n]] for n in ears], axis=0)


def _measure_world(w: np.ndarray, ears: list[str], hips: bool) -> Measures | None:
    """World landmarks: metres, y down; any camera angle."""
    ls, rs = w[INDEX["left_shoulder"]], w[INDEX["right_shoulder"]]
    sw = float(np.linalg.norm(ls - rs))
    if sw < 1e-6:
        return None
    sh = (ls + rs) / 2
    up = np.array([0.0, -1.0, 0.0])
    across = ls - rs
    fwd = np.cross(up, across)
    fwd[1] = 0.0
    n = float(np.linalg.norm(fwd))
    if n < 1e-6:
        return None
    fwd /= n
    ear = _ear(w, ears)
    if float(np.dot(w[INDEX["nose"]] - ear, fwd)) < 0:  # forward is where the face is
        fwd = -fwd
    head = ear - sh
    ahead = float(np.dot(head, fwd)) / sw
    height = float(np.dot(head, up)) / sw
    horiz = math.hypot(float(across[0]), float(across[2]))
    tilt = abs(math.degrees(math.atan2(float(across[1]), horiz)))
    trunk = math.nan
    if hips:
        t = sh - _mid(w, "left_hip", "right_hip")
        trunk = math.degrees(math.acos(float(np.clip(np.dot(t, up) / (np.linalg.norm(t) + 1e-12), -1, 1))))
    return Measures(ahead, height, trunk, tilt)


def _measure_image(xy: np.ndarray, ears: list[str], hips: bool, nose: bool) -> Measures | None:
    """Pixels only (no world landmarks): the head's drop and the tilts as the picture shows them.
    How far the head is ahead cannot be seen from the front; a head bent forward shows instead as
    the nose dropping toward the ears' level, which stands in for ``ahead`` (0 without the nose)."""
    ls, rs = xy[INDEX["left_shoulder"]], xy[INDEX["right_shoulder"]]
    sw = float(np.linalg.norm(ls - rs))
    if sw < 1e-6:
        return None
    sh = (ls + rs) / 2
    ear = _ear(xy, ears)
    height = float(sh[1] - ear[1]) / sw
    ahead = float(xy[INDEX["nose"]][1] - ear[1]) / sw if nose else 0.0
    d = ls - rs
    tilt = abs(math.degrees(math.atan2(abs(float(d[1])), abs(float(d[0])))))
    trunk = math.nan
    if hips:
        t = sh - _mid(xy, "left_hip", "right_hip")
        trunk = abs(math.degrees(math.atan2(float(t[0]), -float(t[1]))))
    return Measures(ahead, height, trunk, tilt)


# --------------------------------------------------------------------------- the coach


class PostureState(StrEnum):
    CALIBRATING = "calibrating"
    AWAY = "away"
    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"


@dataclass(frozen=True)
class PostureReading:
    """What the check says at one frame: the state, the measures away from the baseline (NaN
    where not measured: ``lean`` without the hips), the seconds poor in the window, and the
    reminder to show (None on nearly every frame)."""

    t: float
    state: PostureState
    head: float = math.nan
    lean: float = math.nan
    tilt: float = math.nan
    poor_s: float = 0.0
    reminder: str | None = None
    why: str = ""


_MAX_STEP_S = 1.0  # a gap in the frames counts at most this long (the camera stalled: not seen poor)


class PostureCoach:
    """Frame by frame posture readings and reminders (see the module docstring)."""

    def __init__(self, settings: PostureSettings) -> None:
        self.settings = settings
        self._calib: list[Measures] = []
        self._calib_t0: float | None = None
        self.baseline: Measures | None = None
        self._recent: deque[tuple[float, Measures]] = deque()
        self._poor: deque[tuple[float, float]] = deque()  # (t, seconds poor in the step ending at t)
        self._last_t: float | None = None
        self.last_reminder_t: float | None = None
        self.reminders: list[float] = []

    def recalibrate(self) -> None:
        """Take the upright baseline again from the next frames ("I am sitting upright now")."""
        self._calib, self._calib_t0, self.baseline = [], None, None
        self._recent.clear()

    def update(self, t: float, pose: Pose | None) -> PostureReading:
        s = self.settings
        dt = 0.0 if self._last_t is None else min(max(t - self._last_t, 0.0), _MAX_STEP_S)
        self._last_t = t
        m = measure(pose, s.min_visibility)
        if m is None:
            self._step_poor(t, 0.0)
            return PostureReading(t, PostureState.AWAY, poor_s=self.poor_seconds())
        if self.baseline is None:
            self._calibrate(t, m)
            self._step_poor(t, 0.0)
            return PostureReading(t, PostureState.CALIBRATING)
        self._recent.append((t, m))
        while self._recent and self._recent[0][0] < t - s.smoothing_s:
            self._recent.popleft()
        head, lean, tilt = self._away_from_baseline(_median(m for _, m in self._recent))
        state, why = self._judge(head, lean, tilt)
        self._step_poor(t, dt if state == PostureState.POOR else 0.0)
        poor = self.poor_seconds()
        reminder = None
        if state == PostureState.POOR and poor >= s.poor_s and self._may_remind(t):
            reminder = s.reminder
            self.last_reminder_t = t
            self.reminders.append(t)
        return PostureReading(t, state, head, lean, tilt, poor, reminder, why)

    # ------------------------------------------------------------------ parts

    def _calibrate(self, t: float, m: Measures) -> None:
        if self._calib_t0 is None:
            self._calib_t0 = t
        self._calib.append(m)
        if t - self._calib_t0 >= self.settings.calibration_s:
            self.baseline = _median(self._calib)
            self._calib = []

    def _away_from_baseline(self, m: Measures) -> tuple[float, float, float]:
        b = self.baseline
        assert b is not None
        # forward and down are both the head coming away from over the shoulders
        head = math.hypot(max(0.0, m.ahead - b.ahead), max(0.0, b.height - m.height))
        lean = abs(m.trunk - b.trunk) if not (math.isnan(m.trunk) or math.isnan(b.trunk)) else math.nan
        tilt = abs(m.tilt - b.tilt)
        return head, lean, tilt

    def _judge(self, head: float, lean: float, tilt: float) -> tuple[PostureState, str]:
        s = self.settings
        checks = (("head forward", head, s.head_forward), ("leaning", lean, s.lean_deg),
                  ("shoulders tilted", tilt, s.tilt_deg))
        poor = [name for name, v, lim in checks if not math.isnan(v) and v >= lim.poor]
        if poor:
            return PostureState.POOR, ", ".join(poor)
        fair = [name for name, v, lim in checks if not math.isnan(v) and v >= lim.warn]
        if fair:
            return PostureState.FAIR, ", ".join(fair)
        return PostureState.GOOD, ""

    def _step_poor(self, t: float, poor_dt: float) -> None:
        self._poor.append((t, poor_dt))
        while self._poor and self._poor[0][0] <= t - self.settings.window_s:
            self._poor.popleft()

    def poor_seconds(self) -> float:
        """Seconds judged poor within the last ``window_s``."""
        return float(sum(d for _, d in self._poor))

    def _may_remind(self, t: float) -> bool:
        last = self.last_reminder_t
        return last is None or t - last >= self.settings.reminder_gap_min * 60.0


def _median(ms: Iterable[Measures]) -> Measures:
    arr = np.array([[m.ahead, m.height, m.trunk, m.tilt] for m in ms], float)
    with np.errstate(all="ignore"):
        out = [float(np.nanmedian(col)) if not np.all(np.isnan(col)) else math.nan for col in arr.T]
    return Measures(*out)


# --------------------------------------------------------------------------- timeline


@dataclass(frozen=True)
class Segment:
    """A stretch of time in one state: its median measures, and the reminders given in it."""

    start_s: float
    end_s: float
    state: PostureState
    head: float
    lean: float
    tilt: float
    why: str
    reminders: tuple[float, ...] = ()

    def as_dict(self) -> dict[str, object]:
        def num(v: float, nd: int) -> float | None:
            return None if math.isnan(v) else round(v, nd)

        return {"start_s": round(self.start_s, 2), "end_s": round(self.end_s, 2), "state": str(self.state),
                "head_forward": num(self.head, 3), "lean_deg": num(self.lean, 1), "tilt_deg": num(self.tilt, 1),
                "why": self.why, "reminders_at_s": [round(t, 2) for t in self.reminders]}


def timeline(readings: Iterable[PostureReading], min_s: float = 1.0) -> list[Segment]:
    """The readings as segments of one state each.  A blip shorter than ``min_s`` between two
    stretches of the same state (a glance away, a moment across a limit) joins them, so the
    timeline reads as what a person would call the posture of those minutes; the measures of a
    segment are the medians of its own state's readings."""
    runs: list[list[PostureReading]] = []
    for r in readings:
        if runs and runs[-1][0].state == r.state:
            runs[-1].append(r)
        else:
            runs.append([r])
    merged: list[list[PostureReading]] = []
    for i, run in enumerate(runs):
        nxt = runs[i + 1] if i + 1 < len(runs) else None
        blip = (merged and run[-1].t - run[0].t < min_s and merged[-1][0].state != PostureState.CALIBRATING
                and (nxt is None or nxt[0].state == merged[-1][0].state))
        if merged and (blip or merged[-1][0].state == run[0].state):
            merged[-1].extend(run)
        else:
            merged.append(run)
    out: list[Segment] = []
    for i, run in enumerate(merged):
        end = merged[i + 1][0].t if i + 1 < len(merged) else run[-1].t
        state = run[0].state
        own = [r for r in run if r.state == state]

        def med(vals: list[float]) -> float:
            v = [x for x in vals if not math.isnan(x)]
            return float(np.median(v)) if v else math.nan

        whys = sorted({r.why for r in own if r.why})
        out.append(Segment(run[0].t, end, state, med([r.head for r in own]), med([r.lean for r in own]),
                           med([r.tilt for r in own]), "; ".join(whys),
                           tuple(r.t for r in run if r.reminder)))
    return out
