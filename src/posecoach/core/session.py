"""The session: the pure pipeline from poses to reps, faults and cues.

    pose (or None) -> continuity guard (body) -> smoothing -> side and view ->
    visibility gate -> angle features -> continuity guard (main angle) ->
    exercise engine(s) -> cue policy -> FrameResult

It knows nothing of cameras, Qt or speakers: the CLI and the GUI feed it
``(t, Pose | None)`` pairs and read back one ``FrameResult`` per frame.
Discontinuities (shot changes, tracker glitches, hidden joints coming back)
are judged by ``posecoach.core.continuity``; the session only acts on its
verdicts.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import numpy as np

from posecoach.core.continuity import ContinuityConfig, ContinuityGuard, Verdict
from posecoach.core.cues import Cue, CuePolicy
from posecoach.core.engine import (
    EngineEvent,
    EventKind,
    ExerciseEngine,
    Phase,
    RepRecord,
    ResetReason,
    Targets,
)
from posecoach.core.exercise.schema import Exercise
from posecoach.core.features import FeatureSet
from posecoach.core.landmarks import BEYOND, INDEX
from posecoach.core.smoothing import OneEuroFilter
from posecoach.core.timeline import MAX_HZ, MAX_POINTS, StatusSpans, downsample
from posecoach.core.types import Pose, Status

__all__ = ["GUIDANCE", "FrameResult", "Session", "SessionConfig", "Status"]

_LS, _RS, _LH, _RH = (INDEX[n] for n in ("left_shoulder", "right_shoulder", "left_hip", "right_hip"))
_TORSO = np.array([_LS, _RS, _LH, _RH])
_SIDE_L = np.array([INDEX[n] for n in ("left_shoulder", "left_hip", "left_knee", "left_ankle")])
_SIDE_R = np.array([INDEX[n] for n in ("right_shoulder", "right_hip", "right_knee", "right_ankle")])
_NEAR = "near"  # the engine key of an exercise done on one side (the side facing the camera)

# The near side's evidence and the view's yaw are averaged over time (exponentially, by these
# half-lives), not over a number of frames: what 0.1 and 0.2 a frame did at 30 frames a second.
SIDE_HALF_LIFE_S = math.log(0.5) / math.log(0.9) / 30  # 0.22 s
YAW_HALF_LIFE_S = math.log(0.5) / math.log(0.8) / 30  # 0.10 s


def _ema_weight(dt: float, half_life_s: float) -> float:
    """The weight of a new value in an exponential average, ``dt`` after the last one."""
    return 1.0 - 0.5 ** (max(dt, 0.0) / half_life_s)

GUIDANCE: dict[str, str] = {
    Status.NO_PERSON: "Step into the camera's view",
    Status.NOT_VISIBLE: "Move back so your whole body is visible",
    Status.UNSTEADY: "Make sure your whole body is in view and well lit",
    Status.WRONG_VIEW_SIDE: "Turn side-on to the camera",
    Status.WRONG_VIEW_FRONT: "Face the camera",
    Status.OK: "",
}


_POSTURE_WORDS = {"lying": "lying down", "all_fours": "on all fours", "upright": "upright"}


@dataclass(frozen=True)
class SessionConfig:
    min_visibility: float = 0.5
    smoothing: bool = True
    min_cutoff: float = 1.5
    beta: float = 8.0
    # Continuity (see ``ContinuityConfig`` for what each one means).
    cut_jump: float = 0.5
    cut_scale: float = 1.8
    cut_max_dt: float = 0.1
    shot_jump: float = 0.12
    shot_scale: float = 1.15
    shot_angle: float = 12.0
    shot_max_dt: float = 0.3
    max_angle_step: float = 60.0
    side_view_min_yaw: float = 40.0  # degrees the shoulder/hip line turns away from the image plane
    front_view_max_yaw: float = 50.0
    # ``view: oblique`` (angles measured in 3D): side-on or turned up to halfway toward the front.
    # Below this the sagittal plane is within 25 deg of the line of sight: a hip's flexion moves
    # mostly in depth, the axis MediaPipe's world landmarks measure worst.
    oblique_view_min_yaw: float = 25.0
    # Once a shot is judged in the right view, the yaw must cross the limit by this much more to
    # turn it wrong.  MediaPipe's yaw of a frame and of its mirror image differ by 2.3 deg
    # (median) and, per clip, 5.9 deg at the 90th percentile (middle half of 30 clips 4.4-10.1;
    # bench/results/yaw_mirror.md): the band covers that error for most clips.
    view_hysteresis: float = 8.0
    # The view form rules are judged in (``FormRule.views``): ``front`` up to this yaw, ``side`` from
    # the next, ``oblique`` in between.  A knee caving in moves across the picture from the front
    # (yaw 0) and along the line of sight from the side; at 30 deg most of it is still across.
    fault_front_max_yaw: float = 30.0
    fault_side_min_yaw: float = 60.0
    view_check: bool = True
    # The body part beyond a needed joint (``landmarks.BEYOND``: the foot beyond the ankle, the
    # head beyond the shoulder) may lie outside the picture by at most this share of the frame:
    # feet touching the bottom edge poke out 5-10 %; a close-up of the trunk puts MediaPipe's feet
    # and head 15-25 % outside while it still places the ankle and shoulder just inside the edge,
    # where they are guesses (bench/results/footage.md).
    beyond_frame_max: float = 0.10

    @property
    def continuity(self) -> ContinuityConfig:
        return ContinuityConfig(
            max_dt=self.cut_max_dt, cut_jump=self.cut_jump, cut_scale=self.cut_scale,
            shot_jump=self.shot_jump, shot_scale=self.shot_scale, shot_angle=self.shot_angle,
            shot_max_dt=self.shot_max_dt, max_angle_step=self.max_angle_step,
        )


@dataclass
class FrameResult:
    """What the session made of one frame.

    ``status`` says whether the frame could count (``guidance`` is what to tell the
    person when it could not); ``values`` are the main side's features; ``cut`` is
    True on the frame where the cycle restarted (a camera or shot change: nothing is
    counted across it).
    """

    t: float
    pose: Pose | None
    status: Status  # ok | no_person | not_visible | wrong_view_side | wrong_view_front | unsteady
    side: str
    values: dict[str, float]
    phase: Phase
    reps: int
    hold_s: float
    events: list[EngineEvent] = field(default_factory=list)
    cue: Cue | None = None
    cut: bool = False
    n_people: int = 0
    reps_met: int | None = None  # reps that met their hold target (None: the same as ``reps``)
    resting: bool = False  # the rest between sets: nothing was counted or timed on this frame

    @property
    def guidance(self) -> str:
        return GUIDANCE.get(self.status, "")


class Session:
    """One exercise session over a stream of poses."""

    def __init__(
        self,
        exercise: Exercise,
        *,
        config: SessionConfig | None = None,
        targets: Targets | None = None,
        cue_policy: CuePolicy | None = None,
        trace_keep_s: float | None = None,
    ) -> None:
        """``trace_keep_s``: keep only about the last that many seconds of ``trace_t`` /
        ``trace_main`` (at most twice that: trimmed in chunks), so a live session of any length
        holds a bounded trace; None keeps the whole trace (a video judged as a whole)."""
        self.exercise = exercise
        self.trace_keep_s = trace_keep_s
        self.config = config or SessionConfig()
        self.features = FeatureSet(exercise)
        sides = ("left", "right") if exercise.sides == "both" else (_NEAR,)
        self.engines: dict[str, ExerciseEngine] = {
            side: ExerciseEngine(exercise, targets=targets, side="" if side == _NEAR else side) for side in sides
        }
        # The single engine of a near-side exercise (the left one for both sides).
        self.engine = next(iter(self.engines.values()))
        self._flushed = False
        self.cues = cue_policy or CuePolicy(praise=tuple(exercise.praise))
        self._guard = ContinuityGuard(self.config.continuity, sides)
        self._filter_xy = OneEuroFilter(self.config.min_cutoff, self.config.beta)
        self._filter_world = OneEuroFilter(self.config.min_cutoff, self.config.beta)
        self._side_score = 0.0
        self._side = "left"
        self._side_known = False
        self._side_seen = False
        self._yaw: float | None = None
        self._yaw_now: float | None = None
        self._yaw_t = self._side_t = 0.0  # when the yaw and the side were last updated
        self._view_status: Status | None = None  # the view judged this frame (None: not judged)
        self._view_accepted = False  # the shot has been seen in the right view
        self._beyond: dict[bytes, np.ndarray] = {}  # needed joints -> the body parts beyond them
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
        self.events: list[EngineEvent] = []
        self.first_t: float | None = None
        self.last_t: float | None = None
        self.trace_t: list[float] = []
        self.trace_main: list[float] = []
        self.unjudged = StatusSpans()  # stretches whose frames could not count, and why
        self.cut_times: list[float] = []
        self._resting = False
        self.view_notes: list[str] = []  # said once each: faults the camera's view cannot judge
        self._fault_view: str | None = None  # the view the form rules judge in (see ``_judge_fault_view``)

    # -- the rest between sets -------------------------------------------------
    @property
    def resting(self) -> bool:
        return self._resting

    def rest(self, t: float) -> list[EngineEvent]:
        """The rest between sets begins: nothing is counted or timed until ``resume``.

        The caller keeps the set plan and its clock (``core.sets``); the engines drop the cycle in
        progress now (a hold is closed as it stands) and, after the rest, start again from not
        knowing where the person is, as after a gap: a plank still held when the rest ends is
        timed from then on, never over the rest."""
        if self._resting:
            return []
        self._resting = True
        events: list[EngineEvent] = []
        for eng in self.engines.values():
            events += eng.reset(t, ResetReason.REST)
        self.events += events
        return events

    def resume(self) -> None:
        """The rest is over: the engines count and time again from the next frame."""
        self._resting = False

    # -- the per-frame step --------------------------------------------------
    def process(self, t: float, pose: Pose | None, scene_cut: bool = False) -> FrameResult:
        """One frame.  ``scene_cut``: the picture itself changed shot (from ``SceneCutDetector``)."""
        n_people = self._count_frame(t, pose)
        events: list[EngineEvent] = []
        verdict = self._guard.check_body(
            t, None if pose is None else pose.xy, scene_cut=scene_cut, needed_visible=self._needed_visible(pose)
        )
        cut = self._follow(t, verdict, events)
        if verdict is Verdict.DROP:
            self.glitches += 1
            pose = None
        status, smoothed = Status.NO_PERSON, None
        side_values: dict[str, dict[str, float]] = {}
        if pose is not None:
            smoothed = self._prepare(t, pose)
            status, side_values, restarted = self._judge(t, smoothed, events)
            cut = cut or restarted
        self.unjudged.add(t, status)
        view = self._judge_fault_view()
        for key, eng in self.engines.items():
            if self._resting:
                break
            near = self._side if key == _NEAR and self._uses_sides else None
            eng.set_view(view)
            events += eng.update(t, side_values.get(key), side=near)
        events = self._note_views_once(events)
        if self.exercise.sides_together == "one":
            events = self._one_movement(events)
        self.events += events
        cue = self.cues.offer(t, self.cues.candidates(events, self.count_met))
        values = next(iter(side_values.values()), {})
        self.trace_t.append(t)
        self.trace_main.append(values.get(self.exercise.rep.angle, math.nan))
        keep = self.trace_keep_s
        if keep is not None and t - self.trace_t[0] > 2.0 * keep:
            self._trim_trace(t - keep)
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
            reps_met=self.count_met,
            resting=self._resting,
        )

    @property
    def view(self) -> str | None:
        """The camera's view of the person, for the form rules: ``front``, ``side`` or ``oblique``
        (None until the trunk has been seen in this shot)."""
        return self._fault_view

    def _judge_fault_view(self) -> str | None:
        """The view for the form rules this frame, from the yaw averaged over time.  Like the exercise's
        own view check, a view once taken is left only when the yaw crosses the boundary by
        ``view_hysteresis`` more: MediaPipe's yaw of a mirrored picture differs by a few degrees, and a
        front-on squat read at yaw 28-33 must not flip between front and oblique from rep to rep."""
        if self._yaw is None:
            self._fault_view = None
            return None
        cfg, cur, band = self.config, self._fault_view, self.config.view_hysteresis
        front_max = cfg.fault_front_max_yaw + (band if cur == "front" else -band if cur == "oblique" else 0.0)
        side_min = cfg.fault_side_min_yaw - (band if cur == "side" else -band if cur == "oblique" else 0.0)
        self._fault_view = "front" if self._yaw <= front_max else ("side" if self._yaw >= side_min else "oblique")
        return self._fault_view

    def _note_views_once(self, events: list[EngineEvent]) -> list[EngineEvent]:
        """Each engine notes a view it cannot judge some faults in; the session says each note once."""
        out = []
        for ev in events:
            if ev.kind == EventKind.VIEW_NOTE:
                if ev.detail in self.view_notes:
                    continue
                self.view_notes.append(ev.detail)
            out.append(ev)
        return out

    def _trim_trace(self, before: float) -> None:
        """Forget the trace before ``before`` (in one chunk: amortised O(1) per frame)."""
        k = bisect.bisect_left(self.trace_t, before)
        del self.trace_t[:k]
        del self.trace_main[:k]
        self.unjudged.forget(before)
        self.cut_times = [c for c in self.cut_times if c >= before]

    # -- steps ------------------------------------------------------------------
    def _one_movement(self, events: list[EngineEvent]) -> list[EngineEvent]:
        """``sides_together: one``: a rep (or hold) that both sides made at once is one.

        Each side's engine counts its own; when a rep closes that overlaps, for at least
        half of the shorter of the two, a rep the other side has already counted, it is the
        same movement (a forward fold over both legs): it is dropped, and the one counted
        first becomes side ``both``.  One side alone (a leg raised on its own) is unaffected.
        """
        out = []
        for ev in events:
            rec = ev.rep
            if ev.kind == EventKind.REP and rec is not None and rec.side in ("left", "right"):
                other = self.engines["right" if rec.side == "left" else "left"]
                twin = next((r for r in reversed(other.reps) if _shared(r, rec) >= 0.5), None)
                if twin is not None:
                    self.engines[rec.side].reps.remove(rec)
                    _merge_into(twin, rec)
                    continue
            out.append(ev)
        return out

    def _count_frame(self, t: float, pose: Pose | None) -> int:
        """Frame bookkeeping for the summary; returns how many people the estimator saw."""
        self.frames += 1
        if self.first_t is None:
            self.first_t = t
        self.last_t = t
        if pose is None:
            return 0
        self.frames_with_pose += 1
        if pose.n_people > 1:
            self.frames_multi += 1
        return pose.n_people

    def _needed_visible(self, pose: Pose | None) -> bool:
        """Are the joints the main angle needs visible (on the side currently followed)?"""
        if pose is None:
            return True
        return not self.features.min_visibility(pose, self._side) < self.config.min_visibility

    def _follow(self, t: float, verdict: Verdict, events: list[EngineEvent]) -> bool:
        """Act on a continuity verdict; True if the frame is a cut."""
        if verdict is Verdict.RESTART:
            self._restart(t, events)
            return True
        if verdict is Verdict.REFILTER:
            self._refilter()
        return False

    def _restart(self, t: float, events: list[EngineEvent]) -> None:
        """A discontinuity: count nothing across it, forget smoothing, side and view."""
        self.cuts += 1
        self.cut_times.append(t)
        for eng in self.engines.values():
            events += eng.reset(t, ResetReason.CAMERA_CUT)
        self._refilter()
        self._side_known = False
        self._yaw = None
        self._view_accepted = False

    def _refilter(self) -> None:
        """Start smoothing afresh: the filters' past belongs to another shot or to garbage."""
        self._filter_xy.reset()
        self._filter_world.reset()

    def _prepare(self, t: float, pose: Pose) -> Pose:
        """Smooth the pose and update what is judged from the whole body: the near side and the view."""
        smoothed = self._smooth(t, pose) if self.config.smoothing else pose
        self._track_side(t, smoothed)
        torso_visible = float(smoothed.visibility[_TORSO].min()) >= self.config.min_visibility
        self._yaw_now = self._view_yaw(t, smoothed) if torso_visible else None
        self._view_status = self._judge_view(self._yaw_now)
        return smoothed

    def _judge(
        self, t: float, pose: Pose, events: list[EngineEvent]
    ) -> tuple[Status, dict[str, dict[str, float]], bool]:
        """The frame's status, the feature values of each side that may count, and whether
        the cycle restarted (a shot change turned out to be a cut).

        The same for one engine (the near side) and two (left and right): the gate per
        side, then the continuity guard on each usable side's main angle.
        """
        gates = {key: self._gate_status(pose, self._side if key == _NEAR else key) for key in self.engines}
        status = Status.OK if Status.OK in gates.values() else next(iter(gates.values()))
        self._count_status(status)
        if status is not Status.OK:
            return status, {}, False
        cfg = self.config
        side_values = {
            key: self.features.values(pose, self._side if key == _NEAR else key, cfg.min_visibility)
            for key, st in gates.items() if st is Status.OK
        }
        side_values.update(self._hidden_at_rest(pose, gates))
        angle = self.exercise.rep.angle
        verdicts = self._guard.check_angles(t, {k: v.get(angle, math.nan) for k, v in side_values.items()})
        restarted = self._follow(t, Verdict.RESTART, events) if Verdict.RESTART in verdicts.values() else False
        for key, verdict in verdicts.items():
            if verdict is Verdict.DROP:
                self.glitches += 1
                del side_values[key]
        if not side_values:
            return Status.UNSTEADY, {}, restarted
        self.frames_usable += 1
        for key, st in gates.items():
            if st is not Status.OK and key in self.frames_side_hidden and key not in side_values:
                self.frames_side_hidden[key] += 1
        return Status.OK, side_values, restarted

    def _hidden_at_rest(self, pose: Pose, gates: dict[str, Status]) -> dict[str, dict[str, float]]:
        """The sides of a both-sided exercise whose limb is hidden but guessed at rest.

        From the side the far limb at rest is hidden behind the near one (a bird dog's far
        knee under the body reads visibility 0.1-0.3): its engine would never see it rest,
        so a rep that starts by lifting it into view could not count.  MediaPipe still
        places the hidden joints; where that guess reads as resting, the engine may learn
        that the limb is at rest, and nothing more: a guess never starts or holds a rep (a
        hidden limb's guess copies the visible one, which would count one movement on both
        sides).  Only the main feature is passed, so no form rule judges a guess.
        """
        if self.exercise.sides != "both" or self.exercise.rep.relative or Status.OK not in gates.values():
            return {}
        main = self.exercise.rep.angle
        out: dict[str, dict[str, float]] = {}
        for key, st in gates.items():
            if st is not Status.NOT_VISIBLE:
                continue
            eng = self.engines[key]
            v = self.features.values(pose, key).get(main, math.nan)
            if not math.isnan(v) and eng.sign * (v - eng.rest) <= 0:
                out[key] = dict.fromkeys(self.features.names, math.nan) | {main: v}
        return out

    def _smooth(self, t: float, pose: Pose) -> Pose:
        h = float(pose.size_wh[1]) or 1.0
        xy = self._filter_xy(pose.xy / h, t) * h
        world = self._filter_world(pose.world, t) if pose.world is not None else None
        return Pose(xy=xy, visibility=pose.visibility, world=world, size_wh=pose.size_wh, n_people=pose.n_people)

    def _track_side(self, t: float, pose: Pose) -> None:
        """Which side faces the camera: nearer in depth, and more visible (averaged over
        ``SIDE_HALF_LIFE_S``, in time, so that the side settles as fast at 10 frames a second as at 30)."""
        if not self._uses_sides:
            return
        score = float(pose.visibility[_SIDE_L].mean() - pose.visibility[_SIDE_R].mean())
        if pose.world is not None:
            # world z grows away from the camera: the near side has the smaller z.
            score += 4.0 * float(pose.world[_SIDE_R, 2].mean() - pose.world[_SIDE_L, 2].mean())
        if not self._side_known:
            # The very first side is the sign of the evidence, not a default: a person and
            # their mirror image start on opposite sides (after a cut the side seen before
            # stands until the evidence is clear).
            if not self._side_seen:
                self._side = "left" if score >= 0 else "right"
            self._side_score = score
            self._side_known = True
            self._side_seen = True
        else:
            self._side_score += _ema_weight(t - self._side_t, SIDE_HALF_LIFE_S) * (score - self._side_score)
        self._side_t = t
        if self._side_score > 0.05:
            self._side = "left"
        elif self._side_score < -0.05:
            self._side = "right"

    def _view_yaw(self, t: float, pose: Pose) -> float | None:
        """How far the trunk is turned from facing the camera (0) toward side-on (90), averaged
        over ``YAW_HALF_LIFE_S`` (in time: the view is accepted as soon at 10 frames a second as at 30)."""
        if pose.world is None:
            return None
        w = pose.world
        yaws = []
        for a, b in ((_LS, _RS), (_LH, _RH)):
            d = w[a] - w[b]
            yaws.append(math.degrees(math.atan2(abs(float(d[2])), abs(float(d[0])) + 1e-9)))
        y = (yaws[0] + yaws[1]) / 2.0
        self._yaw = y if self._yaw is None else self._yaw + _ema_weight(t - self._yaw_t, YAW_HALF_LIFE_S) * (y - self._yaw)
        self._yaw_t = t
        return self._yaw

    def _judge_view(self, yaw: float | None) -> Status | None:
        """The wrong view this frame, or None (right view, or not judged without the trunk).

        The view is the camera's set-up, which changes at a cut or when the person turns,
        not from frame to frame: once the shot is seen in the right view, the yaw has to
        cross the limit by ``view_hysteresis`` more to turn it wrong.  Without that an
        oblique camera near the limit (yaw 37-45, which the same footage mirrored reads a few
        degrees lower) drops frames in the middle of a rep and loses it.
        """
        cfg = self.config
        if not cfg.view_check or yaw is None:
            return None
        band = cfg.view_hysteresis if self._view_accepted else 0.0
        wrong: Status | None = None
        side_min = {"side": cfg.side_view_min_yaw, "oblique": cfg.oblique_view_min_yaw}.get(self.exercise.view)
        if side_min is not None and yaw < side_min - band:
            wrong = Status.WRONG_VIEW_SIDE
        elif self.exercise.view == "front" and yaw > cfg.front_view_max_yaw + band:
            wrong = Status.WRONG_VIEW_FRONT
        self._view_accepted = wrong is None
        return wrong

    def _count_status(self, status: Status) -> None:
        if status is Status.NOT_VISIBLE:
            self.frames_not_visible += 1
        elif status.wrong_view:
            self.frames_wrong_view += 1

    def _gate_status(self, pose: Pose, side: str) -> Status:
        """Can this frame count for ``side``: the right view, and the needed joints visible and in frame?"""
        cfg = self.config
        needed = self.features.needed_landmarks(side, pose)
        vis_ok = float(pose.visibility[needed].min()) >= cfg.min_visibility
        w, h = pose.size_wh
        pts = pose.xy[needed]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        inside = bool(lo[0] > -0.02 * w and hi[0] < 1.02 * w and lo[1] > -0.02 * h and hi[1] < 1.02 * h)
        inside = inside and self._body_goes_on_in_frame(pose, needed)
        # The view is judged (in ``_prepare``) from shoulders and hips, and only when they are
        # visible: hidden joints' positions are guesses (a hidden hip would otherwise read as
        # "turn side-on" to someone who is side-on).  With the trunk visible, a wrong
        # view is the reason to give even when the limbs are hidden too (a front view
        # of a plank hides the far leg behind the near one).
        if self._view_status is not None:
            return self._view_status
        if not (vis_ok and inside):
            return Status.NOT_VISIBLE
        return Status.OK

    def _body_goes_on_in_frame(self, pose: Pose, needed: np.ndarray) -> bool:
        """Is the body beyond each needed joint (the foot beyond the ankle...) near the picture?

        A close-up of the trunk still gets a whole skeleton from MediaPipe: the joints out of
        the picture are placed just inside its edge, with full visibility, and the foot and head
        beyond them well outside.  Such a joint is a guess, not a measurement; judged, it reads
        as movement that is not there (a pelvic tilt's close-up timed holds in the guess)."""
        key = needed.tobytes()
        beyond = self._beyond.get(key)
        if beyond is None:
            beyond = self._beyond[key] = np.array(
                sorted({b for i in needed.tolist() for b in BEYOND.get(i, ())}), dtype=np.intp)
        if beyond.size == 0:
            return True
        w, h = pose.size_wh
        m = self.config.beyond_frame_max
        pts = pose.xy[beyond]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        return bool(lo[0] >= -m * w and hi[0] <= (1 + m) * w and lo[1] >= -m * h and hi[1] <= (1 + m) * h)

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
                + ("the most prominent person was followed" if self.exercise.posture == "any"
                   else f"the person {_POSTURE_WORDS[self.exercise.posture]} was followed")
            )
        if self.frames_wrong_view / n > 0.1:
            want = {"side": "side-on", "oblique": "side-on or at an angle"}.get(self.exercise.view, "facing the camera")
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

    def timeline(self, *, max_points: int = MAX_POINTS, max_hz: float = MAX_HZ) -> dict:
        """The session's main angle over time, bounded for a stored result (``core.timeline``):
        ``t`` and ``angle`` (None where the frame gave no value), the stretches that could not be
        judged (``unjudged``: ``[start_s, end_s, status]``) and the cuts (``cut_times_s``)."""
        name = self.exercise.rep.angle
        degrees = self.exercise.angles[name].kind in ("joint", "inclination")
        t, v = downsample(self.trace_t, self.trace_main, max_points=max_points, max_hz=max_hz,
                          digits=1 if degrees else 4)
        return {
            "feature": name,
            "unit": "deg" if degrees else "body length",
            "t": t,
            "angle": v,
            "unjudged": self.unjudged.rounded(),
            "cut_times_s": [round(c, 2) for c in self.cut_times],
        }

    @property
    def count(self) -> int:
        """Reps so far: per side added up, or pairs of a left and a right rep."""
        counts = [e.count for e in self.engines.values()]
        if self.exercise.sides == "both" and self.exercise.count_per == "pair":
            return min(counts)
        return sum(counts)

    @property
    def count_met(self) -> int:
        """Reps that met their hold target (``count`` for an exercise without one): what a set is
        made of.  A hold of 6 s toward a 20 s target is a counted movement, not a done rep."""
        counts = [e.count_met for e in self.engines.values()]
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
        unjudged: dict[str, int] = {}
        for e in engines:
            for k, v in e.fault_counts.items():
                faults[k] = faults.get(k, 0) + v
            for k, v in e.rules.unjudged.items():
                unjudged[k] = unjudged.get(k, 0) + v
        out = {
            "exercise": self.exercise.id,
            "counting": self.exercise.counting,
            "reps": self.count,
            "reps_met": self.count_met,
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
            "fault_limits": self.engine.rules.limit_sources(),
            "faults_not_judged_in_view": dict(sorted(unjudged.items())),
            "view_notes": list(self.view_notes),
            "cues": [c.to_dict() for c in self.cues.said],
            "warnings": self.warnings(),
        }
        if self.exercise.sides == "both":
            out["reps_by_side"] = {side: eng.count for side, eng in self.engines.items()}
            together = sum(1 for r in reps if r.side == "both")
            if together:  # sides_together: one; kept by the side that counted it first
                out["reps_by_side"] = {
                    side: sum(1 for r in reps if r.side == side) for side in ("left", "right", "both")
                }
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


def _merge_into(first: RepRecord, later: RepRecord) -> None:
    """``later`` (one side's record of a movement both sides made at once) joins ``first``
    (the other side's, counted already): one movement, side ``both``, over the time either
    side saw it.  Both sides time the same hold, so it is the longer of the two: a side whose
    joints were hidden part of the way (and whose record closed then) timed only part of it."""
    first.side = "both"
    if later.hold_s > first.hold_s:
        first.hold_s, first.hold_segments = later.hold_s, list(later.hold_segments)
        first.peak_value, first.peak_s = later.peak_value, later.peak_s
        first.up_s, first.down_s, first.return_seen = later.up_s, later.down_s, later.return_seen
    first.start_s, first.end_s = min(first.start_s, later.start_s), max(first.end_s, later.end_s)
    first.faults += [f for f in later.faults if f not in first.faults]


def _shared(a: RepRecord, b: RepRecord) -> float:
    """The time two reps overlap, as a fraction of the shorter one."""
    shorter = min(a.end_s - a.start_s, b.end_s - b.start_s)
    both = min(a.end_s, b.end_s) - max(a.start_s, b.start_s)
    return both / shorter if shorter > 0 else 0.0
