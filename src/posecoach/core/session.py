"""The session: the pure pipeline from poses to reps, faults and cues.

    pose (or None) -> cut detection -> smoothing -> side and view -> visibility
    gate -> angle features -> exercise engine -> cue policy -> FrameResult

It knows nothing of cameras, Qt or speakers: the CLI and the GUI feed it
``(t, Pose | None)`` pairs and read back one ``FrameResult`` per frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from posecoach.core.cues import Cue, CuePolicy
from posecoach.core.engine import EngineEvent, ExerciseEngine, Phase, Targets
from posecoach.core.exercise.schema import Exercise
from posecoach.core.features import FeatureSet
from posecoach.core.landmarks import INDEX
from posecoach.core.smoothing import OneEuroFilter
from posecoach.core.types import Pose

__all__ = ["Session", "SessionConfig", "FrameResult", "GUIDANCE"]

_LS, _RS, _LH, _RH = (INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
_TORSO = np.array([_LS, _RS, _LH, _RH])
_SIDE_L = np.array([INDEX[n] for n in ("left_shoulder", "left_hip", "left_knee", "left_ankle")])
_SIDE_R = np.array([INDEX[n] for n in ("right_shoulder", "right_hip", "right_knee", "right_ankle")])

GUIDANCE = {
    "no_person": "Step into the camera's view",
    "not_visible": "Move back so your whole body is visible",
    "unsteady": "Make sure your whole body is in view and well lit",
    "wrong_view_side": "Turn side-on to the camera",
    "wrong_view_front": "Face the camera",
    "ok": "",
}


@dataclass(frozen=True)
class SessionConfig:
    min_visibility: float = 0.5
    smoothing: bool = True
    min_cutoff: float = 1.5
    beta: float = 8.0
    # Landmark jumps: only clear ones count (the tracker itself jitters on hard frames).
    cut_jump: float = 0.5  # centre jump between frames, in body-box diagonals
    cut_scale: float = 1.8  # body size change between frames (ratio)
    cut_max_dt: float = 0.1  # only consecutive frames are compared
    # A shot change in the picture restarts the count only if the body moved with it.
    shot_jump: float = 0.12
    shot_scale: float = 1.15
    shot_angle: float = 12.0  # ...or if the main angle jumps more than this at the shot change
    max_angle_step: float = 60.0  # degrees between consecutive frames; more is a glitch
    side_view_min_yaw: float = 40.0  # degrees the shoulder/hip line turns away from the image plane
    front_view_max_yaw: float = 50.0
    view_check: bool = True


@dataclass
class FrameResult:
    t: float
    pose: Pose | None
    status: str  # ok | no_person | not_visible | wrong_view
    side: str
    values: dict[str, float]
    phase: Phase
    reps: int
    hold_s: float
    events: list[EngineEvent] = field(default_factory=list)
    cue: Cue | None = None
    cut: bool = False
    n_people: int = 0

    @property
    def guidance(self) -> str:
        return GUIDANCE.get(self.status, "")


def _box(xy: np.ndarray) -> tuple[np.ndarray, float]:
    """Centre and diagonal of the box around all landmarks (a scale that foreshortening barely changes)."""
    lo = xy.min(axis=0)
    hi = xy.max(axis=0)
    return 0.5 * (lo + hi), float(np.linalg.norm(hi - lo))


class Session:
    """One exercise session over a stream of poses."""

    def __init__(
        self,
        exercise: Exercise,
        *,
        config: SessionConfig | None = None,
        targets: Targets | None = None,
        cue_policy: CuePolicy | None = None,
    ) -> None:
        self.exercise = exercise
        self.config = config or SessionConfig()
        self.features = FeatureSet(exercise)
        sides = ("left", "right") if exercise.sides == "both" else ("near",)
        self.engines: dict[str, ExerciseEngine] = {
            side: ExerciseEngine(exercise, targets=targets) for side in sides
        }
        for side, eng in self.engines.items():
            eng.side = "" if side == "near" else side
        # The single engine of a near-side exercise (the left one for both sides).
        self.engine = next(iter(self.engines.values()))
        self._flushed = False
        self.cues = cue_policy or CuePolicy(praise=tuple(exercise.praise))
        self._filter_xy = OneEuroFilter(self.config.min_cutoff, self.config.beta)
        self._filter_world = OneEuroFilter(self.config.min_cutoff, self.config.beta)
        self._prev: tuple[float, np.ndarray, float] | None = None  # t, centre, scale
        self._suspect: tuple[float, np.ndarray, float] | None = None
        self._side_score = 0.0
        self._side = "left"
        self._side_known = False
        self._yaw: float | None = None
        self._needed_hidden = False
        self._uses_sides = any(
            p.startswith(("near_", "far_")) for f in exercise.angles.values() for p in f.points
        )
        # bookkeeping for the summary
        self.frames = 0
        self.frames_with_pose = 0
        self.frames_usable = 0
        self.frames_wrong_view = 0
        self.frames_not_visible = 0
        self.frames_multi = 0
        self.cuts = 0
        self.glitches = 0
        self.frames_side_hidden = {"left": 0, "right": 0}
        self._last_main: tuple[float, float] | None = None
        self._main_suspect: float | None = None
        self._shot_changed_t: float | None = None
        self._yaw_now: float | None = None
        self.events: list[EngineEvent] = []
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.trace_t: list[float] = []
        self.trace_main: list[float] = []

    # -- the per-frame step --------------------------------------------------
    def process(self, t: float, pose: Pose | None, scene_cut: bool = False) -> FrameResult:
        """One frame.  ``scene_cut``: the picture itself changed shot (from ``SceneCutDetector``)."""
        self.frames += 1
        if self.first_t is None:
            self.first_t = t
        self.last_t = t
        cut = False
        events: list[EngineEvent] = []
        values: dict[str, float] = {}
        side_values: dict[str, dict[str, float]] = {}
        status = "no_person"
        n_people = 0
        smoothed: Pose | None = None
        if scene_cut:
            if self._body_continues(t, pose):
                # The body is where it was: graphics, or a fast movement filling the frame.
                # Still a cut if the main angle jumps (checked in _steady, on unsmoothed values).
                self._shot_changed_t = t
                self._filter_xy.reset()
                self._filter_world.reset()
            else:
                self._restart(t, events)
                self._prev = self._suspect = None
                cut = True
        if pose is not None:
            self.frames_with_pose += 1
            n_people = pose.n_people
            if pose.n_people > 1:
                self.frames_multi += 1
            jump = self._detect_cut(t, pose)
            if jump == "glitch":
                self.glitches += 1
                pose = None
            elif jump == "cut":
                cut = True
                self._restart(t, events)
        if pose is not None:
            hidden = self.features.min_visibility(pose, self._side) < self.config.min_visibility
            if self._needed_hidden and not hidden:
                # While hidden, the needed joints' positions are garbage and the filter chased
                # them; start smoothing afresh rather than lag that garbage into the angles.
                self._filter_xy.reset()
                self._filter_world.reset()
            self._needed_hidden = hidden
            smoothed = self._smooth(t, pose) if self.config.smoothing else pose
            self._track_side(smoothed)
            self._yaw_now = self._view_yaw(smoothed) if float(smoothed.visibility[_TORSO].min()) >= self.config.min_visibility else None
            if self.exercise.sides == "both":
                per_side = {side: self._gate(smoothed, side, count=False) for side in self.engines}
                status = "ok" if "ok" in per_side.values() else per_side["left"]
                self._count_status(status)
                for side, st in per_side.items():
                    if st == "ok":
                        side_values[side] = self.features.values(smoothed, side, self.config.min_visibility)
                if status == "ok":
                    self.frames_usable += 1
                    values = side_values.get("left") or side_values["right"]
                    for side, st in per_side.items():
                        if st != "ok":
                            self.frames_side_hidden[side] += 1
            else:
                status = self._gate(smoothed, self._side)
                if status == "ok":
                    values = self.features.values(smoothed, self._side, self.config.min_visibility)
                    status = self._steady(t, values, events)
                    if status == "ok":
                        self.frames_usable += 1
                        side_values["near"] = values
                    else:
                        values = {}
        if "near" in self.engines:
            self.engine.side = self._side if self._uses_sides else ""
        for side, eng in self.engines.items():
            events += eng.update(t, side_values.get(side))
        self.events += events
        cue = self.cues.offer(t, self.cues.candidates(events, self.count))
        main = values.get(self.exercise.rep.angle, math.nan)
        self.trace_t.append(t)
        self.trace_main.append(main)
        return FrameResult(
            t=t,
            pose=smoothed,
            status=status,
            side=self._side,
            values=values,
            phase=self.engine.phase,
            reps=self.count,
            hold_s=max(e.hold_s for e in self.engines.values()),
            events=events,
            cue=cue,
            cut=cut,
            n_people=n_people,
        )

    # -- steps ------------------------------------------------------------------
    def _body_continues(self, t: float, pose: Pose | None) -> bool:
        """True if ``pose`` is where the body was a moment ago (same place, same size)."""
        prev = self._prev
        if pose is None or prev is None or t - prev[0] > self.config.cut_max_dt:
            return False
        c1, s1 = _box(pose.xy)
        _, c0, s0 = prev
        big = max(s0, s1)
        if big <= 1e-6:
            return False
        return (
            float(np.linalg.norm(c1 - c0)) / big <= self.config.shot_jump
            and big / max(min(s0, s1), 1e-6) <= self.config.shot_scale
        )

    def _steady(self, t: float, values: dict[str, float], events: list[EngineEvent]) -> str:
        """Reject a main angle that jumps faster than a body can move (a tracker glitch).

        A lone jump is dropped as a glitch; a jump the next frame agrees with was real.
        After a shot change that left the body in place, a jump of the main angle means the
        view changed: the cycle restarts.
        """
        main = values.get(self.exercise.rep.angle, math.nan)
        if math.isnan(main):
            return "ok"
        last, self._last_main = self._last_main, (t, main)
        shot_t, self._shot_changed_t = self._shot_changed_t, None
        if shot_t is not None and (
            last is None or t - last[0] > 0.3 or abs(main - last[1]) > self.config.shot_angle
        ):
            self._main_suspect = None
            self._restart(t, events)
            return "ok"
        if last is None or t - last[0] > self.config.cut_max_dt:
            self._main_suspect = None
            return "ok"
        limit = self.config.max_angle_step
        if abs(main - last[1]) <= limit:
            self._main_suspect = None
            return "ok"
        suspect, self._main_suspect = self._main_suspect, main
        if suspect is not None and abs(main - suspect) <= limit:
            # Two frames agree on the new value: it was real (fast) movement.
            self._main_suspect = None
            return "ok"
        self._last_main = last  # keep comparing with the last steady value
        self.glitches += 1
        return "unsteady"

    def _restart(self, t: float, events: list[EngineEvent]) -> None:
        """A discontinuity: count nothing across it, forget smoothing, side and view."""
        self.cuts += 1
        for eng in self.engines.values():
            events += eng.reset(t, "camera cut")
        self._filter_xy.reset()
        self._filter_world.reset()
        self._side_known = False
        self._yaw = None

    def _detect_cut(self, t: float, pose: Pose) -> str:
        """``ok``, ``glitch`` (one odd frame: ignore it) or ``cut`` (the body jumped and stayed).

        A jump of the whole body between two close frames is not movement.  If
        the next frame agrees with the jumped one, it was a camera cut (or a
        switch to another person): the cycle restarts.  If not, the odd frame
        was a detection glitch and is treated as a frame without a pose.
        """
        box = _box(pose.xy)
        prev, suspect = self._prev, self._suspect
        if prev is None or t - prev[0] > self.config.cut_max_dt or box[1] <= 1e-6:
            self._prev, self._suspect = (t, *box), None
            return "ok"
        if self._consistent(prev, box):
            self._prev, self._suspect = (t, *box), None
            return "ok"
        if suspect is not None and t - suspect[0] <= self.config.cut_max_dt and self._consistent(suspect, box):
            self._prev, self._suspect = (t, *box), None
            return "cut"
        self._suspect = (t, *box)
        return "glitch"

    def _consistent(self, ref: tuple, box: tuple[np.ndarray, float]) -> bool:
        _, c0, s0 = ref
        c1, s1 = box
        big = max(s0, s1)
        jump = float(np.linalg.norm(c1 - c0)) / big
        return jump <= self.config.cut_jump and big / max(min(s0, s1), 1e-6) <= self.config.cut_scale

    def _smooth(self, t: float, pose: Pose) -> Pose:
        h = float(pose.size_wh[1]) or 1.0
        xy = self._filter_xy(pose.xy / h, t) * h
        world = self._filter_world(pose.world, t) if pose.world is not None else None
        return Pose(xy=xy, visibility=pose.visibility, world=world, size_wh=pose.size_wh, n_people=pose.n_people)

    def _track_side(self, pose: Pose) -> None:
        """Which side faces the camera: nearer in depth, and more visible."""
        if not self._uses_sides:
            return
        score = float(pose.visibility[_SIDE_L].mean() - pose.visibility[_SIDE_R].mean())
        if pose.world is not None:
            # world z grows away from the camera: the near side has the smaller z.
            score += 4.0 * float(pose.world[_SIDE_R, 2].mean() - pose.world[_SIDE_L, 2].mean())
        if not self._side_known:
            self._side_score = score
            self._side_known = True
        else:
            self._side_score += 0.1 * (score - self._side_score)
        if self._side_score > 0.05:
            self._side = "left"
        elif self._side_score < -0.05:
            self._side = "right"

    def _view_yaw(self, pose: Pose) -> float | None:
        if pose.world is None:
            return None
        w = pose.world
        yaws = []
        for a, b in ((_LS, _RS), (_LH, _RH)):
            d = w[a] - w[b]
            yaws.append(math.degrees(math.atan2(abs(float(d[2])), abs(float(d[0])) + 1e-9)))
        y = float(np.mean(yaws))
        self._yaw = y if self._yaw is None else self._yaw + 0.2 * (y - self._yaw)
        return self._yaw

    def _count_status(self, status: str) -> None:
        if status == "not_visible":
            self.frames_not_visible += 1
        elif status.startswith("wrong_view"):
            self.frames_wrong_view += 1

    def _gate(self, pose: Pose, side: str, count: bool = True) -> str:
        status = self._gate_status(pose, side)
        if count:
            self._count_status(status)
        return status

    def _gate_status(self, pose: Pose, side: str) -> str:
        cfg = self.config
        needed = self.features.needed_landmarks(side)
        vis_ok = float(pose.visibility[needed].min()) >= cfg.min_visibility
        w, h = pose.size_wh
        pts = pose.xy[needed]
        inside = bool(
            np.all(pts[:, 0] > -0.02 * w) and np.all(pts[:, 0] < 1.02 * w)
            and np.all(pts[:, 1] > -0.02 * h) and np.all(pts[:, 1] < 1.02 * h)
        )
        # The view is judged from shoulders and hips, and only when they are visible:
        # hidden joints' positions are guesses (a hidden hip would otherwise read as
        # "turn side-on" to someone who is side-on).  With the trunk visible, a wrong
        # view is the reason to give even when the limbs are hidden too (a front view
        # of a plank hides the far leg behind the near one).
        torso_visible = float(pose.visibility[_TORSO].min()) >= cfg.min_visibility
        yaw = self._yaw_now
        if cfg.view_check and yaw is not None and torso_visible:
            if self.exercise.view == "side" and yaw < cfg.side_view_min_yaw:
                return "wrong_view_side"
            if self.exercise.view == "front" and yaw > cfg.front_view_max_yaw:
                return "wrong_view_front"
        if not (vis_ok and inside):
            return "not_visible"
        return "ok"

    # -- results ------------------------------------------------------------
    @property
    def duration_s(self) -> float:
        if self.first_t is None or self.last_t is None:
            return 0.0
        return self.last_t - self.first_t

    def warnings(self) -> list[str]:
        out = []
        n = max(self.frames, 1)
        if self.frames_with_pose == 0:
            out.append("no person was found in the video: nothing could be counted")
            return out
        if self.frames_multi / n > 0.05:
            out.append(
                f"several people were in view in {100 * self.frames_multi / n:.0f}% of frames: "
                "the most prominent person was followed"
            )
        if self.frames_wrong_view / n > 0.1:
            want = "side-on" if self.exercise.view == "side" else "facing the camera"
            out.append(
                f"the camera did not see the person {want} in {100 * self.frames_wrong_view / n:.0f}% "
                f"of frames: reps there were not counted ({self.exercise.camera_setup.strip()})"
            )
        if self.frames_not_visible / n > 0.1:
            out.append(
                f"the joints this exercise needs were hidden or out of frame in "
                f"{100 * self.frames_not_visible / n:.0f}% of frames: reps there were not counted"
            )
        usable = max(self.frames_usable, 1)
        for side, hidden in self.frames_side_hidden.items():
            if self.exercise.sides == "both" and hidden / usable > 0.25:
                out.append(
                    f"the {side} side's joints were hidden in {100 * hidden / usable:.0f}% of the usable "
                    f"frames: {side} reps there were not counted"
                )
        if self.frames_usable / n < 0.2:
            out.append("too little of the video showed the exercise clearly: the count may be too low")
        return out

    @property
    def count(self) -> int:
        """Reps so far: per side added up, or pairs of a left and a right rep."""
        counts = [e.count for e in self.engines.values()]
        if self.exercise.sides == "both" and self.exercise.count_per == "pair":
            return min(counts)
        return sum(counts)

    def finish(self) -> list[EngineEvent]:
        """The stream ended: close holds in progress (hold exercises). Safe to call twice."""
        if self._flushed or self.last_t is None:
            return []
        self._flushed = True
        events: list[EngineEvent] = []
        for eng in self.engines.values():
            events += eng.flush(self.last_t)
        self.events += events
        return events

    def summary(self) -> dict:
        self.finish()
        engines = list(self.engines.values())
        reps = sorted((r for e in engines for r in e.reps), key=lambda r: r.start_s)
        partials = sorted((r for e in engines for r in e.partials), key=lambda r: r.start_s)
        details = []
        for i, r in enumerate(reps, 1):
            d = r.to_dict()
            d["index"] = i
            details.append(d)
        faults: dict[str, int] = {}
        for e in engines:
            for k, v in e.fault_counts.items():
                faults[k] = faults.get(k, 0) + v
        out = {
            "exercise": self.exercise.id,
            "counting": self.exercise.counting,
            "reps": self.count,
            "duration_s": round(self.duration_s, 3),
            "frames": self.frames,
            "frames_with_pose": self.frames_with_pose,
            "frames_usable": self.frames_usable,
            "frames_wrong_view": self.frames_wrong_view,
            "frames_several_people": self.frames_multi,
            "cuts": self.cuts,
            "glitches": self.glitches,
            "rep_details": details,
            "partial_reps": [r.to_dict() for r in partials],
            "hold_target_s": self.engine.hold_target,
            "faults": dict(sorted(faults.items())),
            "cues": [c.to_dict() for c in self.cues.said],
            "warnings": self.warnings(),
        }
        if self.exercise.sides == "both":
            out["reps_by_side"] = {side: eng.count for side, eng in self.engines.items()}
            out["count_per"] = self.exercise.count_per
        elif self.exercise.rep.side_from is not None:
            out["reps_by_side"] = {
                side: sum(1 for r in reps if r.side == side) for side in ("left", "right")
            }
        if self.exercise.counting == "hold":
            out["holds"] = [
                {"start_s": d["start_s"], "end_s": d["end_s"], "hold_s": d["hold_s"], "side": d["side"]} for d in details
            ]
            out["hold_total_s"] = round(sum(r.hold_s for r in reps), 3)
        return out
