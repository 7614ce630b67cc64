r"""The exercise engine: a rep/hold state machine with form rules (pure).

It sees one number per feature per frame (or nothing, when the pose is not
usable) and the frame's timestamp; it never looks at the wall clock.

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
"""

from __future__ import annotations

import enum
import math
import statistics
from collections import deque
from dataclasses import dataclass, field

from posecoach.core.exercise.schema import Exercise, FormRule, RepCounting

__all__ = ["Phase", "RepRecord", "EngineEvent", "ExerciseEngine", "Targets"]


class Phase(str, enum.Enum):
    UNKNOWN = "unknown"
    REST = "rest"
    MOVING = "moving"
    PEAK = "peak"
    RETURNING = "returning"


@dataclass
class RepRecord:
    """One completed (or partial) rep and what was measured in it."""

    index: int
    start_s: float
    end_s: float = math.nan
    peak_value: float = math.nan
    peak_s: float = math.nan
    up_s: float = math.nan
    down_s: float = math.nan
    hold_s: float = 0.0
    faults: list[str] = field(default_factory=list)
    side: str = ""
    counted: bool = True
    hold_segments: list[float] = field(default_factory=list)
    return_seen: bool = True

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict:
        r = lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else round(v, 3)  # noqa: E731
        return {
            "index": self.index,
            "start_s": r(self.start_s),
            "end_s": r(self.end_s),
            "duration_s": r(self.duration_s),
            "peak_angle": r(self.peak_value),
            "peak_s": r(self.peak_s),
            "up_s": r(self.up_s),
            "down_s": r(self.down_s),
            "hold_s": r(self.hold_s),
            "faults": list(self.faults),
            "side": self.side,
            "hold_segments_s": [round(h, 3) for h in self.hold_segments] if len(self.hold_segments) > 1 else [],
            "return_seen": self.return_seen,
        }


@dataclass(frozen=True)
class EngineEvent:
    """Something the engine noticed at time ``t``.

    kinds: ``rep`` (a rep completed; ``rep`` is set), ``partial`` (a rep
    started but did not reach the peak), ``fault`` (``rule`` is set),
    ``hold_done`` (the hold target was reached), ``reset`` (cycle abandoned:
    ``detail`` says why).
    """

    t: float
    kind: str
    rep: RepRecord | None = None
    rule: FormRule | None = None
    detail: str = ""


@dataclass(frozen=True)
class Targets:
    """Per-patient overrides of an exercise's counting thresholds and hold."""

    rest: float | None = None
    peak: float | None = None
    hold_s: float | None = None


class _RuleState:
    __slots__ = ("rule", "since", "active")

    def __init__(self, rule: FormRule) -> None:
        self.rule = rule
        self.since: float | None = None
        self.active = False


class ExerciseEngine:
    """Counts reps, times holds and judges form for one exercise."""

    def __init__(
        self,
        exercise: Exercise,
        *,
        targets: Targets | None = None,
        max_gap_s: float = 0.75,
        max_hold_dt: float = 0.25,
    ) -> None:
        self.exercise = exercise
        rep: RepCounting = exercise.rep
        t = targets or Targets()
        self.rest = t.rest if t.rest is not None else rep.rest
        self.peak = t.peak if t.peak is not None else rep.peak
        self.sign = 1.0 if self.peak > self.rest else -1.0
        self.span = abs(self.peak - self.rest)
        self.h = min(rep.hysteresis, self.span / 3)
        self.hold_target = t.hold_s if t.hold_s is not None else (exercise.hold.seconds if exercise.hold else 0.0)
        self.max_gap_s = max_gap_s
        self._hold_cue = exercise.hold.cue_done if exercise.hold else ""
        self.max_hold_dt = max_hold_dt
        self._phase_rules = [r for r in exercise.form_rules if r.angle is not None and r.phase != "always"]
        self._always = [_RuleState(r) for r in exercise.form_rules if r.phase == "always"]
        self._metric_rules = [r for r in exercise.form_rules if r.metric is not None]
        self.reps: list[RepRecord] = []
        self.partials: list[RepRecord] = []
        self.fault_counts: dict[str, int] = {}
        self.side = ""
        self._reset_cycle()
        self.phase = Phase.UNKNOWN
        self._last_seen: float | None = None
        self.relative = rep.relative
        self._base: deque[tuple[float, float]] = deque()
        self.baseline = 0.0
        self.hold_mode = exercise.counting == "hold"
        self._times_hold = self.hold_mode or self.hold_target > 0
        # A held position seen on both sides of a camera cut is one rep (a press-up held
        # across cuts), never a new one; the hold time is kept per shot.
        self._carry_holds = exercise.hold is not None or self.hold_mode
        self._suspended: tuple[float, RepRecord, float] | None = None  # (t, rep, reach_t)
        self.carry_after_s = 2.0  # only a position already held this long is carried over a cut

    # -- public -----------------------------------------------------------
    @property
    def count(self) -> int:
        return len(self.reps)

    @property
    def hold_s(self) -> float:
        """Hold time of the rep in progress (0 outside a rep)."""
        return self._cur.hold_s if self._cur is not None else 0.0

    def reset(self, t: float, why: str) -> list[EngineEvent]:
        """Abandon the cycle in progress (camera cut, person lost...).

        In hold mode a hold in progress is closed and kept (holds are timed per shot).
        In reps mode a rep held at its peak is suspended: if the first frames after the
        cut still show the peak, it resumes; otherwise it is dropped.
        """
        events = []
        cur = self._cur
        if cur is not None and self.hold_mode and self.phase in (Phase.PEAK, Phase.RETURNING):
            events += self._close_hold(t)
        elif (
            cur is not None and self._carry_holds and self.phase == Phase.PEAK and why == "camera cut"
            and t - self._reach_t >= self.carry_after_s
        ):
            cur.hold_segments.append(cur.hold_s - sum(cur.hold_segments))
            self._suspended = (t, cur, self._reach_t)
        elif cur is not None and self._held_enough(t):
            events += self._count_unseen_return(t)
        elif cur is not None:
            events.append(EngineEvent(t, "reset", detail=why))
        self._reset_cycle()
        self.phase = Phase.UNKNOWN
        for rs in self._always:
            rs.since, rs.active = None, False
        self._base.clear()
        return events

    def update(self, t: float, values: dict[str, float] | None) -> list[EngineEvent]:
        """Feed one frame: feature values, or None when the pose is not usable."""
        events: list[EngineEvent] = []
        main = None if values is None else values.get(self.exercise.rep.angle)
        if main is None or math.isnan(main):
            if self._last_seen is not None and t - self._last_seen > self.max_gap_s and self.phase != Phase.UNKNOWN:
                events += self.reset(t, "pose lost")
            return events
        if self._last_seen is not None and t - self._last_seen > self.max_gap_s and self.phase != Phase.UNKNOWN:
            events += self.reset(t, "gap in the pose")
        if self.relative:
            main = self._relative(t, main)
        dt = 0.0 if self._last_seen is None else min(t - self._last_seen, self.max_hold_dt)
        self._last_seen = t
        assert values is not None

        x = self.sign * (main - self.rest)
        D = self.span
        h = self.h
        cur = self._cur

        if cur is not None:
            self._moving_values.append(values)
            better = (main - cur.peak_value) * self.sign > 0 if not math.isnan(cur.peak_value) else True
            if better:
                cur.peak_value, cur.peak_s = main, t
            self._max_x = max(self._max_x, x)

        ph = self.phase
        if ph == Phase.UNKNOWN and self._suspended is not None:
            st, rep, reach_t = self._suspended
            self._suspended = None
            self._cur, self._reach_t, cur = rep, reach_t, rep
            self._peak_judged = True
            if x >= D - h and t - st <= 2.0:
                self.phase = ph = Phase.PEAK
                self._phase_t = t
            else:
                # Not held after the cut: the rep was done before it; its lowering was not seen.
                events += self._count_unseen_return(st)
                cur = None
        if ph == Phase.UNKNOWN and self.hold_mode and x >= D:
            # A held position needs no rest before it: a clip or a shot that opens on
            # someone already in the plank times that hold from here.
            self._start(t, main, values, x)
            self._reach_peak(t)
        elif ph == Phase.UNKNOWN:
            if x <= 0:
                self.phase = Phase.REST
                self._rest_t = t
        elif ph == Phase.REST:
            if x <= 0:
                self._rest_t = t
            elif x > h:
                self._start(t, main, values, x)
                self.phase = Phase.MOVING
                if x >= D:
                    self._reach_peak(t)
        elif ph == Phase.MOVING:
            if x >= D:
                self._reach_peak(t)
            elif x <= 0:
                events += self._partial(t)
            elif t - self._phase_t > self.exercise.rep.max_duration_s:
                events += self.reset(t, "rep took too long")
        elif ph == Phase.PEAK:
            if x < D - h and self.hold_mode:
                events += self._close_hold(t)
                self.phase = Phase.REST if x <= 0 else Phase.UNKNOWN
                if x <= 0:
                    self._rest_t = t
            elif x < D - h:
                self.phase = Phase.RETURNING
                self._phase_t = t
                self._leave_t = t
                if not self._peak_judged:
                    events += self._judge_peak(t)
                if x <= 0:
                    events += self._finish(t)
            else:
                self._peak_values.append(values)
                if self._times_hold and not any(rs.active for rs in self._always):
                    # hold time counts only while form is right
                    before = cur.hold_s
                    cur.hold_s += dt
                    if self.hold_target > 0 and before < self.hold_target <= cur.hold_s:
                        events.append(EngineEvent(t, "hold_done", rep=cur, detail=self._hold_cue))
        elif ph == Phase.RETURNING:
            if x >= D:
                self.phase = Phase.PEAK
                self._phase_t = t
            elif x <= 0:
                events += self._finish(t)
            elif t - self._phase_t > self.exercise.rep.max_duration_s:
                events += self.reset(t, "rep took too long")
        if self._cur is not None:
            events += self._always_rules(t, values)
        else:
            for rs in self._always:
                rs.since, rs.active = None, False
        return events

    def flush(self, t: float) -> list[EngineEvent]:
        """The stream ended: close a hold in progress (hold mode), and count a rep that was
        held at its peak long enough (its lowering was not seen); other unfinished reps are not reps."""
        if self._suspended is not None:
            st, rep, reach_t = self._suspended
            self._suspended = None
            self._cur, self._reach_t = rep, reach_t
            return self._count_unseen_return(st)
        if self.hold_mode and self._cur is not None and self.phase == Phase.PEAK:
            events = self._close_hold(t)
            self.phase = Phase.UNKNOWN
            return events
        if self._cur is not None and self._held_enough(t):
            return self._count_unseen_return(t)
        return []

    def _held_enough(self, t: float) -> bool:
        """A rep that reached its peak and stayed there ``carry_after_s`` has been done."""
        return (
            not self.hold_mode
            and self._cur is not None
            and self.phase in (Phase.PEAK, Phase.RETURNING)
            and not math.isnan(self._reach_t)
            and t - self._reach_t >= self.carry_after_s
        )

    def _count_unseen_return(self, t: float) -> list[EngineEvent]:
        """Count the current rep, ending at ``t``, though its return to rest was not seen."""
        cur = self._cur
        if cur is None:
            return []
        cur.end_s = t
        cur.up_s = self._reach_t - cur.start_s if not math.isnan(self._reach_t) else math.nan
        cur.down_s = math.nan
        cur.return_seen = False
        events: list[EngineEvent] = []
        if not self._peak_judged:
            events += self._judge_peak(t)
        self.reps.append(cur)
        events.append(EngineEvent(t, "rep", rep=cur, detail="return not seen"))
        self._reset_cycle()
        self.phase = Phase.UNKNOWN
        return events

    # -- internals --------------------------------------------------------
    def _close_hold(self, t: float) -> list[EngineEvent]:
        """Hold mode: the position was left (or the shot ended); keep the hold if long enough."""
        cur = self._cur
        events: list[EngineEvent] = []
        if cur is None:
            return events
        cur.end_s = t
        cur.up_s = self._reach_t - cur.start_s if not math.isnan(self._reach_t) else math.nan
        if cur.hold_s >= self.exercise.rep.min_duration_s:
            if not self._peak_judged:
                events += self._judge_peak(t)
            events += self._judge_metrics(t, cur)
            self.reps.append(cur)
            events.append(EngineEvent(t, "rep", rep=cur))
        self._reset_cycle()
        return events

    def _relative(self, t: float, main: float) -> float:
        """Express ``main`` relative to the person's own resting value."""
        if self.phase in (Phase.UNKNOWN, Phase.REST) or not self._base:
            self._base.append((t, main))
            while self._base and t - self._base[0][0] > self.exercise.rep.baseline_s:
                self._base.popleft()
            self.baseline = statistics.median(v for _, v in self._base)
            if self.phase == Phase.UNKNOWN:
                # at rest by definition once the baseline is known
                return self.rest
        return main - self.baseline
    def _reset_cycle(self) -> None:
        self._cur: RepRecord | None = None
        self._moving_values: list[dict[str, float]] = []
        self._peak_values: list[dict[str, float]] = []
        self._peak_judged = False
        self._max_x = -math.inf
        self._rest_t = math.nan
        self._phase_t = math.nan
        self._reach_t = math.nan
        self._leave_t = math.nan

    def _start(self, t: float, main: float, values: dict[str, float], x: float) -> None:
        start = self._rest_t if not math.isnan(self._rest_t) else t
        self._cur = RepRecord(index=len(self.reps) + 1, start_s=start, side=self.side)
        self._cur.peak_value, self._cur.peak_s = main, t
        self._moving_values = [values]
        self._peak_values = []
        self._peak_judged = False
        self._max_x = x
        self._phase_t = t

    def _reach_peak(self, t: float) -> None:
        self.phase = Phase.PEAK
        self._phase_t = t
        if math.isnan(self._reach_t):
            self._reach_t = t

    def _partial(self, t: float) -> list[EngineEvent]:
        cur = self._cur
        events: list[EngineEvent] = []
        # A partial must be a real attempt: half the range, and not a blip of noise.
        long_enough = cur is not None and t - cur.start_s >= 0.5 * self.exercise.rep.min_duration_s
        if cur is not None and long_enough and self._max_x >= 0.5 * self.span:
            cur.end_s = t
            cur.counted = False
            self.partials.append(cur)
            events.append(EngineEvent(t, "partial", rep=cur, detail=self.exercise.rep.partial_cue or ""))
        self._reset_cycle()
        self.phase = Phase.REST
        self._rest_t = t
        return events

    def _stat(self, rule: FormRule, frames: list[dict[str, float]]) -> float:
        vals = [v[rule.angle] for v in frames if rule.angle in v and not math.isnan(v[rule.angle])]
        if not vals:
            return math.nan
        return {"min": min, "max": max, "median": statistics.median, "mean": statistics.fmean}[rule.stat](vals)

    def _fault(self, t: float, rule: FormRule) -> EngineEvent:
        self.fault_counts[rule.id] = self.fault_counts.get(rule.id, 0) + 1
        if self._cur is not None and rule.id not in self._cur.faults:
            self._cur.faults.append(rule.id)
        return EngineEvent(t, "fault", rep=self._cur, rule=rule)

    def _judge_peak(self, t: float) -> list[EngineEvent]:
        self._peak_judged = True
        events = []
        frames = self._peak_values or self._moving_values[-1:]
        side_from = self.exercise.rep.side_from
        if side_from is not None and self._cur is not None:
            vals = [v[side_from] for v in frames if not math.isnan(v.get(side_from, math.nan))]
            if vals:
                self._cur.side = "left" if statistics.median(vals) > 0 else "right"
        for rule in self._phase_rules:
            if rule.phase == "peak":
                v = self._stat(rule, frames)
                if not math.isnan(v) and rule.violated(v):
                    events.append(self._fault(t, rule))
        return events

    def _finish(self, t: float) -> list[EngineEvent]:
        cur = self._cur
        assert cur is not None
        events: list[EngineEvent] = []
        cur.end_s = t
        cur.up_s = self._reach_t - cur.start_s
        cur.down_s = t - self._leave_t
        if cur.duration_s < self.exercise.rep.min_duration_s:
            self._reset_cycle()
            self.phase = Phase.REST
            self._rest_t = t
            return [EngineEvent(t, "reset", detail="too short to be a rep")]
        for rule in self._phase_rules:
            if rule.phase == "moving":
                v = self._stat(rule, self._moving_values)
                if not math.isnan(v) and rule.violated(v):
                    events.append(self._fault(t, rule))
        events += self._judge_metrics(t, cur)
        self.reps.append(cur)
        events.append(EngineEvent(t, "rep", rep=cur))
        self._reset_cycle()
        self.phase = Phase.REST
        self._rest_t = t
        return events

    def _judge_metrics(self, t: float, cur: RepRecord) -> list[EngineEvent]:
        metrics = {
            "duration_s": cur.duration_s,
            "up_s": cur.up_s,
            "down_s": cur.down_s,
            "hold_s": cur.hold_s,
            "peak": cur.peak_value,
        }
        events = []
        for rule in self._metric_rules:
            v = metrics[rule.metric]
            if rule.metric == "hold_s" and self.hold_target <= 0 and not self.hold_mode:
                continue
            if v is not None and not math.isnan(v) and rule.violated(v):
                events.append(self._fault(t, rule))
        return events

    def _always_rules(self, t: float, values: dict[str, float]) -> list[EngineEvent]:
        events = []
        for rs in self._always:
            v = values.get(rs.rule.angle, math.nan)
            bad = not math.isnan(v) and rs.rule.violated(v)
            if not bad:
                rs.since, rs.active = None, False
                continue
            if rs.since is None:
                rs.since = t
            if not rs.active and t - rs.since >= rs.rule.persist_s:
                rs.active = True
                events.append(self._fault(t, rs.rule))
        return events
