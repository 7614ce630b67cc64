r"""The exercise engine: a rep/hold state machine (pure).

It sees one number per feature per frame (or nothing, when the pose is not
usable) and the frame's timestamp; it never looks at the wall clock.  Form
rules live in ``rules``, the relative baseline in ``baseline``; this module
decides when a rep starts, peaks, is held and ends.

States of the main feature ``x`` (measured from ``rest`` toward ``peak``, so
``x <= 0`` is at rest and ``x >= D`` has reached the peak):

    UNKNOWN --x<=0--> REST --x>h--> MOVING --x>=D--> PEAK --x<D-h--> RETURNING --x<=0--> REST (+1 rep)
                                       \--x<=0 (never reached D)--> REST (partial)

- A rep counts only on a full cycle rest -> peak -> rest that lasted at least
  ``min_duration_s``; noise around either threshold cannot count because
  leaving rest needs ``x > h`` and leaving the peak needs ``x < D - h``.
- ``UNKNOWN`` is the state after start, a camera cut, or a gap in the pose
  longer than ``max_gap_s``: nothing is counted until the person has been
  seen at rest, so a clip that opens mid-rep, or a cut into the middle of a
  rep, never adds a rep.
- Hold time accumulates in ``PEAK`` only while no ``always`` form fault is active.
- Every counted rep goes through ``_close`` (one place for the bookkeeping);
  ``Closing`` says how it ended: the return to rest seen, a held position
  left (hold mode), the return never seen (the stream or the shot ended
  after the rep had been held at its peak long enough), or (``rep.adapt``)
  a near miss counted once the person's own range showed it was a full rep.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from enum import Enum
from typing import NamedTuple

from posecoach.core.engine.baseline import RangeLearner, RelativeBaseline
from posecoach.core.engine.records import (
    EngineEvent,
    EventKind,
    Phase,
    RepRecord,
    ResetReason,
    Targets,
)
from posecoach.core.engine.rules import FormRules
from posecoach.core.exercise.schema import Exercise, RepCounting

__all__ = ["SHORT_OF_PEAK", "Closing", "ExerciseEngine", "hold_target", "times_holds"]

#: the first fault of an attempt that turned back before the peak (said as the exercise's partial cue)
SHORT_OF_PEAK = "short_of_peak"

# A rep in these phases, interrupted for these reasons, may go on after the interruption.
_INTERRUPTIBLE = frozenset({Phase.MOVING, Phase.PEAK, Phase.RETURNING})
_INTERRUPTIONS = frozenset({ResetReason.CAMERA_CUT})


class _Suspended(NamedTuple):
    """A rep interrupted by a camera cut, waiting for the next shot's first clear frames."""

    since: float  # the cut
    rep: RepRecord
    reach_t: float  # when it reached its peak (nan: not yet)
    counted: bool  # counted (its lowering unseen) if not seen at the peak again: held long enough before a cut
    why: ResetReason


class Closing(Enum):
    """How a rep ended; ``ExerciseEngine._close`` does the rest of the bookkeeping for all of them."""

    RETURNED = "returned"  # back to rest: judged on duration, moving rules and metrics
    HOLD_ENDED = "hold_ended"  # hold mode: the held position was left, or the shot/stream ended
    UNSEEN = "unseen"  # held long enough at the peak, but the return to rest was not seen
    LEARNED = "learned"  # rep.adapt: a near miss that reached this person's peak, once it was learned


_REP_DETAIL = {Closing.UNSEEN: "return not seen", Closing.LEARNED: "counted once this person's range was learned"}


def hold_target(exercise: Exercise, targets: Targets | None = None) -> float:
    """Seconds a rep's peak is to be held: the patient's target, else the exercise file's (0: none)."""
    t = targets.hold_s if targets is not None else None
    return t if t is not None else (exercise.hold.seconds if exercise.hold else 0.0)


def times_holds(exercise: Exercise, targets: Targets | None = None) -> bool:
    """Does the engine time holds: a hold exercise, or a hold target (``hold_target``)?"""
    return exercise.counting == "hold" or hold_target(exercise, targets) > 0


class ExerciseEngine:
    """Counts reps, times holds and judges form for one exercise (one side of the body).

    ``LOOKBACK_S``: how far back a person first seen on the way out of rest may have been at
    rest for the rep in progress to count (one frame interval of a 15 fps stream).

    ``side``: the side this engine counts (``left``/``right`` for exercises done
    on both sides, ``""`` otherwise); an exercise that follows the side nearer
    the camera passes that side to ``update`` instead, frame by frame.
    """

    LOOKBACK_S = 1 / 15
    STILL_WINDOW_S = 0.3  # the speed of the main value is measured over this long...
    STILL_S = 0.25  # ...and a hold is not still while it covers rest-to-peak faster than in this

    def __init__(
        self,
        exercise: Exercise,
        *,
        targets: Targets | None = None,
        side: str = "",
        max_gap_s: float = 0.75,
        max_hold_dt: float = 0.25,
    ) -> None:
        self.exercise = exercise
        rep: RepCounting = exercise.rep
        t = targets or Targets()
        # The thresholds as given (file or therapist's targets); ``_set_thresholds`` derives the rest.
        self._rest0 = t.rest if t.rest is not None else rep.rest
        self._peak0 = t.peak if t.peak is not None else rep.peak
        self._peak_given = t.peak is not None  # (a therapist's target: where a peak not reached was measured from)
        self._reversed = False  # rep.start: either, first seen at the peak end: rest and peak swapped
        self.rest = self.peak = self.sign = self.span = self.h = 0.0
        self._set_thresholds(self._rest0, self._peak0, rep.hysteresis)
        self.hold_target = hold_target(exercise, t)
        self.side = side
        self.max_gap_s = max_gap_s
        self.max_hold_dt = max_hold_dt
        self._hold_cue = exercise.hold.cue_done if exercise.hold else ""
        self.hold_mode = exercise.counting == "hold"
        self._times_hold = times_holds(exercise, t)
        self._rules = FormRules(exercise, judge_hold=self._times_hold, refs=t.rule_refs)
        self.relative = rep.relative
        self._baseline = RelativeBaseline(rep.baseline_s)
        self.adapt = rep.adapt
        self._learner = RangeLearner(rep.adapt_reps)
        self._near_misses: list[RepRecord] = []  # excursions short of the peak that may count once learned
        self._level = math.nan  # the rest level the rep in progress started from (adapt)
        self._unplaced: tuple[float, float] | None = None  # (t, x) of the last frame seen while UNKNOWN
        self._after_cut = False  # UNKNOWN since a camera cut (see _place)
        self.reps: list[RepRecord] = []
        self.partials: list[RepRecord] = []
        # The cycle in progress (see _reset_cycle).
        self._cur: RepRecord | None = None
        self._settled: bool = False
        self._unsettled_s: float = 0.0
        self._moving_values: list[dict[str, float]] = []
        self._moving_x: list[float] = []  # the main value (from rest) of each of those frames
        self._peak_values: list[dict[str, float]] = []
        self._peak_judged = False
        self._max_x = -math.inf
        self._rest_t = self._phase_t = self._reach_t = self._leave_t = math.nan
        self._reset_cycle()
        self.phase = Phase.UNKNOWN
        self._last_seen: float | None = None
        self._last_x = math.nan  # the main value, measured from rest, when last seen
        self._before_last: tuple[float, float] | None = None  # (t, x) of the frame seen before that
        self._last_t: float | None = None  # the last frame fed, seen or not
        self._intervals: deque[float] = deque(maxlen=9)  # between the last frames fed (see _frame_interval)
        self._recent: deque[tuple[float, float]] = deque()  # (t, x) over the last STILL_WINDOW_S
        self._frame_side = side
        # A held position seen on both sides of a camera cut is one rep (a press-up held
        # across cuts), never a new one; the hold time is kept per shot.
        self._carry_holds = exercise.hold is not None or self.hold_mode
        self._suspended: _Suspended | None = None
        self.carry_after_s = 2.0  # only a position already held this long is carried over a cut
        self.end_after_s = 1.0  # a stream that ends at the peak held this long ends a done rep
        self.resume_within_s = 2.0  # ...and only if the next shot shows it held this soon after the cut
        self.resume_grace_s = 0.25  # ...waiting out this long of the shot's first frames in between

    # -- public -----------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def count_met(self) -> int:
        """Reps that met their hold target (all of them without one)."""
        return sum(1 for r in self.reps if not r.short)

    @property
    def hold_s(self) -> float:
        """Hold time of the rep in progress (0 outside a rep)."""
        return self._cur.hold_s if self._cur is not None else 0.0

    @property
    def baseline(self) -> float:
        """The resting value the main feature is measured from (``rep.relative``)."""
        return self._baseline.value

    @property
    def fault_counts(self) -> dict[str, int]:
        return self._rules.fault_counts

    @property
    def rules(self) -> FormRules:
        """The form rules' state: the view they judge in, what they skipped, where limits came from."""
        return self._rules

    def set_view(self, view: str | None) -> None:
        """The camera view this frame (``front``/``side``/``oblique``; None: not known)."""
        self._rules.view = view

    def reset(self, t: float, why: ResetReason | str) -> list[EngineEvent]:
        """Abandon the cycle in progress (camera cut, person lost...).

        In hold mode a hold in progress is closed and kept (holds are timed per shot).
        In reps mode a rep held at its peak is suspended at a camera cut: if the first
        frames after the cut still show the peak, it resumes; otherwise it is counted
        with its return unseen.
        """
        why = ResetReason(why)
        events: list[EngineEvent] = []
        cur = self._cur
        if cur is not None and self._carry_holds and self.phase == Phase.PEAK and why is ResetReason.CAMERA_CUT \
                and t - self._reach_t >= self.carry_after_s:
            cur.hold_segments.append(cur.hold_s - sum(cur.hold_segments))
            self._suspended = _Suspended(t, cur, self._reach_t, True, why)
        elif cur is not None and self.hold_mode and self.phase in (Phase.PEAK, Phase.RETURNING):
            events += self._close(t, Closing.HOLD_ENDED, then=Phase.UNKNOWN)
        elif cur is not None and self._back_in_band():
            events += self._close(self._last_seen or t, Closing.RETURNED, then=Phase.UNKNOWN)
        elif cur is not None and self._held_enough(t):
            events += self._close(t, Closing.UNSEEN, then=Phase.UNKNOWN)
        elif cur is not None and not self.hold_mode and self.phase in _INTERRUPTIBLE and why in _INTERRUPTIONS:
            # A cut in the middle of a rep: if the next shot opens at its peak, the video cut to
            # another view of the same rep (see _resume); the reset is said then, if at all.
            self._suspended = _Suspended(t, cur, self._reach_t, False, why)
        elif cur is not None:
            events.append(EngineEvent(t, EventKind.RESET, detail=why))
        self._reset_cycle()
        self.phase = Phase.UNKNOWN
        self._unplaced = None
        # An edited video's next shot may open anywhere in a rep: no look-back after a cut.
        self._after_cut = why is ResetReason.CAMERA_CUT
        self._rules.clear_always()
        self._rules.forget_rest()
        self._baseline.clear()
        return events

    def update(self, t: float, values: dict[str, float] | None, side: str | None = None) -> list[EngineEvent]:
        """Feed one frame: feature values, or None when the pose is not usable.

        ``side``: the side seen this frame, for an exercise that follows the near
        side (a rep keeps the side it started on); ``None`` keeps the engine's own.
        """
        self._frame_side = self.side if side is None else side
        if self._last_t is not None and 0 < t - self._last_t <= self.max_gap_s:
            self._intervals.append(t - self._last_t)
        self._last_t = t
        main = None if values is None else values.get(self.exercise.rep.angle)
        if values is None or main is None or math.isnan(main):
            return self._reset_after_gap(t, ResetReason.POSE_LOST)
        events = self._reset_after_gap(t, ResetReason.GAP)
        raw = main
        if self.relative:
            main = self._baseline.relative(t, main, at_rest=self.phase in (Phase.UNKNOWN, Phase.REST),
                                           placed=self.phase != Phase.UNKNOWN, rest=self.rest)
        dt = 0.0 if self._last_seen is None else min(t - self._last_seen, self.max_hold_dt)
        seen_before = self._last_seen
        self._last_seen = t
        x = self.sign * (main - self.rest)
        self._before_last = None if seen_before is None or math.isnan(self._last_x) else (seen_before, self._last_x)
        self._last_x = x
        if self._times_hold:  # only a hold asks how still the value is
            self._recent.append((t, x))
            while self._recent and t - self._recent[0][0] > self.STILL_WINDOW_S:
                self._recent.popleft()
        limit = self.exercise.rep.peak_limit
        if limit is not None and self.sign * (raw - limit) < 0 and x >= self.span - self.h:
            x = self.span - self.h - 1e-9  # short of the absolute sanity limit: not at the peak
        self._track_rep(t, main, x, values)
        events += self._resume(t, x)
        if self._suspended is None:  # (a held rep waiting for the next shot's first clear frames)
            events += self._step(t, x, main, values, dt)
        if self.adapt and self.phase == Phase.REST:
            self._learner.at_rest(t, main)
        if self.phase == Phase.REST:
            self._rules.at_rest(t, values)
        if self._cur is not None:
            events += self._rules.judge_always(t, values, self._cur, at_peak=self.phase == Phase.PEAK)
        else:
            self._rules.clear_always()
        return events

    def flush(self, t: float) -> list[EngineEvent]:
        """The stream ended: close a hold in progress (hold mode), and count a rep that was
        held at its peak long enough (its lowering was not seen); other unfinished reps are not reps."""
        if self._suspended is not None:
            st, rep, reach_t, counted, why = self._suspended
            self._suspended = None
            if not counted:
                return [EngineEvent(st, EventKind.RESET, detail=why)]
            self._cur, self._reach_t = rep, reach_t
            return self._close(st, Closing.UNSEEN, then=Phase.UNKNOWN)
        if self.hold_mode and self._cur is not None and self.phase == Phase.PEAK:
            return self._close(t, Closing.HOLD_ENDED, then=Phase.UNKNOWN)
        if self._cur is not None and self._back_in_band():
            return self._close(self._last_seen or t, Closing.RETURNED, then=Phase.UNKNOWN)
        if self._cur is not None and self._held_enough(t, self.end_after_s):
            return self._close(t, Closing.UNSEEN, then=Phase.UNKNOWN)
        return []

    # -- the state machine ----------------------------------------------------
    def _reset_after_gap(self, t: float, why: ResetReason) -> list[EngineEvent]:
        """Abandon the cycle if the pose has certainly been missing longer than ``max_gap_s``.

        Frames are samples: the person may still have been there up to one frame interval
        after the last frame they were seen in, and (on the frame they are seen again) back
        up to one interval before it.  Only the part of the gap that is certain counts, so
        the same absence is judged alike at 30 frames a second and at 10 (where an odd
        frame that found the person mid-gap is less likely to be among those analysed)."""
        if self._last_seen is None or self.phase == Phase.UNKNOWN or t - self._last_seen <= self.max_gap_s:
            return []  # (the usual frame: no gap to judge, no interval to look up)
        unsure = (1 if why is ResetReason.POSE_LOST else 2) * self._frame_interval()
        if t - self._last_seen - unsure > self.max_gap_s:
            return self.reset(t, why)
        return []

    def _frame_interval(self) -> float:
        """The usual time between frames fed (median of the last few; 0 before two frames)."""
        return statistics.median(self._intervals) if self._intervals else 0.0

    def _track_rep(self, t: float, main: float, x: float, values: dict[str, float]) -> None:
        """Inside a rep: keep its frames and its extreme value."""
        cur = self._cur
        if cur is None:
            return
        self._moving_values.append(values)
        self._moving_x.append(x)
        better = (main - cur.peak_value) * self.sign > 0 if not math.isnan(cur.peak_value) else True
        if better:
            cur.peak_value, cur.peak_s = main, t
        self._max_x = max(self._max_x, x)

    def _resume(self, t: float, x: float) -> list[EngineEvent]:
        """First frames after a cut that suspended a rep: resume it, count it as done, or let it go.

        Seen at the peak within ``resume_within_s``: the same rep goes on, as a person watching
        counts it (an instructional video cuts to a close-up of the raised leg in the middle of
        the rep; the tracker lost the person for a moment in the app).  A whole unseen rep
        cannot fit in that time at a rehab tempo, and one that did is lost either way.
        Otherwise a rep already held long enough before the cut was done, its lowering unseen,
        and any other is abandoned: a shot that opens anywhere else in a rep counts nothing.
        A shot's first frames may still be the transition (a dissolve, a blurred frame): within
        ``resume_grace_s`` of the cut a frame between rest and the peak is waited out, and a rep
        still in progress at the cut is judged only on the frames after that."""
        if self.phase != Phase.UNKNOWN or self._suspended is None:
            return []
        st, rep, reach_t, counted, why = self._suspended
        if t - st <= self.resume_grace_s and (0 < x < self.span - self.h or not counted):
            return []  # (a rep in progress at the cut goes on only if the shot shows it after its transition)
        self._suspended = None
        if x >= self.span - self.h and t - st <= self.resume_within_s:
            self._cur, self._reach_t = rep, reach_t
            self._peak_judged = counted  # (a rep held before the cut was judged then)
            self._reach_peak(t)
            self._after_cut = False
            return []
        if not counted:
            return [EngineEvent(st, EventKind.RESET, detail=why)]
        self._cur, self._reach_t = rep, reach_t
        self._peak_judged = True
        # Not held after the cut: the rep was done before it; its lowering was not seen.
        return self._close(st, Closing.UNSEEN, then=Phase.UNKNOWN)

    def _step(self, t: float, x: float, main: float, values: dict[str, float], dt: float) -> list[EngineEvent]:
        """One transition of the state machine (see the module docstring)."""
        ph = self.phase
        if ph == Phase.UNKNOWN:
            return self._place(t, x, main, values)
        if ph == Phase.REST:
            if x <= 0:
                self._enter(Phase.REST, t)
            elif x > self.h:
                self._start(t, main, values, x)
                self.phase = Phase.MOVING
                if x >= self.span:
                    self._reach_peak(t)
        elif ph == Phase.MOVING:
            return self._from_moving(t, x)
        elif ph == Phase.PEAK:
            return self._from_peak(t, x, values, dt)
        elif ph == Phase.RETURNING:
            return self._from_returning(t, x)
        return []

    def _place(self, t: float, x: float, main: float, values: dict[str, float]) -> list[EngineEvent]:
        """UNKNOWN: find where in the cycle the person is, without ever counting half a rep.

        Placed at rest when seen at rest or within the hysteresis band of it (which the
        REST state itself treats as rest), or when the first frames seen move away from
        rest and were at rest ``LOOKBACK_S`` before the first of them (the speed between
        them, extrapolated back): at a low frame rate the one frame at rest before a rep
        is often not in the stream.  Not right after a camera cut: an edited video's next
        shot may open anywhere in a rep (a bridge already on its way up is not a rep).
        With ``rep.start: either`` the peak end may be rest, until this engine has counted a rep.
        """
        prev, self._unplaced = self._unplaced, (t, x)
        if self.hold_mode and x >= self.span:
            # A held position needs no rest before it: a clip or a shot that opens on
            # someone already in the plank times that hold from here.
            self._start(t, main, values, x)
            self._reach_peak(t)
        elif x <= self.h:
            self._enter(Phase.REST, t)
        elif self.exercise.rep.start == "either" and x >= self.span and not self.reps:
            # (once a rep was counted the orientation is this person's: at the other end after a
            # cut they are mid-rep, as for any exercise)
            self._flip()
            self._enter(Phase.REST, t)
        elif prev is not None and self._came_from_rest(prev, t, x):
            self._enter(Phase.REST, prev[0])  # the rep in progress started then
            self._start(t, main, values, x)
            self.phase = Phase.MOVING
            if x >= self.span:
                self._reach_peak(t)
        return []

    def _came_from_rest(self, prev: tuple[float, float], t: float, x: float) -> bool:
        """Two consecutive frames moving out of rest, at rest ``LOOKBACK_S`` before the first?"""
        if self._after_cut or x <= prev[1]:
            return False
        t0, x0 = prev
        if not 0 < t - t0 <= 2 * self.LOOKBACK_S:
            return False
        return x0 - (x - x0) / (t - t0) * self.LOOKBACK_S <= self.h

    def _from_moving(self, t: float, x: float) -> list[EngineEvent]:
        if x >= self.span:
            self._reach_peak(t)
        elif x <= 0:
            return self._partial(t)
        elif t - self._phase_t > self.exercise.rep.max_duration_s:
            return self.reset(t, ResetReason.TOO_LONG)
        return []

    def _from_peak(self, t: float, x: float, values: dict[str, float], dt: float) -> list[EngineEvent]:
        left = x < self.span - self.h
        if left and self.hold_mode:
            return self._close(t, Closing.HOLD_ENDED, then=Phase.REST if x <= 0 else Phase.UNKNOWN)
        if left:
            self.phase = Phase.RETURNING
            self._phase_t = t
            self._leave_t = t
            events = [] if self._peak_judged else self._judge_peak(t)
            if x <= 0:
                events += self._close(t, Closing.RETURNED, then=Phase.REST)
            return events
        self._peak_values.append(values)
        return self._time_hold(t, dt)

    def _from_returning(self, t: float, x: float) -> list[EngineEvent]:
        if x >= self.span:
            self.phase = Phase.PEAK
            self._phase_t = t
        elif x <= 0:
            return self._close(t, Closing.RETURNED, then=Phase.REST)
        elif t - self._phase_t > self.exercise.rep.max_duration_s:
            return self.reset(t, ResetReason.TOO_LONG)
        return []

    def _time_hold(self, t: float, dt: float) -> list[EngineEvent]:
        """At the peak: hold time counts only while form is right."""
        cur = self._cur
        if cur is None or not self._times_hold or self._rules.always_active:
            return []
        if self._moving_fast():
            # Still on the way up: not held yet.  Once held, a burst of movement is held only
            # if the position is kept after it (a jitter), not if the peak is left (the lowering).
            if self._settled:
                self._unsettled_s += dt
            return []
        self._settled = True
        dt, self._unsettled_s = dt + self._unsettled_s, 0.0
        before = cur.hold_s
        cur.hold_s += dt
        if self.hold_target > 0 and before < self.hold_target <= cur.hold_s:
            return [EngineEvent(t, EventKind.HOLD_DONE, rep=cur, detail=self._hold_cue)]
        return []

    def _moving_fast(self) -> bool:
        """Is the main value changing by more than the rest-to-peak distance per
        ``STILL_S`` (over the last ``STILL_WINDOW_S``)?  A hold is a position kept still: the
        frames past the peak threshold that are still rising to the top, or already lowering,
        are not held (a hand-timed hold starts when the position is reached)."""
        if len(self._recent) < 2:
            return False
        (t0, x0), (t1, x1) = self._recent[0], self._recent[-1]
        if t1 - t0 < 0.5 * self.STILL_WINDOW_S:
            return False
        return abs(x1 - x0) / (t1 - t0) > self.span / self.STILL_S

    def _enter(self, phase: Phase, t: float) -> None:
        self.phase = phase
        self._unplaced = None
        self._after_cut = False
        if phase == Phase.REST:
            self._rest_t = t  # a rep starts from the last frame seen at rest

    def _back_in_band(self) -> bool:
        """A rep on its way back that was within the hysteresis band of rest by ``LOOKBACK_S``
        after the last frame seen (at the speed of its last two frames): returned.

        Only asked when the stream is interrupted (a cut, its end).  The band is the engine's own
        tolerance for noise at the rest line (a person first seen in it is placed at rest), and
        at a low frame rate whether a frame falls between the return and the cut is chance: the
        look ahead is the look back of ``_came_from_rest`` at a rep's start, so a return seen at
        30 frames a second is seen at 10 too."""
        if self.hold_mode or self.phase != Phase.RETURNING or math.isnan(self._last_x) or self._last_seen is None:
            return False
        x = self._last_x
        if self._before_last is not None:
            t0, x0 = self._before_last
            if 0 < self._last_seen - t0 <= 2 * self.LOOKBACK_S:
                x += min(0.0, (x - x0) / (self._last_seen - t0)) * self.LOOKBACK_S
        return x <= self.h

    def _held_enough(self, t: float, after_s: float | None = None) -> bool:
        """A rep that reached its peak and stayed there ``after_s`` (``carry_after_s``) has been done."""
        return (
            not self.hold_mode
            and self._cur is not None
            and self.phase in (Phase.PEAK, Phase.RETURNING)
            and not math.isnan(self._reach_t)
            and t - self._reach_t >= (self.carry_after_s if after_s is None else after_s)
        )

    # -- thresholds: orientation and the person's range -------------------------
    def _set_thresholds(self, rest: float, peak: float, h_max: float) -> None:
        self.rest, self.peak = rest, peak
        self.sign = 1.0 if peak > rest else -1.0
        self.span = abs(peak - rest)
        self.h = min(h_max, self.span / 3)

    def _flip(self) -> None:
        """``rep.start: either``: first seen at the peak end, which becomes this session's rest.

        The thresholds go back to the given ones, swapped (what was learned belongs to
        the other orientation)."""
        self._reversed = not self._reversed
        rest, peak = (self._peak0, self._rest0) if self._reversed else (self._rest0, self._peak0)
        self._set_thresholds(rest, peak, self.exercise.rep.hysteresis)
        self._learner.clear()
        self._near_misses = []

    def _learn(self, t: float, cur: RepRecord, counted: bool) -> list[EngineEvent]:
        """``rep.adapt``: an excursion ended; learn from it and move the thresholds to this person's range."""
        if math.isnan(self._level) or math.isnan(cur.peak_value):
            return []
        floor = self._floor()
        if self.sign * (cur.peak_value - self._level) < floor:
            return []
        self._learner.add(self._level, cur.peak_value)
        if not counted:
            self._near_misses.append(cur)
        rng = self._learner.range
        if rng is None or rng[1] * self.sign <= 0:
            return []
        level, exc = rng
        rng_abs = abs(exc)
        base_rest, base_peak = (self._peak0, self._rest0) if self._reversed else (self._rest0, self._peak0)
        # Never stricter than the given peak, never smaller than the floor (the sanity limits).
        peak_d = max(floor, min(0.7 * rng_abs, self.sign * (base_peak - level)))
        rest_d = min(max(0.3 * rng_abs, self.sign * (base_rest - level)), 0.5 * peak_d)
        self._set_thresholds(level + self.sign * rest_d, level + self.sign * peak_d,
                             min(self.exercise.rep.hysteresis, 0.1 * rng_abs))
        return self._promote(t)

    def _floor(self) -> float:
        """The smallest excursion from the rest level that may be a rep (``rep.min_excursion``)."""
        return min(self.exercise.rep.excursion_floor, abs(self._peak0 - self._rest0))

    def _promote(self, t: float) -> list[EngineEvent]:
        """Near misses that reach the learned peak, and lasted long enough, were reps of this person."""
        events: list[EngineEvent] = []
        for rec in self._near_misses:
            if self.sign * (rec.peak_value - self.peak) >= 0 and rec.duration_s >= self.exercise.rep.min_duration_s:
                if rec in self.partials:
                    self.partials.remove(rec)
                events += self._close(t, Closing.LEARNED, then=self.phase, rec=rec)
        self._near_misses = []
        if events:
            self.reps.sort(key=lambda r: r.start_s)
            for i, r in enumerate(self.reps, 1):
                r.index = i
        return events

    # -- the cycle's record ---------------------------------------------------
    def _reset_cycle(self) -> None:
        """Forget the cycle in progress (its rep, frames and times)."""
        self._settled = False  # the hold has started (the position was kept still at the peak)
        self._unsettled_s = 0.0  # movement since, held only if the position is kept after it
        self._cur = None
        self._moving_values = []
        self._moving_x = []
        self._peak_values = []
        self._peak_judged = False
        self._max_x = -math.inf
        self._rest_t = math.nan
        self._phase_t = math.nan
        self._reach_t = math.nan
        self._leave_t = math.nan
        self._level = math.nan

    def _start(self, t: float, main: float, values: dict[str, float], x: float) -> None:
        start = self._rest_t if not math.isnan(self._rest_t) else t
        self._cur = RepRecord(index=len(self.reps) + 1, start_s=start, side=self._frame_side,
                              hold_target_s=self.hold_target)
        self._cur.peak_value, self._cur.peak_s = main, t
        self._moving_values = [values]
        self._moving_x = [x]
        self._peak_values = []
        self._peak_judged = False
        self._max_x = x
        self._phase_t = t
        self._rules.start_rep()
        level = self._learner.level() if self.adapt else None
        self._level = math.nan if level is None else level

    def _reach_peak(self, t: float) -> None:
        self.phase = Phase.PEAK
        self._phase_t = t
        if math.isnan(self._reach_t):
            self._reach_t = t

    def _close(self, t: float, how: Closing, *, then: Phase, rec: RepRecord | None = None) -> list[EngineEvent]:
        """End the rep in progress at ``t``: the one place a rep is counted (or rejected).

        A returned rep must have lasted ``min_duration_s`` and a hold must have been
        held that long; a rep whose return was not seen is counted as it stands.
        The engine then enters ``then``.  ``Closing.LEARNED`` counts ``rec``, a near miss
        already over (its frames are gone: no rules are judged), and leaves the cycle alone.
        """
        cur = self._cur if rec is None else rec
        events: list[EngineEvent] = []
        if cur is None:
            return events
        if how is not Closing.LEARNED:
            self._finish_times(cur, t, how)
            rest_of_hold = cur.hold_s - sum(cur.hold_segments)
            if cur.hold_segments and rest_of_hold > 1e-9:  # held across a cut: the last shot's time
                cur.hold_segments.append(rest_of_hold)
        min_s = self.exercise.rep.min_duration_s
        kept = {Closing.RETURNED: cur.duration_s >= min_s, Closing.HOLD_ENDED: cur.hold_s >= min_s,
                Closing.UNSEEN: True, Closing.LEARNED: True}[how]
        if kept:
            if how is not Closing.LEARNED:
                events += self._judge_closing(t, how, cur)
                # The side again over every frame at the peak: the first dip below it (where
                # the peak was judged) may have come a frame after reaching it.
                self._decide_side(self._peak_values)
            cur.counted = True
            self._rules.remember(cur)
            self.reps.append(cur)
            events.append(EngineEvent(t, EventKind.REP, rep=cur, detail=_REP_DETAIL.get(how, "")))
        elif how is Closing.RETURNED:
            events += self._too_fast(t, cur)
        if how is Closing.LEARNED:
            return events
        if self.adapt and kept and how is Closing.RETURNED:
            events += self._learn(t, cur, counted=True)
        self._reset_cycle()
        self._enter(then, t)
        return events

    def _finish_times(self, cur: RepRecord, t: float, how: Closing) -> None:
        """The rep's end, and its way out (``up_s``) and back (``down_s``)."""
        cur.end_s = t
        cur.up_s = self._reach_t - cur.start_s if not math.isnan(self._reach_t) else math.nan
        if how is Closing.RETURNED:
            cur.down_s = t - self._leave_t
        elif how is Closing.UNSEEN:
            cur.down_s = math.nan
            cur.return_seen = False
        if self._reversed:
            # Started at the peak end: the way out went toward the file's rest.
            cur.up_s, cur.down_s = cur.down_s, cur.up_s

    def _judge_closing(self, t: float, how: Closing, cur: RepRecord) -> list[EngineEvent]:
        """A kept rep's rules: the peak (if not judged yet), the moving phase, the metrics."""
        events = [] if self._peak_judged else self._judge_peak(t)
        if how is Closing.RETURNED:
            events += self._rules.judge_phase(t, "moving", self._moving_values, cur)
        if how is not Closing.UNSEEN:
            events += self._rules.judge_metrics(t, cur)
        return events

    @property
    def _judges_attempts(self) -> bool:
        """Are attempts that did not count judged for faults?  Not when the cycle started at the file's
        peak end (its "peak" rules would judge the rest), nor with both sides counted apart (the other
        limb's half movements follow the working one's and are no attempts)."""
        return not self._reversed and self.exercise.sides != "both"

    def _too_fast(self, t: float, cur: RepRecord) -> list[EngineEvent]:
        """A rest-peak-rest cycle shorter than ``min_duration_s``: not a rep.  If it was a real
        attempt (at least half that long, not a blip of noise) it is a partial attempt, judged
        like a rep, so a squat bobbed too fast to count still hears why ("slow down")."""
        events = [EngineEvent(t, EventKind.RESET, detail=ResetReason.TOO_SHORT)]
        if cur.duration_s < 0.5 * self.exercise.rep.min_duration_s or not self._judges_attempts:
            return events
        cur.counted = False
        cur.why = "too fast to count"
        if not self._peak_judged:
            events += self._judge_peak(t)
        events += self._rules.judge_phase(t, "moving", self._moving_values, cur)
        events += self._rules.judge_metrics(t, cur, partial=True)
        self.partials.append(cur)
        return events

    def _partial(self, t: float) -> list[EngineEvent]:
        """Back at rest without reaching the peak: a partial rep, if it was a real attempt."""
        cur = self._cur
        events: list[EngineEvent] = []
        # A partial must be a real attempt: half the range, and not a blip of noise.
        long_enough = cur is not None and t - cur.start_s >= 0.5 * self.exercise.rep.min_duration_s
        if cur is not None:
            cur.end_s = t
            cur.counted = False
        partial = cur is not None and long_enough and self._max_x >= 0.5 * self.span
        if partial and cur is not None:
            self.partials.append(cur)
            cur.why = "short of the peak"
            events += self._judge_attempt(t, cur)
        if self.adapt and cur is not None:
            events += self._learn(t, cur, counted=False)  # may count it after all
        if partial and cur is not None and not cur.counted:
            # The cue says how to reach the file's peak; from the other end it would be wrong.
            cue = "" if self._reversed else self.exercise.rep.partial_cue or ""
            events.insert(0, EngineEvent(t, EventKind.PARTIAL, rep=cur, detail=cue))
            if cue and self._judges_attempts:
                self._note_short(cur, cue)
        self._reset_cycle()
        self._enter(Phase.REST, t)
        return events

    def _note_short(self, cur: RepRecord, cue: str) -> None:
        """An attempt short of the peak lists that as its first fault (``SHORT_OF_PEAK``), with how far it
        went and the peak threshold it did not reach, so the per-rep output says why it did not count
        and what was said (the partial cue; the engine's fault tally keeps to the file's rules)."""
        learned = self.adapt and self._learner.range is not None
        cur.faults.insert(0, SHORT_OF_PEAK)
        cur.fault_details.insert(0, {
            "id": SHORT_OF_PEAK,
            "value": None if math.isnan(cur.peak_value) else round(float(cur.peak_value), 3),
            "limit": round(float(self.peak), 3),
            "limit_from": "earlier reps" if learned else ("reference" if self._peak_given else "textbook"),
            "cue": cue,
        })

    def _judge_attempt(self, t: float, cur: RepRecord) -> list[EngineEvent]:
        """A partial attempt's faults: the peak rules over its frames nearest its own extreme (within
        the hysteresis of it) and the moving rules over all its frames: a shallow squat with the
        knees caving in still hears about the knees."""
        if not self._judges_attempts:
            return []
        top = [v for v, x in zip(self._moving_values, self._moving_x) if x >= self._max_x - self.h]
        events = self._rules.judge_phase(t, "peak", top, cur)
        # (not its duration: an attempt that turned back half-way is quicker than a whole rep at the same pace)
        return events + self._rules.judge_phase(t, "moving", self._moving_values, cur)

    def _judge_peak(self, t: float) -> list[EngineEvent]:
        """Leaving the peak: decide the rep's side and judge the peak rules."""
        self._peak_judged = True
        frames = self._peak_values or self._moving_values[-1:]
        self._decide_side(frames)
        if self._reversed:
            return []  # started at the file's peak end (rep.start: either): this "peak" is its rest
        return self._rules.judge_phase(t, "peak", frames, self._cur)

    def _decide_side(self, frames: list[dict[str, float]]) -> None:
        """``rep.side_from``: the sign of a feature at the peak says which side the rep went to."""
        side_from = self.exercise.rep.side_from
        if side_from is None or self._cur is None:
            return
        key = f"{side_from}:side" if self.exercise.angles[side_from].pick else side_from  # (FeatureSet.values)
        vals = [v[key] for v in frames if not math.isnan(v.get(key, math.nan))]
        if vals:
            self._cur.side = "left" if statistics.median(vals) > 0 else "right"
