"""Form rules: judging a rep's frames and metrics against the exercise's rules.

Three kinds of rule (``FormRule.phase`` / ``metric``):

- ``peak`` / ``moving``: a statistic of one feature over the frames of that
  phase of a rep, judged once when the phase ends;
- ``always``: every frame inside a rep; raised once the fault has persisted
  ``persist_s``, and while it is active the hold clock stops;
- ``metric``: a measurement of the whole rep (duration, up/down time, hold, peak).

Each judgement records the measured value on the rep (``RepRecord.measured``) and, for a
broken rule, the limit it crossed and where that limit came from (``RepRecord.fault_details``):
``textbook`` (the exercise file's absolute limit), ``reference`` (the therapist's reference
recording of this patient), ``earlier reps`` (this session's own reps) or ``rest`` (the
person's own resting value before the rep); see ``FormRule``.  A rule that the current camera
view cannot judge (``FormRule.views``) is skipped, and a ``view_note`` event says so once per view.

The counter decides *when* to judge; this module only says *what* is violated
and keeps the fault tally, so a rule change never touches the state machine.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Callable, Mapping, Sequence

from posecoach.core.engine.records import EngineEvent, EventKind, RepRecord
from posecoach.core.exercise.schema import Exercise, FormRule

__all__ = ["LIMIT_SOURCES", "FormRules", "Frames", "view_note"]

Frames = Sequence[dict[str, float]]

_STATS: dict[str, Callable[[list[float]], float]] = {
    "min": min, "max": max, "median": statistics.median, "mean": statistics.fmean,
}

#: where a fault's limit came from, in words for reports
LIMIT_SOURCES = {
    "textbook": "the exercise's standard limit",
    "reference": "this patient's reference recording",
    "earlier reps": "the patient's own earlier reps of the session",
    "rest": "the patient's own resting position before the rep",
    "hold start": "where the patient held the position at the start of the hold",
}

REST_WINDOW_S = 1.0  # ``own: rest``: the median over this long at rest before the rep
HOLD_START_S = 1.0  # ``own: hold_start``: the median over this long from the first frame at the peak

_VIEW_WORDS = {"front": "the front", "side": "the side", "oblique": "this angle"}
_VIEW_HOW = {"front": "face the camera", "side": "turn side-on to the camera", "oblique": "turn halfway to the camera"}


def view_note(view: str, rules: Sequence[FormRule]) -> str:
    """What the coach says, once, about faults the camera ``view`` cannot judge."""
    whats = [r.what for r in rules]
    listed = whats[0] if len(whats) == 1 else ", ".join(whats[:-1]) + " or " + whats[-1]
    wanted = [v for v in ("front", "side", "oblique") if v in (rules[0].views or [])]
    how = _VIEW_HOW[wanted[0]] if wanted else "change the camera's position"
    return f"From {_VIEW_WORDS.get(view, 'here')} I cannot check {listed}: {how} to have it checked"


class _RuleState:
    """An ``always`` rule's persistence: since when it has been broken, and whether it was raised;
    and the sum and number of its values at the peak of the rep in progress (its measured value)."""

    __slots__ = ("active", "n", "rule", "since", "start", "start_t", "total")

    def __init__(self, rule: FormRule) -> None:
        self.rule = rule
        self.since: float | None = None
        self.active = False
        self.total = 0.0
        self.n = 0
        self.start_t = math.nan  # ``own: hold_start``: the rep's first frame at the peak...
        self.start: list[float] = []  # ...and its values over the next ``HOLD_START_S``

    def hold_start(self) -> float | None:
        """The position held at the start of the hold, once its first second has been seen."""
        return statistics.median(self.start) if self.start and not math.isnan(self.start_t) else None


class FormRules:
    """The form rules of one exercise, and how often each was broken.

    ``refs``: rule id -> the patient's reference value (``Targets.rule_refs``).
    ``view``: the camera view now (``front``/``side``/``oblique``; None = not known, when rules
    with ``views`` are not judged), set by the session every frame.
    """

    def __init__(self, exercise: Exercise, *, judge_hold: bool, refs: Mapping[str, float] | None = None) -> None:
        """``judge_hold``: whether ``hold_s`` metric rules apply (only when holds are timed)."""
        self._phase_rules = [r for r in exercise.form_rules if r.angle is not None and r.phase != "always"]
        self._always = [_RuleState(r) for r in exercise.form_rules if r.phase == "always"]
        self._metric_rules = [r for r in exercise.form_rules if r.metric is not None]
        self._rules = list(exercise.form_rules)
        self._judge_hold = judge_hold
        self._refs = {k: float(v) for k, v in (refs or {}).items() if math.isfinite(v)}
        self._earlier: dict[str, list[float]] = {}  # rule id -> values of earlier counted reps
        self._rest_rules = [r for r in exercise.form_rules if r.own == "rest" and r.angle is not None]
        self._at_rest: deque[tuple[float, dict[str, float]]] = deque()
        self._rest_own: dict[str, float] = {}  # rule id -> its feature at rest before this rep
        self.view: str | None = None
        self._noted: set[str] = set()  # views already noted
        self.unjudged: dict[str, int] = {}  # rule id -> judgements skipped for the view
        self.fault_counts: dict[str, int] = {}

    @property
    def always_active(self) -> bool:
        """True while an ``always`` fault that stops the hold clock is raised (``FormRule.pause_hold``)."""
        return any(rs.active and rs.rule.pause_hold for rs in self._always)

    def limit_sources(self) -> dict[str, str]:
        """Rule id -> where its limits come from now (``textbook``, ``reference``, ``earlier reps``,
        ``rest``, ``hold start``): what the report says was used."""
        return {r.id: self._source(r) for r in self._rules}

    def _source(self, rule: FormRule) -> str:
        """Where ``rule``'s limit comes from in this session (see ``FormRule``)."""
        if not rule.personal:
            return "textbook"
        if rule.own == "rest":
            return "rest"
        if rule.own == "hold_start":
            return "hold start"
        if rule.id in self._refs:
            return "reference"
        return "textbook" if rule.absolute else "earlier reps"

    def clear_always(self) -> None:
        """Forget persisting ``always`` faults (outside a rep, or after a reset)."""
        for rs in self._always:
            rs.since, rs.active = None, False

    # -- the person's own values ------------------------------------------------
    def at_rest(self, t: float, values: dict[str, float]) -> None:
        """A frame at rest: kept for the ``own: rest`` rules (the last ``REST_WINDOW_S``)."""
        if not self._rest_rules:
            return
        self._at_rest.append((t, values))
        while self._at_rest and t - self._at_rest[0][0] > REST_WINDOW_S:
            self._at_rest.popleft()

    def forget_rest(self) -> None:
        """A camera cut or a lost person: the rest seen before it belongs to another shot (a
        close-up's guessed shoulders are no floor line for the rep after it), nor for a rep in
        progress that resumes after the cut: its ``own: rest`` rules are not judged."""
        self._at_rest.clear()
        self._rest_own = {}

    def start_rep(self) -> None:
        """A rep starts: the resting values of the ``own: rest`` rules are those of the last second."""
        for rs in self._always:
            rs.total, rs.n = 0.0, 0
            rs.start_t, rs.start = math.nan, []
        self._rest_own = {}
        for r in self._rest_rules:
            vals = [v[r.angle] for _, v in self._at_rest if r.angle in v and not math.isnan(v[r.angle])]
            if vals:
                self._rest_own[r.id] = statistics.median(vals)
        self._at_rest.clear()

    def remember(self, rep: RepRecord) -> None:
        """A counted rep: its values are the person's own for rules judged against earlier reps."""
        for rid, v in rep.measured.items():
            if not math.isnan(v):
                self._earlier.setdefault(rid, []).append(v)

    def _own(self, rule: FormRule) -> tuple[float | None, str]:
        """(the person's own value, where the limit comes from): (None, "textbook") for the absolute
        limit, (None, "") when there is nothing to judge against yet (too few earlier reps).  Not for
        ``own: hold_start`` rules, whose value belongs to the hold (``_hold_start``)."""
        source = self._source(rule)
        if source == "rest":
            v = self._rest_own.get(rule.id)
            return (v, "rest") if v is not None else (None, "textbook")
        if source == "reference":
            return self._refs[rule.id], "reference"
        if source == "earlier reps":
            earlier = self._earlier.get(rule.id, [])
            return (statistics.median(earlier), source) if len(earlier) >= rule.own_reps else (None, "")
        return None, "textbook"

    # -- judging --------------------------------------------------------------------
    def _viewable(self, t: float, rule: FormRule, events: list[EngineEvent]) -> bool:
        """Can the current view judge ``rule``?  If not, note it (once per view)."""
        if rule.views is None:
            return True
        if self.view is not None and self.view in rule.views:
            return True
        self.unjudged[rule.id] = self.unjudged.get(rule.id, 0) + 1
        if self.view is not None and self.view not in self._noted:
            self._noted.add(self.view)
            blind = [r for r in self._rules if r.views is not None and self.view not in r.views]
            events.append(EngineEvent(t, EventKind.VIEW_NOTE, detail=view_note(self.view, blind)))
        return False

    def _judge(self, t: float, rule: FormRule, v: float, rep: RepRecord | None) -> list[EngineEvent]:
        """One measured value against the rule's limits in force."""
        if math.isnan(v):
            return []
        if rep is not None:
            rep.measured[rule.id] = round(float(v), 4)
        own, source = self._own(rule)
        if not source:
            return []  # a limit from earlier reps, before there were enough of them
        below, above = rule.limits(own)
        if below is not None and v < below:
            return [self.fault(t, rule, rep, v, below, source)]
        if above is not None and v > above:
            return [self.fault(t, rule, rep, v, above, source)]
        return []

    def fault(self, t: float, rule: FormRule, rep: RepRecord | None, value: float = math.nan,
              limit: float = math.nan, source: str = "textbook") -> EngineEvent:
        """Tally a broken rule, note it (with the value and the limit it crossed) on the rep, and report it."""
        self.fault_counts[rule.id] = self.fault_counts.get(rule.id, 0) + 1
        if rep is not None and rule.id not in rep.faults:
            rep.faults.append(rule.id)
            rep.fault_details.append({
                "id": rule.id,
                "value": None if math.isnan(value) else round(float(value), 3),
                "limit": None if math.isnan(limit) else round(float(limit), 3),
                "limit_from": source,
                "cue": rule.cue,
            })
        return EngineEvent(t, EventKind.FAULT, rep=rep, rule=rule)

    def judge_phase(self, t: float, phase: str, frames: Frames, rep: RepRecord | None) -> list[EngineEvent]:
        """The ``phase`` (``peak`` or ``moving``) rules over that phase's frames."""
        events: list[EngineEvent] = []
        for rule in self._phase_rules:
            if rule.phase == phase and self._viewable(t, rule, events):
                events += self._judge(t, rule, _stat(rule, frames), rep)
        return events

    def judge_metrics(self, t: float, rep: RepRecord, *, partial: bool = False) -> list[EngineEvent]:
        """The per-rep metric rules (``partial``: an attempt that did not count: its duration only;
        its peak fell short anyway, and it held nothing)."""
        metrics = {
            "duration_s": rep.duration_s,
            "up_s": rep.up_s,
            "down_s": rep.down_s,
            "hold_s": rep.hold_s,
            "peak": rep.peak_value,
        }
        events: list[EngineEvent] = []
        for rule in self._metric_rules:
            assert rule.metric is not None
            if rule.metric == "hold_s" and not self._judge_hold:
                continue
            if partial and rule.metric in ("hold_s", "peak"):
                continue
            v = metrics[rule.metric]
            if v is not None and self._viewable(t, rule, events):
                events += self._judge(t, rule, v, rep)
        return events

    def judge_always(self, t: float, values: dict[str, float], rep: RepRecord | None, *,
                     at_peak: bool = False) -> list[EngineEvent]:
        """One frame inside a rep: raise ``always`` faults that have persisted long enough.

        ``at_peak``: the frame is at the peak (in the hold): the rule's measured value for the rep
        is the mean over those frames (a plank's body line while held, not while getting up),
        which a reference recording then gives as the patient's own value."""
        events: list[EngineEvent] = []
        for rs in self._always:
            v = values.get(rs.rule.angle or "", math.nan)
            if at_peak and rep is not None and not math.isnan(v):
                rs.total, rs.n = rs.total + v, rs.n + 1
                rep.measured[rs.rule.id] = round(rs.total / rs.n, 4)
            if rs.rule.own == "hold_start":
                own, source = self._hold_start(rs, t, v, at_peak)
            else:
                own, source = self._own(rs.rule)
            bad = (not math.isnan(v) and bool(source) and rs.rule.violated(v, own)
                   and self._viewable(t, rs.rule, events))
            if not bad:
                rs.since, rs.active = None, False
                continue
            if rs.since is None:
                rs.since = t
            if not rs.active and t - rs.since >= rs.rule.persist_s:
                rs.active = True
                below, above = rs.rule.limits(own)
                limit = below if below is not None and v < below else above
                events.append(self.fault(t, rs.rule, rep, v, math.nan if limit is None else limit, source))
        return events


    @staticmethod
    def _hold_start(rs: _RuleState, t: float, v: float, at_peak: bool) -> tuple[float | None, str]:
        """``own: hold_start``: collect the first ``HOLD_START_S`` at the peak; then the position held
        there is the rule's own value (before that, nothing to compare with: not judged)."""
        if at_peak and math.isnan(rs.start_t):
            rs.start_t = t
        if not math.isnan(rs.start_t) and t - rs.start_t <= HOLD_START_S:
            if not math.isnan(v):
                rs.start.append(v)
            return None, ""
        own = rs.hold_start()
        return (own, "hold start") if own is not None else (None, "")


def _stat(rule: FormRule, frames: Frames) -> float:
    """The rule's statistic of its feature over ``frames`` (NaN if never measured)."""
    name = rule.angle
    vals = [v[name] for v in frames if name in v and not math.isnan(v[name])]
    if not vals:
        return math.nan
    return float(_STATS[rule.stat](vals))
