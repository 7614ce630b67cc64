"""Form rules: judging a rep's frames and metrics against the exercise's rules.

Three kinds of rule (``FormRule.phase`` / ``metric``):

- ``peak`` / ``moving``: a statistic of one feature over the frames of that
  phase of a rep, judged once when the phase ends;
- ``always``: every frame inside a rep; raised once the fault has persisted
  ``persist_s``, and while it is active the hold clock stops;
- ``metric``: a measurement of the whole rep (duration, up/down time, hold, peak).

The counter decides *when* to judge; this module only says *what* is violated
and keeps the fault tally, so a rule change never touches the state machine.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence

from posecoach.core.engine.records import EngineEvent, EventKind, RepRecord
from posecoach.core.exercise.schema import Exercise, FormRule

__all__ = ["FormRules", "Frames"]

Frames = Sequence[dict[str, float]]

_STATS: dict[str, Callable[[list[float]], float]] = {
    "min": min, "max": max, "median": statistics.median, "mean": statistics.fmean,
}


class _RuleState:
    """An ``always`` rule's persistence: since when it has been broken, and whether it was raised."""

    __slots__ = ("active", "rule", "since")

    def __init__(self, rule: FormRule) -> None:
        self.rule = rule
        self.since: float | None = None
        self.active = False


class FormRules:
    """The form rules of one exercise, and how often each was broken."""

    def __init__(self, exercise: Exercise, *, judge_hold: bool) -> None:
        """``judge_hold``: whether ``hold_s`` metric rules apply (only when holds are timed)."""
        self._phase_rules = [r for r in exercise.form_rules if r.angle is not None and r.phase != "always"]
        self._always = [_RuleState(r) for r in exercise.form_rules if r.phase == "always"]
        self._metric_rules = [r for r in exercise.form_rules if r.metric is not None]
        self._judge_hold = judge_hold
        self.fault_counts: dict[str, int] = {}

    @property
    def always_active(self) -> bool:
        """True while an ``always`` fault is raised (the hold clock stops)."""
        return any(rs.active for rs in self._always)

    def clear_always(self) -> None:
        """Forget persisting ``always`` faults (outside a rep, or after a reset)."""
        for rs in self._always:
            rs.since, rs.active = None, False

    def fault(self, t: float, rule: FormRule, rep: RepRecord | None) -> EngineEvent:
        """Tally a broken rule, note it on the rep, and report it."""
        self.fault_counts[rule.id] = self.fault_counts.get(rule.id, 0) + 1
        if rep is not None and rule.id not in rep.faults:
            rep.faults.append(rule.id)
        return EngineEvent(t, EventKind.FAULT, rep=rep, rule=rule)

    def judge_phase(self, t: float, phase: str, frames: Frames, rep: RepRecord | None) -> list[EngineEvent]:
        """The ``phase`` (``peak`` or ``moving``) rules over that phase's frames."""
        events = []
        for rule in self._phase_rules:
            if rule.phase == phase:
                v = _stat(rule, frames)
                if not math.isnan(v) and rule.violated(v):
                    events.append(self.fault(t, rule, rep))
        return events

    def judge_metrics(self, t: float, rep: RepRecord) -> list[EngineEvent]:
        """The per-rep metric rules."""
        metrics = {
            "duration_s": rep.duration_s,
            "up_s": rep.up_s,
            "down_s": rep.down_s,
            "hold_s": rep.hold_s,
            "peak": rep.peak_value,
        }
        events = []
        for rule in self._metric_rules:
            assert rule.metric is not None
            v = metrics[rule.metric]
            if rule.metric == "hold_s" and not self._judge_hold:
                continue
            if v is not None and not math.isnan(v) and rule.violated(v):
                events.append(self.fault(t, rule, rep))
        return events

    def judge_always(self, t: float, values: dict[str, float], rep: RepRecord | None) -> list[EngineEvent]:
        """One frame inside a rep: raise ``always`` faults that have persisted long enough."""
        events = []
        for rs in self._always:
            v = values.get(rs.rule.angle or "", math.nan)
            bad = not math.isnan(v) and rs.rule.violated(v)
            if not bad:
                rs.since, rs.active = None, False
                continue
            if rs.since is None:
                rs.since = t
            if not rs.active and t - rs.since >= rs.rule.persist_s:
                rs.active = True
                events.append(self.fault(t, rs.rule, rep))
        return events


def _stat(rule: FormRule, frames: Frames) -> float:
    """The rule's statistic of its feature over ``frames`` (NaN if never measured)."""
    name = rule.angle
    vals = [v[name] for v in frames if name in v and not math.isnan(v[name])]
    if not vals:
        return math.nan
    return float(_STATS[rule.stat](vals))
