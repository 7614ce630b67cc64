"""The clinic's records: frozen values that cross module lines (CLI, app, report, judge).

Rows come out of SQLite once, here, with names; callers read attributes, never keys, and cannot
change a record another module holds.  ``to_dict()`` gives the plain JSON form (for the report, a
Qt view's item data, or a test's comparison).

What stays a dict on purpose: a patient's *targets* (a JSON document the therapist may extend with
keys of their own, and the exact input of ``targets_for``), the *progress rows* (they are the
report's row format, written as ``sessions.csv``) and the history's session rows (the app's JSON).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from posecoach.core.exercise.schema import ANGLE_LIMIT, short_repr
from posecoach.errors import InvalidValue

__all__ = [
    "ADD_HOLD_MAX_S",
    "ADD_REPS_MAX",
    "DAYS_MAX",
    "DEFAULT_MAX_HOLD_S",
    "DEFAULT_RULE",
    "EVERY_MAX",
    "HOLD_MAX_S",
    "RECORD_MAX_S",
    "REPS_MAX",
    "ROM_SHARE_MAX",
    "SETS_MAX",
    "TEMPO_MAX_S",
    "VALUE_LIMIT",
    "DeletedPatient",
    "Patient",
    "PatientSummary",
    "PlannedItem",
    "Programme",
    "ProgrammeItem",
    "ProgressionRule",
    "Reference",
    "target_number",
    "whole_number",
]


# The clinic's limits on what a therapist prescribes (the command line's options take the same ones;
# beyond them a value is a typo, and at 2**63 it no longer fits the database).
SETS_MAX = 20  # sets of one exercise in a session (as an exercise file's dosage)
REPS_MAX = 100  # reps in a set, and a progression rule's max_reps
HOLD_MAX_S = 600.0  # seconds held at the top of a rep (as an exercise file's hold)
TEMPO_MAX_S = 600.0  # seconds per rep (an exercise file's longest rep)
ADD_REPS_MAX = 20  # reps added at each progression step
ADD_HOLD_MAX_S = 60.0  # seconds added to a hold at each progression step
DEFAULT_MAX_HOLD_S = 60.0  # a hold exercise's progression stops here unless the rule says otherwise
EVERY_MAX = 100  # sessions without more pain per progression step
DAYS_MAX = 7  # days a week
VALUE_LIMIT = ANGLE_LIMIT  # |rest|, |peak| targets: degrees, or an offset/ratio (far smaller)
ROM_SHARE_MAX = 1.5  # the peak target as a share of the reference's range: (0, ROM_SHARE_MAX]
RECORD_MAX_S = 3600.0  # the longest camera recording of a reference


def whole_number(v: Any, name: str, *, zero: bool = False, most: int | None = None) -> int:
    """``v`` as an int if it is a whole number from 1 (0 with ``zero``) to ``most``; ``InvalidValue``
    naming ``name`` and the allowed range otherwise."""
    lo = 0 if zero else 1
    if (isinstance(v, bool) or not isinstance(v, (int, float))
            or (isinstance(v, float) and not math.isfinite(v)) or int(v) != v or v < lo
            or (most is not None and v > most)):
        allowed = f">= {lo}" if most is None else f"from {lo} to {most}"
        raise InvalidValue(f"{name} must be a whole number {allowed}, got {short_repr(v)}")
    return int(v)


def target_number(v: Any, name: str, lo: float = -math.inf, hi: float = math.inf, *,
                  above_lo: bool = False) -> float | None:
    """A finite number from ``lo`` to ``hi`` (above ``lo`` with ``above_lo``), or None; ``InvalidValue``
    naming the target and the allowed range otherwise (targets, an item's hold)."""
    if v is None:
        return None
    if isinstance(v, bool):
        raise InvalidValue(f"target {name} must be a number or empty, got {short_repr(v)}")
    try:
        f = float(v)
    except (TypeError, ValueError, OverflowError):
        raise InvalidValue(f"target {name} must be a number or empty, got {short_repr(v)}") from None
    if not math.isfinite(f):
        raise InvalidValue(f"target {name} must be a finite number, got {short_repr(v)}")
    if f < lo or f > hi or (above_lo and f == lo):
        raise InvalidValue(f"target {name} must be {_range(lo, hi, above_lo)}, got {short_repr(v)}")
    return f


def _range(lo: float, hi: float, above_lo: bool = False) -> str:
    """``lo``..``hi`` in words: "from 0 to 600", "above 0 and at most 1.5", ">= 0"."""
    if math.isinf(hi):
        return f"{'>' if above_lo else '>='} {lo:g}"
    if above_lo:
        return f"above {lo:g} and at most {hi:g}"
    return f"from {lo:g} to {hi:g}" if not math.isinf(lo) else f"<= {hi:g}"


class _Record:
    """``to_dict()`` for every record (a shallow copy of the fields)."""

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


@dataclass(frozen=True)
class Patient(_Record):
    id: int
    name: str
    notes: str
    created_at: str


@dataclass(frozen=True)
class PatientSummary(Patient):
    """A patient as listed: with their number of sessions and the day of the last one (or None)."""

    sessions: int = 0
    last_session: str | None = None


@dataclass(frozen=True)
class Reference(_Record):
    """A stored reference recording: the main-angle ``trace`` ((t, angle or None) per frame), the
    rep dicts (``RepRecord.to_dict()``) and the session summary it was judged with."""

    id: int
    patient_id: int
    exercise_id: str
    source: str
    notes: str
    landmarks_file: str | None
    video_file: str | None
    trace: list[tuple[float, float | None]]
    reps: list[dict]
    summary: dict
    recorded_at: str


@dataclass(frozen=True)
class ProgressionRule(_Record):
    """How the work grows (``posecoach.clinic.progression``) after every ``every_n_sessions``
    sessions without more pain: a rep exercise +``add_reps`` up to ``max_reps``; a hold exercise
    (``counting: hold``) holds ``add_hold_s`` longer, up to ``max_hold_s``."""

    add_reps: int = 1
    every_n_sessions: int = 3
    max_reps: int = 15
    hold_back_if_pain_rises: bool = True
    add_hold_s: float = 5.0
    max_hold_s: float = 60.0

    @classmethod
    def of(cls, rule: ProgressionRule | Mapping[str, Any] | None) -> ProgressionRule:
        """The rule from a record, a mapping (missing keys: the defaults) or None; ``InvalidValue``."""
        if isinstance(rule, ProgressionRule):
            return rule
        data = dict(DEFAULT_RULE)
        if rule:
            unknown = set(rule) - set(DEFAULT_RULE)
            if unknown:
                raise InvalidValue(
                    f"unknown progression rule key(s) {', '.join(sorted(unknown))}: use {', '.join(DEFAULT_RULE)}"
                )
            data.update(rule)
        return cls(
            add_reps=whole_number(data["add_reps"], "rule add_reps", zero=True, most=ADD_REPS_MAX),
            every_n_sessions=whole_number(data["every_n_sessions"], "rule every_n_sessions", most=EVERY_MAX),
            max_reps=whole_number(data["max_reps"], "rule max_reps", most=REPS_MAX),
            hold_back_if_pain_rises=bool(data["hold_back_if_pain_rises"]),
            add_hold_s=float(target_number(data["add_hold_s"], "rule add_hold_s", 0.0, ADD_HOLD_MAX_S) or 0.0),
            max_hold_s=float(target_number(data["max_hold_s"], "rule max_hold_s", 0.0, HOLD_MAX_S, above_lo=True)
                             or DEFAULT_MAX_HOLD_S),
        )


DEFAULT_RULE: dict[str, Any] = ProgressionRule().to_dict()


@dataclass(frozen=True)
class ProgrammeItem(_Record):
    """One exercise of a programme: sets x reps (and a hold in seconds, or None)."""

    exercise_id: str
    sets: int = 1
    reps: int = 10
    hold_s: float | None = None

    @classmethod
    def of(cls, item: ProgrammeItem | Mapping[str, Any]) -> ProgrammeItem:
        """The item from a record or a mapping {"exercise_id","sets","reps","hold_s"}; ``InvalidValue``."""
        if isinstance(item, ProgrammeItem):
            return item
        if not isinstance(item, Mapping) or not str(item.get("exercise_id") or "").strip():
            raise InvalidValue(f"a programme item needs an exercise_id, got {short_repr(item)}")
        ex = str(item["exercise_id"]).strip()
        hold = item.get("hold_s")
        hold_s = None if hold in (None, "") else target_number(hold, f"{ex}: hold_s", 0.0, HOLD_MAX_S)
        return cls(exercise_id=ex,
                   sets=whole_number(item.get("sets", 1), f"{ex}: sets", most=SETS_MAX),
                   reps=whole_number(item.get("reps", 10), f"{ex}: reps", most=REPS_MAX), hold_s=hold_s)


@dataclass(frozen=True)
class Programme(_Record):
    """A patient's programme (the newest one is current); progression counts from ``created_at``."""

    id: int
    items: tuple[ProgrammeItem, ...]
    days_per_week: int
    rule: ProgressionRule
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "items": [i.to_dict() for i in self.items], "days_per_week": self.days_per_week,
                "rule": self.rule.to_dict(), "created_at": self.created_at}


@dataclass(frozen=True)
class PlannedItem(ProgrammeItem):
    """A programme item after the progression rule: ``reps`` is today's number, ``base_reps`` the
    prescribed one (a hold exercise progresses its hold instead: ``hold_s`` today's, ``base_hold_s``
    the prescribed one); ``sessions_counted`` towards the next step, ``sessions_to_next`` (None at the
    maximum), ``progression`` (one line saying why), ``done_today`` (sessions of it today, whatever
    they counted), ``reps_today`` (reps counted in them) and ``complete`` (today's prescribed work
    is done: ``reps_today`` reached sets x reps; a session stopped at 0 or 6 of 16 reps is not)."""

    base_reps: int = 0
    base_hold_s: float | None = None
    sessions_counted: int = 0
    sessions_to_next: int | None = None
    progression: str = "as prescribed"
    done_today: int = 0
    reps_today: int = 0
    complete: bool = False


@dataclass(frozen=True)
class DeletedPatient(_Record):
    """What ``delete_patient`` removed: counts per table, reference files removed, the paths
    that could not be removed (``files_left``) and those it did not touch because they are outside
    the patient's reference folder (``files_skipped``)."""

    id: int
    patient: str
    sessions: int
    reps: int
    events: int
    references: int
    targets: int
    programmes: int
    files: int
    files_left: list[str] = field(default_factory=list)
    files_skipped: list[str] = field(default_factory=list)
