"""Faults at their limits: generated reps measured just inside and just outside a form rule's limit.

A form rule is only as good as its limit: a fault must stay silent on a rep that measures just
inside the limit in force and be caught on one just outside it, whichever way the person faces.
This module checks that on generated data, without hand-tuned numbers: a *scene*
(``posecoach.testing.scenarios.knobs``) builds reps from a magnitude knob (how far the trunk
leans, how fast the rep is...), the engine measures each rep as it always does
(``RepRecord.measured``), and a bracketing search (secant steps, halving when they stall) moves
the knob until one rep measures within ``margin`` inside the limit and another within
``margin`` outside it.  Every rep run on the way is checked too: a fault is raised exactly when
the measured value is beyond the limit, and the fault's details carry that value and limit.

The limit in force (``FormRule``):

- ``textbook``: the exercise file's absolute limit (no reference);
- ``reference``: ``Targets.rule_refs[rule]`` +- the rule's own tolerance;
- ``earlier reps``: for a rule with only ``*_own`` limits, the median of this session's
  earlier reps (the case's sequence starts with ``own_reps`` good reps).

``always`` rules record no per-rep value in the engine; their value is what the engine judged:
the rule's feature recomputed on the session's own smoothed poses of the rep, taken as the
most extreme level it stayed beyond for ``persist_s`` (the condition that raises the fault).

Used by ``tests/core/test_fault_limits.py`` and reusable by a benchmark
(``check_rule`` returns a :class:`LimitResult` with the two bracketing runs).
"""

from __future__ import annotations

import bisect
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from posecoach.core.engine.records import Targets
from posecoach.core.engine.rules import HOLD_START_S, REST_WINDOW_S
from posecoach.core.exercise.schema import Exercise, FormRule
from posecoach.core.session import Session
from posecoach.testing.synth import Seq

__all__ = [
    "DURATION_METRICS",
    "LimitResult",
    "Run",
    "check_rule",
    "margin_for",
    "run_reps",
    "unjudged_view",
]

DURATION_METRICS = ("duration_s", "up_s", "down_s", "hold_s")

#: ``margin_for``: "just" inside/outside, per kind of value (stated here so a test can say it)
ANGLE_MARGIN_DEG = 1.0  # an angle: one degree
RELATIVE_MARGIN = 0.03  # a ratio, height or offset: 3 % of the limit
TIME_MARGIN_FRAMES = 1.5  # a duration: 3 % of the limit, but at least 1.5 frames (a frame is the resolution)

AT_LIMIT = 1e-3  # a value this close to the limit is at it (rounding, whole frames): either verdict is right

Build = Callable[[list[dict[str, float]]], Seq]


def margin_for(exercise: Exercise, rule: FormRule, limit: float, fps: float = 30.0) -> float:
    """How close to ``limit`` a rep must measure to count as *just* inside or outside it."""
    if rule.metric in DURATION_METRICS:
        return max(RELATIVE_MARGIN * abs(limit), TIME_MARGIN_FRAMES / fps)
    feature = exercise.angles[rule.angle or exercise.rep.angle]
    if feature.kind in ("joint", "inclination"):
        return ANGLE_MARGIN_DEG
    return max(RELATIVE_MARGIN * abs(limit), 1e-4)


@dataclass
class Run:
    """One generated sequence through a session, and its judged attempt (the last one)."""

    knob: float
    value: float  # what the rule measured on the judged rep (NaN: not measured)
    raised: bool  # the fault is on the judged rep
    detail: dict | None  # its fault_details entry
    reps: int  # attempts seen: reps counted and partial attempts (too fast or short of the peak)
    earlier_faults: list[str]  # the rule's fault on an earlier rep of the sequence, if any
    counted: bool = True  # the judged attempt counted as a rep (else a partial attempt, still judged)
    summary: dict = field(repr=False, default_factory=dict)
    limit: float = math.nan  # the limit in force for the judged rep
    source: str = ""  # where it came from (textbook, reference, earlier reps)


@dataclass
class LimitResult:
    """A rule's limit bracketed: ``inside`` measured within ``margin`` inside the limit and was
    silent, ``outside`` within ``margin`` beyond it and was caught (``ok``); ``problems`` says
    what went wrong otherwise (and every run's inconsistency, if any)."""

    rule: str
    limit: float
    margin: float
    source: str
    inside: Run | None
    outside: Run | None
    runs: list[Run]
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def _persisted(rule: FormRule, frames: list[tuple[float, float]], above: bool) -> float:
    """The most extreme level the value stayed beyond for ``rule.persist_s`` over ``frames``
    ((t, value), in time order; NaN breaks a run): what an ``always`` rule compares."""
    best = math.nan
    times = [t for t, _ in frames]
    for i, t in enumerate(times):
        if t - times[0] < rule.persist_s - 1e-6:
            continue  # not yet ``persist_s`` into the rep
        window = [v for _, v in frames[bisect.bisect_left(times, t - rule.persist_s - 1e-6): i + 1]]
        if any(math.isnan(v) for v in window):
            continue
        level = min(window) if above else max(window)
        if math.isnan(best) or (level > best if above else level < best):
            best = level
    return best


def _feature_over(session: Session, rule: FormRule, rep: dict, results: list, t0: float,
                  t1: float) -> list[tuple[float, float]]:
    """(t, the rule's feature) on the session's own smoothed poses from ``t0`` to ``t1`` (a few ms of
    slack: the rep's times are rounded to the millisecond; frames lie 33 ms apart), on the side
    that counted ``rep`` (a both-sided exercise) or the side the session followed."""
    side = rep.get("side") or ""
    eps = 5e-3
    out = []
    for r in results:
        if r.pose is None or not t0 - eps <= r.t <= t1 + eps:
            continue
        key = side if session.exercise.sides == "both" and side in ("left", "right") else r.side
        out.append((r.t, session.features.values(r.pose, key, session.config.min_visibility)
                    .get(rule.angle or "", math.nan)))
    return out


def _median(frames: list[tuple[float, float]]) -> float | None:
    vals = [v for _, v in frames if not math.isnan(v)]
    return statistics.median(vals) if vals else None


def _always_value(session: Session, rule: FormRule, rep: dict, results: list) -> float:
    """An ``always`` rule's value on ``rep``, from the session's own smoothed poses of the rep."""
    above = rule.above is not None or rule.above_own is not None
    frames = _feature_over(session, rule, rep, results, rep["start_s"], rep["end_s"])
    return _persisted(rule, frames, above) if frames else math.nan


def _rest_value(session: Session, rule: FormRule, rep: dict, results: list) -> float | None:
    """``own: rest``: the rule's feature over the second before the rep, at rest (the frames the
    session judged: a rep starts from the last frame at rest)."""
    return _median(_feature_over(session, rule, rep, results, rep["start_s"] - REST_WINDOW_S, rep["start_s"]))


def _hold_start_value(session: Session, rule: FormRule, rep: dict, results: list) -> float | None:
    """``own: hold_start``: the rule's feature over the first ``HOLD_START_S`` of the rep at its peak."""
    if rep.get("up_s") is None:
        return None
    t0 = rep["start_s"] + rep["up_s"]  # (when the rep reached its peak: the engine's own, whichever side counted)
    return _median(_feature_over(session, rule, rep, results, t0, min(t0 + HOLD_START_S, rep["end_s"])))


def run_reps(exercise: Exercise, rule: FormRule, seq: Seq, knob: float, *,
             refs: dict[str, float] | None = None) -> Run:
    """``seq`` through a session (with ``refs`` as the therapist's reference values): the rule's
    value, fault and limit on the last attempt: a counted rep, or a partial attempt (a rep too
    fast to count is judged all the same, so a limit below ``min_duration_s`` is still tested)."""
    session = Session(exercise, targets=Targets(rule_refs=dict(refs or {})))
    results = [session.process(t, p) for t, p in seq]
    summary = session.summary()
    counted = summary["rep_details"]
    reps = sorted(counted + summary["partial_reps"], key=lambda r: r["start_s"])
    if exercise.sides == "both" and counted:  # the side that moved (the other leg's stir is not an attempt)
        sides = [r["side"] for r in counted]
        reps = [r for r in reps if r["side"] == max(set(sides), key=sides.count)]
    if not reps:
        return Run(knob, math.nan, False, None, 0, [], summary=summary)
    last = reps[-1]
    always = rule.phase == "always"
    value = _always_value(session, rule, last, results) if always else last["measured"].get(rule.id, math.nan)
    detail = next((d for d in last["fault_details"] if d["id"] == rule.id), None)
    earlier = [rule.id for r in reps[:-1] if rule.id in r["faults"]]
    run = Run(knob, float(value), rule.id in last["faults"], detail, len(reps), earlier, summary=summary,
              counted="why_not_counted" not in last)
    run.source = summary["fault_limits"].get(rule.id, "")
    if rule.own == "rest" and rule.personal:
        below, above = rule.limits(_rest_value(session, rule, last, results))
    elif rule.own == "hold_start":
        below, above = rule.limits(_hold_start_value(session, rule, last, results))
    else:
        below, above = _limits_in_force(rule, refs, [r for r in reps[:-1] if "why_not_counted" not in r])
    run.limit = above if above is not None else (below if below is not None else math.nan)
    return run


def _limits_in_force(rule: FormRule, refs: dict[str, float] | None,
                     earlier: Sequence[dict]) -> tuple[float | None, float | None]:
    """(below, above) for the judged rep, worked out independently of the engine."""
    if rule.personal and refs and rule.id in refs:
        return rule.limits(refs[rule.id])
    if rule.absolute or not rule.personal:
        return rule.below, rule.above
    vals = [r["measured"][rule.id] for r in earlier if rule.id in r.get("measured", {})]
    if len(vals) < rule.own_reps:
        return None, None
    return rule.limits(statistics.median(vals))


def _consistent(rule: FormRule, run: Run, expect_reps: int) -> list[str]:
    """What is wrong with one run: a rep count off, no value, the fault raised on the wrong side of
    the limit, details that do not carry the value and the limit."""
    out = []
    where = f"{rule.id} at knob {run.knob:.4g}"
    if run.reps != expect_reps:
        return [f"{where}: {run.reps} attempts seen, expected {expect_reps}"]
    if math.isnan(run.value) or math.isnan(run.limit):
        return [f"{where}: nothing measured (value {run.value}, limit {run.limit})"]
    above = rule.above is not None or rule.above_own is not None
    beyond = run.value > run.limit if above else run.value < run.limit
    if abs(run.value - run.limit) > AT_LIMIT and beyond != run.raised:
        out.append(f"{where}: value {run.value:.4g} vs limit {run.limit:.4g} but raised={run.raised}")
    if run.raised:
        d = run.detail or {}
        if d.get("limit") is None or abs(d["limit"] - run.limit) > 2e-3:
            out.append(f"{where}: fault_details limit {d.get('limit')} != {run.limit:.4g}")
        if rule.phase != "always" and (d.get("value") is None or abs(d["value"] - run.value) > 2e-3):
            out.append(f"{where}: fault_details value {d.get('value')} != measured {run.value:.4g}")
        if rule.phase == "always" and (d.get("value") is None or not (d["value"] > run.limit if above
                                                                      else d["value"] < run.limit)):
            out.append(f"{where}: fault_details value {d.get('value')} is not beyond the limit {run.limit:.4g}")
    if run.earlier_faults:
        out.append(f"{where}: raised on an earlier (good) rep too")
    return out


def check_rule(exercise: Exercise, rule: FormRule, build: Build, *, param: str, good: float, bad: float,
               before: int = 1, refs: dict[str, float] | None = None, fps: float = 30.0,
               max_runs: int = 12, start: tuple[float, float] | None = None) -> LimitResult:
    """Bracket ``rule``'s limit with the knob ``param`` of ``build`` (``good``: clearly inside,
    ``bad``: clearly outside).  Each sequence is ``before`` reps at ``good`` and then the judged rep
    at the knob; ``refs``: the reference values (``Targets.rule_refs``).  ``start``: knob values to
    try first (e.g. the bracket found facing the other way), else ``good`` and ``bad``."""
    problems: list[str] = []
    runs: list[Run] = []
    above = rule.above is not None or rule.above_own is not None
    sign = 1.0 if above else -1.0

    def run(k: float) -> Run:
        reps = [{param: good}] * before + [{param: k}]
        r = run_reps(exercise, rule, build(reps), k, refs=refs)
        runs.append(r)
        problems.extend(_consistent(rule, r, before + 1))
        return r

    def d(r: Run) -> float:  # > 0: outside
        return sign * (r.value - r.limit)

    def out(r: Run) -> bool:  # a value at the limit to rounding (a duration of whole frames) goes either way
        return d(r) > AT_LIMIT or (abs(d(r)) <= AT_LIMIT and r.raised)

    a, b = (run(start[0]), run(start[1])) if start else (run(good), run(bad))
    if start and not (not out(a) and out(b)):
        a, b = run(good), run(bad)
    limit = a.limit if not math.isnan(a.limit) else b.limit
    margin = margin_for(exercise, rule, limit, fps) if not math.isnan(limit) else math.nan
    source = a.source or b.source
    if problems or math.isnan(d(a)) or math.isnan(d(b)) or out(a) or not out(b):
        problems.append(f"{rule.id}: the knob does not bracket the limit {limit:.4g}: {param}={a.knob:.4g} "
                        f"measures {a.value:.4g}, {param}={b.knob:.4g} measures {b.value:.4g}")
        return LimitResult(rule.id, limit, margin, source, None, None, runs, problems)
    stalled = 0
    while not (d(a) >= -margin and d(b) <= margin):
        if len(runs) >= max_runs:
            problems.append(f"{rule.id}: not within {margin:.3g} of the limit {limit:.4g} after {max_runs} runs "
                            f"(inside {a.value:.4g} at {a.knob:.4g}, outside {b.value:.4g} at {b.knob:.4g})")
            break
        aim = -margin / 2 if d(a) < -margin else margin / 2
        if stalled >= 2 or d(b) == d(a):
            k = (a.knob + b.knob) / 2
        else:  # the secant through both ends, kept off them so the bracket always shrinks
            u = (aim - d(a)) / (d(b) - d(a))
            k = a.knob + min(0.9, max(0.1, u)) * (b.knob - a.knob)
        r = run(k)
        if math.isnan(d(r)):
            problems.append(f"{rule.id}: nothing measured at {param}={k:.4g}")
            break
        stalled = 0 if abs(d(r)) <= margin else stalled + 1
        if out(r):
            b = r
        else:
            a = r
    return LimitResult(rule.id, limit, margin, source, a, b, runs, problems)


def unjudged_view(exercise: Exercise, rule: FormRule, seq: Seq) -> list[str]:
    """A sequence filmed in a view the rule cannot judge (its fault clearly there): what is wrong
    (the fault raised, no note, or more than one)."""
    session = Session(exercise)
    for t, p in seq:
        session.process(t, p)
    s = session.summary()
    out = []
    if not s["rep_details"]:
        out.append(f"{rule.id}: no rep counted in the unjudged view")
    if rule.id in s["faults"]:
        out.append(f"{rule.id}: raised in a view it cannot judge")
    if rule.id not in s["faults_not_judged_in_view"]:
        out.append(f"{rule.id}: not listed as not judged in this view")
    if len(s["view_notes"]) != 1:
        out.append(f"{rule.id}: {len(s['view_notes'])} view notes, expected exactly one: {s['view_notes']}")
    return out
