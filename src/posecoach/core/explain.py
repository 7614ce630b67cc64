"""Faults explained: the measured value, the limit it crossed and where that limit came from, in words.

The engine records on every rep (and partial attempt) its ``fault_details``, one per fault:
``{id, value, limit, limit_from, cue}`` (``core.engine.rules``), and the summary says where each
rule's limits came from (``fault_limits``) and which rules the camera's view could not judge.
Every output a reader sees words them here, so the CSV, the HTML report, the clinic report and the
therapist's views say the same thing the same way:

- ``detail_code``: a short, stable form for tables and CSV cells, ``knees_cave 0.57 < 0.75 (textbook)``;
- ``detail_words``: the same for a reader, ``knees caving in (knee width): 0.57, under the limit
  of 0.75 (the exercise's standard limit)``;
- ``limits_used``: which limits judged a session, grouped by where they came from.

Pure text from plain data (the exercise is optional: without it, ids stand in for labels).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from posecoach.core.engine.counter import SHORT_OF_PEAK
from posecoach.core.engine.rules import LIMIT_SOURCES
from posecoach.core.exercise.schema import Exercise, FormRule

__all__ = [
    "LIMIT_SOURCES", "attempts", "detail_code", "detail_words", "details_code", "fault_sources", "judged_rules",
    "limits_sentence", "limits_used", "measured_what", "rule_label", "unit", "value_text",
]

# the order limit sources are listed in: the patient's own first (what a therapist looks for)
_SOURCE_ORDER = ("reference", "earlier reps", "rest", "textbook")
_TIME_METRICS = ("duration_s", "up_s", "down_s", "hold_s")


def value_text(v: object) -> str:
    """A measured value or limit as shown: 2 decimals under 10 (ratios, heights), else 1 (degrees)."""
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        return "?"
    return f"{v:.2f}" if abs(v) < 10 else f"{v:.1f}"


def _rule(exercise: Exercise | None, rule_id: str) -> FormRule | None:
    if exercise is None:
        return None
    return next((r for r in exercise.form_rules if r.id == rule_id), None)


def rule_label(rule_id: str, exercise: Exercise | None = None) -> str:
    """What the rule checks in a few words (its ``label``), else its id in words."""
    if rule_id == SHORT_OF_PEAK:
        return "not far enough to count"
    rule = _rule(exercise, rule_id)
    return rule.what if rule is not None else str(rule_id).replace("_", " ")


def unit(exercise: Exercise | None, rule_id: str) -> str:
    """The unit of the rule's value as written after a number: ``"°"``, ``" s"`` or ``""`` (a ratio,
    a height in body proportions, or not known)."""
    if rule_id == SHORT_OF_PEAK and exercise is not None:
        feature = exercise.angles.get(exercise.rep.angle)
        return "°" if feature is not None and feature.kind in ("joint", "inclination") else ""
    rule = _rule(exercise, rule_id)
    if rule is None or exercise is None:
        return ""
    if rule.metric in _TIME_METRICS:
        return " s"
    name = exercise.rep.angle if rule.metric == "peak" else rule.angle
    feature = exercise.angles.get(name or "")
    return "°" if feature is not None and feature.kind in ("joint", "inclination") else ""


_METRIC_WORDS = {"duration_s": "the rep's time", "up_s": "time going", "down_s": "time coming back",
                 "hold_s": "time held"}


def measured_what(rule_id: str, exercise: Exercise | None = None) -> str:
    """What the rule's number is, in words: the feature (``knee width``), or the rep metric (``knee
    at the peak``, ``the rep's time``); "" when not known."""
    if rule_id == SHORT_OF_PEAK and exercise is not None:
        return f"{exercise.rep.angle.replace('_', ' ')} at its furthest"
    rule = _rule(exercise, rule_id)
    if rule is None or exercise is None:
        return ""
    if rule.metric == "peak":
        return f"{exercise.rep.angle.replace('_', ' ')} at the peak"
    if rule.metric is not None:
        return _METRIC_WORDS.get(rule.metric, rule.metric)
    return (rule.angle or "").replace("_", " ")


def _direction(d: Mapping) -> str:
    """``<`` (the value fell under its limit), ``>`` (over it) or ``""`` (not known)."""
    v, lim = d.get("value"), d.get("limit")
    if not isinstance(v, (int, float)) or not isinstance(lim, (int, float)):
        return ""
    return "<" if v < lim else ">"


def detail_code(d: Mapping) -> str:
    """One fault, short and stable (CSV cells, compact tables): ``knees_cave 0.57 < 0.75 (textbook)``;
    a fault with no number recorded is its id and the limit's source."""
    op = _direction(d)
    source = d.get("limit_from") or "textbook"
    if not op:
        return f"{d.get('id', '?')} ({source})"
    return f"{d.get('id', '?')} {value_text(d.get('value'))} {op} {value_text(d.get('limit'))} ({source})"


def details_code(details: Iterable[Mapping] | None) -> str:
    """A rep's faults for one CSV cell: :func:`detail_code` of each, ``; ``-separated."""
    return "; ".join(detail_code(d) for d in details or [])


def detail_words(d: Mapping, exercise: Exercise | None = None) -> str:
    """One fault for a reader, with what was measured: ``knees caving in (knee width): 0.57, under the
    limit of 0.75 (the exercise's standard limit)``; ``too fast (the rep's time): 0.90 s, under ...``."""
    rid = str(d.get("id", "?"))
    label = rule_label(rid, exercise)
    op = _direction(d)
    source = LIMIT_SOURCES.get(str(d.get("limit_from") or "textbook"), str(d.get("limit_from")))
    if not op:
        return f"{label} (limit: {source})"
    u = unit(exercise, rid)
    where = "under" if op == "<" else "over"
    what = measured_what(rid, exercise)
    if rid == SHORT_OF_PEAK:
        return (f"{label}{f' ({what})' if what else ''}: {value_text(d.get('value'))}{u}, short of the "
                f"{value_text(d.get('limit'))}{u} a rep needs ({source})")
    return (f"{label}{f' ({what})' if what else ''}: {value_text(d.get('value'))}{u}, {where} the limit of "
            f"{value_text(d.get('limit'))}{u} ({source})")


def judged_rules(summary: Mapping) -> list[str]:
    """The rules that judged something in the session: measured on a rep or attempt, or broken;
    a rule only skipped for the camera's view (``faults_not_judged_in_view``) did not."""
    seen: dict[str, None] = {}
    for d in [*(summary.get("rep_details") or []), *(summary.get("partial_reps") or [])]:
        for k in (d.get("measured") or {}):
            seen[str(k)] = None
        for f in d.get("faults") or []:
            seen[str(f)] = None
    for k in summary.get("faults") or {}:
        seen[str(k)] = None
    limits = summary.get("fault_limits") or {}
    return [k for k in limits if k in seen] + [k for k in seen if k not in limits]


def limits_used(summary: Mapping, exercise: Exercise | None = None) -> list[tuple[str, list[str]]]:
    """Where the limits that judged the session came from: ``[(source words, [rule labels])]``,
    the patient's own (reference, earlier reps, rest) before the textbook's; rules the view could
    not judge are left out (the view notes say so).  Empty for a result without ``fault_limits``
    (written before limits were recorded)."""
    limits: Mapping[str, str] = summary.get("fault_limits") or {}
    if not limits:
        return []
    groups: dict[str, list[str]] = {}
    for rid in judged_rules(summary):
        src = limits.get(rid)
        if src:
            groups.setdefault(src, []).append(rule_label(rid, exercise))
    order = [s for s in _SOURCE_ORDER if s in groups] + [s for s in groups if s not in _SOURCE_ORDER]
    return [(LIMIT_SOURCES.get(s, s), groups[s]) for s in order]


def limits_sentence(summary: Mapping, exercise: Exercise | None = None) -> str:
    """:func:`limits_used` as one sentence: ``Limits used: this patient's reference recording
    (knees caving in); the exercise's standard limit (too fast).`` ("" without it)."""
    used = limits_used(summary, exercise)
    if not used:
        return ""
    return "Limits used: " + "; ".join(f"{src} ({', '.join(labels)})" for src, labels in used) + "."


def fault_sources(summary: Mapping) -> set[str]:
    """The limit sources (``textbook``, ``reference``...) of the rules that judged the session."""
    limits = summary.get("fault_limits") or {}
    return {limits[k] for k in judged_rules(summary) if k in limits}


def attempts(summary: Mapping) -> list[dict]:
    """The partial attempts of the summary (reps that did not count), in time order."""
    return sorted(summary.get("partial_reps") or [], key=lambda d: d.get("start_s") or 0.0)
