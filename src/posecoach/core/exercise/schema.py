"""The exercise file format: the whole schema in one module.

An exercise is data: a YAML file in ``exercises/`` that declares the camera
view it needs, the angles it measures (by landmark name), how a rep is counted
(main angle, thresholds with hysteresis, minimum duration), an optional hold,
form rules (a condition on an angle or a rep metric in a phase of the rep,
with a fault id, a cue and a priority), default dosage and instructions.
Files are parsed with ``safe_yaml.load_yaml`` (the standard YAML types only, within a
size, depth and alias budget) and validated here; nothing in them is ever executed.  Every
number is finite and bounded: angle-like values (``rest``, ``peak``, rule limits on an angle)
within -360..360, durations within their own ranges (see each field).

Angle conventions (see ``posecoach.core.features``):

- ``joint``: the angle at the middle point, 0-180 degrees (180 = straight).
  With ``signed: up`` (or ``down``) it runs 0-360 instead: above 180 means the
  middle point lies above (below) the line joining the outer points, i.e. the
  joint has gone past straight in that direction (a bridge over-arched).
- ``inclination``: the angle of the segment first->second point from the
  ``reference`` direction (``vertical`` = straight up, ``horizontal``), 0-180.
- ``ratio``: distance(points[0], points[1]) / distance(points[2], points[3]).
- ``height``: how far points[0] is above points[1] (image up), divided by the
  distance between points[2] and points[3]; negative when below.
- ``offset``: how far points[1] lies from points[0] along the direction
  points[2] -> points[3], in units of that distance (signed): e.g. the knees'
  offset from mid-hip along right_hip -> left_hip is positive when the knees
  have rolled to the person's left.

Landmark names are MediaPipe's (``left_knee``...), or side-relative:
``near_knee`` is the knee on the side facing the camera, ``far_knee`` the
other one; ``mid_hip`` is the midpoint of both hips.
"""

from __future__ import annotations

import difflib
import re
import reprlib
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from posecoach.core.landmarks import LANDMARK_NAMES

__all__ = [
    "SCHEMA_VERSION",
    "Dosage",
    "Exercise",
    "Feature",
    "FormRule",
    "Hold",
    "RepCounting",
    "landmark_base_names",
    "resolve_point_name_error",
    "short_repr",
]

SCHEMA_VERSION = 1

ANGLE_LIMIT = 360.0  # |rest|, |peak|, |a rule's limit on an angle|: degrees, or a ratio/offset (far smaller)
TIME_LIMIT = 3600.0  # a rule's limit on a duration metric (seconds)

# A finite value of the main feature (an angle, or a ratio/height/offset) or a threshold on it.
_Value = Annotated[float, Field(ge=-ANGLE_LIMIT, le=ANGLE_LIMIT, allow_inf_nan=False)]
# A rule's limit: an angle, or (metric rules) seconds; narrowed per kind in ``FormRule``.
_Limit = Annotated[float, Field(ge=-TIME_LIMIT, le=TIME_LIMIT, allow_inf_nan=False)]


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict, _REPR.maxset = 2, 4, 4, 4, 4
_REPR.maxstring = _REPR.maxother = _REPR.maxlong = 80


def short_repr(value: object, limit: int = 80) -> str:
    """``repr(value)`` for a message: at most ``limit`` characters, built without expanding a huge
    value (a long list is cut after a few items, a long string in the middle)."""
    try:
        text = _REPR.repr(value)
    except (ValueError, RecursionError):  # e.g. an int too long to print
        text = f"<a {type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


_BASE = sorted({n.split("_", 1)[1] for n in LANDMARK_NAMES if n.startswith(("left_", "right_"))})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


def _check_id(v: str, what: str) -> str:
    """``v`` if it is lower_snake_case, else a ValueError naming ``what`` ("exercise id", "fault id")."""
    if not _ID.match(v):
        raise ValueError(f"{what} {short_repr(v)} must be lower_snake_case (a-z, 0-9, _)")
    return v


def landmark_base_names() -> list[str]:
    """Every point name an exercise file may use."""
    names = set(LANDMARK_NAMES)
    for b in _BASE:
        names.update({f"near_{b}", f"far_{b}", f"mid_{b}"})
    return sorted(names)


def resolve_point_name_error(name: str) -> str | None:
    """None if ``name`` is a valid point name, else an error text with a suggestion."""
    valid = landmark_base_names()
    if name in valid:
        return None
    close = difflib.get_close_matches(name, valid, n=1) if len(name) <= 40 else []
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"unknown landmark {short_repr(name)}{hint}"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Feature(_Strict):
    """A named measurement computed from landmarks every frame.

    ``pick: max`` (or ``min``) measures the feature on both sides of the body (``near_``
    = each side in turn) and takes the larger (smaller) value among the sides seen: the
    limb that moves in an exercise that moves one limb at a time, whichever label
    MediaPipe gives it.  Seen from the side, MediaPipe swaps the two legs' labels for a
    frame or two while one is lifted; a per-side count then splits one held leg into
    short reps on both sides.  With ``rep.side_from`` naming the same feature, a rep's
    side is the side its value came from in most of its peak's frames.

    ``minus: <another feature>``: this feature's value less that one's, on the same frame (the
    trunk's lean from vertical less the shin's: how much further forward than the shins the trunk
    leans in a squat).  The other feature is a plain one (no ``minus``, no ``pick``).

    ``plausible: [lo, hi]``: the values a human body can take in this exercise (joint ranges
    of motion); a value outside is a failed detection (a close-up of part of the body, a
    skeleton fitted to the background) and the frame counts as one without a pose, so it
    can neither start nor finish a rep.
    """

    kind: Literal["joint", "inclination", "ratio", "height", "offset"] = "joint"
    points: list[str]
    space: Literal["image", "world"] = "image"
    signed: Literal["up", "down"] | None = None
    pick: Literal["max", "min"] | None = None
    plausible: tuple[_Value, _Value] | None = None
    reference: Literal["vertical", "horizontal"] = "vertical"
    minus: str | None = None
    description: str = ""

    @field_validator("points")
    @classmethod
    def _names(cls, v: list[str]) -> list[str]:
        for name in v:
            err = resolve_point_name_error(name)
            if err:
                raise ValueError(err)
        return v

    @model_validator(mode="after")
    def _arity(self) -> Feature:
        need = {"joint": 3, "inclination": 2, "ratio": 4, "height": 4, "offset": 4}[self.kind]
        if len(self.points) != need:
            raise ValueError(f"a '{self.kind}' feature takes {need} points, got {len(self.points)}")
        if self.signed and self.kind != "joint":
            raise ValueError("'signed' applies only to joint angles")
        if self.signed and self.space != "image":
            raise ValueError("'signed' joint angles are measured in the image plane (space: image)")
        if self.plausible is not None and not self.plausible[0] < self.plausible[1]:
            raise ValueError(f"'plausible' is [lowest, highest] with lowest < highest, got {list(self.plausible)}")
        if self.pick and not any(p.startswith(("near_", "far_")) for p in self.points):
            raise ValueError("'pick' takes the larger or smaller of the two sides' values: name a side "
                             "with near_/far_ points")
        return self


class RepCounting(_Strict):
    """How one rep is recognised on the main feature.

    A rep starts when the value leaves the ``rest`` side of ``rest`` (by more
    than ``hysteresis``), reaches ``peak`` (counts as the top of the rep) and
    ends when the value is back on the rest side of ``rest``.  Whether the
    movement goes up or down follows from ``peak`` vs ``rest``.

    ``side_from`` names a signed feature whose median over the peak of a rep
    says which side the rep went to (positive = the person's left): knee rolls
    to the left or right, the leg that stepped back in a lunge.  The summary
    then reports left and right apart.

    ``relative: true`` makes ``rest`` and ``peak`` offsets from the person's
    own resting value (the median over the last ``baseline_s`` seconds at
    rest), for small movements such as the pelvic tilt whose absolute angles
    differ from person to person.  ``peak_limit`` keeps an absolute sanity
    limit: the value itself must also be beyond it (toward the peak) for the
    peak to count (a clamshell's top knee must be above the bottom one, so
    the bottom leg, whose value only follows, never counts).

    ``start: either`` lets a cycle start at either end of the movement: the
    engine takes the end the person is first seen at (after the start or a
    camera cut) as this session's rest, so a sit-to-stand filmed from
    standing counts stand -> sit -> stand cycles.  ``up_s``/``down_s`` keep
    their meaning (toward ``peak`` / toward ``rest``); not with ``relative``,
    a hold, or rules on the peak (the peak may then be the start of a cycle).

    ``adapt: true`` makes a rep a full excursion from this person's rest to
    this person's peak and back: after ``adapt_reps`` excursions (reps, or
    near misses that went at least ``min_excursion``) the thresholds move to
    the person's own range R (the median rest level and extreme of those
    excursions): rest at 30 % and peak at 70 % of R from the rest level,
    hysteresis at most 10 % of R, and the near misses that reach the learned
    peak are counted after all.  ``rest``/``peak`` (or the therapist's
    targets) only seed it; ``min_excursion`` (degrees from the person's rest
    level to the peak threshold; default half of |peak - rest|) is the
    sanity limit: movement smaller than that is never a rep, and
    ``min_duration_s`` rejects movement too fast to be one.
    """

    angle: str
    rest: _Value
    peak: _Value
    hysteresis: Annotated[float, Field(ge=0, le=30, allow_inf_nan=False)] = 4.0
    min_duration_s: Annotated[float, Field(ge=0, le=30, allow_inf_nan=False)] = 0.6
    max_duration_s: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)] = 30.0
    partial_cue: str | None = None
    relative: bool = False
    baseline_s: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] = 1.5
    side_from: str | None = None
    start: Literal["rest", "either"] = "rest"
    adapt: bool = False
    adapt_reps: Annotated[int, Field(ge=1, le=10)] = 2
    min_excursion: Annotated[float, Field(gt=0, le=2 * ANGLE_LIMIT, allow_inf_nan=False)] | None = None
    peak_limit: _Value | None = None

    @model_validator(mode="after")
    def _distinct(self) -> RepCounting:
        if abs(self.peak - self.rest) <= 2 * self.hysteresis:
            raise ValueError(
                f"'peak' ({self.peak}) and 'rest' ({self.rest}) must differ by more than "
                f"twice 'hysteresis' ({self.hysteresis})"
            )
        if self.max_duration_s <= self.min_duration_s:
            raise ValueError("'max_duration_s' must be greater than 'min_duration_s'")
        if self.peak_limit is not None and not self.relative:
            raise ValueError("'peak_limit' is for 'relative: true' (without it 'peak' is already absolute)")
        if self.start == "either" and self.relative:
            raise ValueError("'start: either' cannot be used with 'relative: true' (the baseline is the rest end)")
        if self.min_excursion is not None and self.min_excursion > abs(self.peak - self.rest):
            raise ValueError("'min_excursion' must not exceed |peak - rest| (the thresholds themselves pass it)")
        return self

    @property
    def excursion_floor(self) -> float:
        """The smallest rest-level-to-peak excursion an adapted rep may have (``min_excursion``)."""
        return self.min_excursion if self.min_excursion is not None else abs(self.peak - self.rest) / 2

    @property
    def rising(self) -> bool:
        return self.peak > self.rest


class Hold(_Strict):
    """A hold at the top of each rep; time counts only while form is correct."""

    seconds: Annotated[float, Field(gt=0, le=600, allow_inf_nan=False)]
    cue_done: str = "Good, and relax"


class FormRule(_Strict):
    """A form fault: a condition that, when true, names a fault and a cue.

    Exactly one of ``angle`` (a feature name) or ``metric`` (a rep metric) is
    tested against ``below`` and/or ``above``:

    - ``phase: peak``/``moving``: ``stat`` of the feature over the frames of
      that phase of a rep, judged once when the phase ends;
    - ``phase: always``: every frame of a rep (rest excluded); raised once
      the condition has held for ``persist_s``; while it is raised the hold clock stops, unless
      ``pause_hold: false`` (a drift worth a cue that still holds the position);
    - ``metric`` rules are judged when a rep ends (``duration_s``, ``up_s``,
      ``down_s``, ``hold_s``, ``peak``).

    Personal limits (``above_own`` / ``below_own``: a tolerance, in the value's units): the fault
    is a value more than that above (below) the person's own value of the same measurement:

    - ``own: reference`` (default): the value the therapist's reference recording of this
      patient gave (``Targets.rule_refs``).  Without a reference, the rule's absolute limit
      (``above``/``below``, the textbook one) applies; a rule with no absolute limit uses
      the person's own earlier reps of this session instead (the median of those counted so
      far, once there are ``own_reps``): "shallower than your own squats", never a textbook depth;
    - ``own: rest``: the feature's median over the last second at rest before the rep (lying
      flat before a dead bug, standing before a squat), with or without a reference;
    - ``own: hold_start`` (``phase: always``): the feature's median over the first second of this
      rep at its peak: a side plank's hips sinking as the hold goes on, against where the patient
      held them at its start, not against a textbook angle.

    ``views``: the camera views that can judge the fault (``front``: the camera faces the person,
    ``side``: side-on, ``oblique``: in between); in any other view it is not judged, and the
    coach says once what it cannot check from there.  Default: every view the exercise allows.
    ``label``: what is checked, in a few plain words ("knees caving in"), for that note and
    the reports (default: the id in words).
    """

    id: str
    cue: str
    angle: str | None = None
    metric: Literal["duration_s", "up_s", "down_s", "hold_s", "peak"] | None = None
    phase: Literal["peak", "moving", "always"] = "peak"
    stat: Literal["min", "max", "median", "mean"] = "median"
    below: _Limit | None = None
    above: _Limit | None = None
    above_own: Annotated[float, Field(ge=0, le=ANGLE_LIMIT, allow_inf_nan=False)] | None = None
    below_own: Annotated[float, Field(ge=0, le=ANGLE_LIMIT, allow_inf_nan=False)] | None = None
    own: Literal["reference", "rest", "hold_start"] = "reference"
    own_reps: Annotated[int, Field(ge=1, le=10)] = 2
    views: list[Literal["front", "side", "oblique"]] | None = None
    label: str = ""
    persist_s: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] = 0.4
    pause_hold: bool = True
    priority: Annotated[int, Field(ge=1, le=9)] = 5
    safety: bool = False
    explain: str = ""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "fault id")

    @model_validator(mode="after")
    def _what(self) -> FormRule:
        if (self.angle is None) == (self.metric is None):
            raise ValueError("give exactly one of 'angle' or 'metric'")
        if self.below is None and self.above is None and self.below_own is None and self.above_own is None:
            raise ValueError("give 'below' and/or 'above' (or 'below_own' / 'above_own')")
        if self.own == "rest" and (self.angle is None or (self.below_own is None and self.above_own is None)):
            raise ValueError("'own: rest' compares a feature ('angle') with its value at rest: give "
                             "'above_own' and/or 'below_own' too")
        if not self.pause_hold and self.phase != "always":
            raise ValueError("'pause_hold' is for 'phase: always' rules (only they stop the hold clock)")
        if self.own == "hold_start" and (self.phase != "always" or self.angle is None or not self.personal):
            raise ValueError("'own: hold_start' compares a held position with where the hold started: a "
                             "'phase: always' rule on a feature ('angle') with 'above_own' and/or 'below_own'")
        if self.views is not None and (not self.views or len(set(self.views)) != len(self.views)):
            raise ValueError("'views' lists the views that can judge the fault, each once (front, side, oblique)")
        if self.metric is not None and self.phase == "always":
            raise ValueError("'metric' rules are judged per rep; use phase 'peak' or 'moving'")
        lo, hi, what = ((-ANGLE_LIMIT, ANGLE_LIMIT, "an angle") if self.metric in (None, "peak")
                        else (0.0, TIME_LIMIT, "seconds"))
        for name, v in (("below", self.below), ("above", self.above)):
            if v is not None and not lo <= v <= hi:
                raise ValueError(f"'{name}' ({v:g}) must be within {lo:g}..{hi:g} ({what})")
        return self

    @property
    def personal(self) -> bool:
        """Has limits relative to the person's own value (``above_own`` / ``below_own``)?"""
        return self.above_own is not None or self.below_own is not None

    @property
    def absolute(self) -> bool:
        return self.above is not None or self.below is not None

    @property
    def what(self) -> str:
        """What the rule checks, in words (``label``, else the id)."""
        return self.label or self.id.replace("_", " ")

    def limits(self, own: float | None = None) -> tuple[float | None, float | None]:
        """(below, above): the limits in force, from the person's ``own`` value when there is one
        and the rule has personal limits, else the absolute ones."""
        if own is not None and self.personal:
            return (None if self.below_own is None else own - self.below_own,
                    None if self.above_own is None else own + self.above_own)
        return self.below, self.above

    def violated(self, value: float, own: float | None = None) -> bool:
        below, above = self.limits(own)
        return (below is not None and value < below) or (above is not None and value > above)


class Dosage(_Strict):
    sets: Annotated[int, Field(ge=1, le=20)] = 1
    reps: Annotated[int, Field(ge=1, le=100)] = 5
    hold_s: Annotated[float, Field(ge=0, le=600, allow_inf_nan=False)] = 0.0
    rest_s: Annotated[float, Field(ge=0, le=600, allow_inf_nan=False)] = 60.0
    progression: str = ""


class Exercise(_Strict):
    """One exercise.

    - ``counting: reps`` counts rest -> peak -> rest cycles; ``hold`` times how
      long the position (the peak) is held: every continuous hold is one entry,
      split at camera cuts, and ``reps`` is the number of holds.
    - ``sides: near`` judges the side facing the camera (``near_``/``far_``
      names); ``both`` runs the rules on each side separately (``near_`` then
      means the side being judged) and reports left and right apart; with
      ``count_per: pair`` a left and a right rep make one rep.
    - ``sides_together`` (``sides: both``): ``one`` when the movement may also be
      done with both sides at once, which is then one rep or hold (side ``both``),
      not one per side: a seated forward fold over both legs, both knees hugged to
      the chest.  ``each`` (default): each side's movement counts on its own.
    - ``view``: where the camera must be.  ``side`` (side-on), ``front`` (facing it), ``any``;
      ``oblique``: side-on or turned up to halfway to the front (a laptop on the floor at an
      angle), for an exercise whose every angle is measured in 3D (``space: world``), which an
      oblique camera does not distort the way it distorts angles in the picture.
    - ``posture`` (default ``any``): the posture the whole movement is done in,
      ``lying`` (back, front or side) or ``all_fours`` (the trunk stays near
      horizontal in the picture) or ``upright``.  When the camera sees several
      people, the coach follows the one in this posture (``core.people``): a
      clinician kneeling behind a side-lying patient is not the patient.  Leave
      it ``any`` where the trunk swings through wide angles (a squat).
    """

    schema_version: Literal[1] = 1
    id: str
    name: str
    summary: str
    category: Literal["core", "mobility", "functional", "strength"] = "core"
    view: Literal["side", "oblique", "front", "any"]
    posture: Literal["any", "lying", "all_fours", "upright"] = "any"
    camera_setup: str
    counting: Literal["reps", "hold"] = "reps"
    sides: Literal["near", "both"] = "near"
    count_per: Literal["side", "pair"] = "side"
    sides_together: Literal["each", "one"] = "each"
    angles: dict[str, Feature]
    rep: RepCounting
    hold: Hold | None = None
    form_rules: list[FormRule] = []
    dosage: Dosage = Dosage()
    instructions: list[str]
    praise: list[str] = ["Good rep", "Nice and controlled", "Well done"]
    safety: str = "Stop if the pain gets worse, or you feel numbness, tingling or leg weakness."
    source: str = ""

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _check_id(v, "exercise id")

    @field_validator("summary")
    @classmethod
    def _one_line(cls, v: str) -> str:
        if "\n" in v.strip():
            raise ValueError("'summary' must be one line")
        return v.strip()

    @field_validator("instructions")
    @classmethod
    def _steps(cls, v: list[str]) -> list[str]:
        if not v:
            raise ValueError("give at least one instruction step")
        return v

    @model_validator(mode="after")
    def _references(self) -> Exercise:
        def check(name: str, where: str) -> None:
            if name not in self.angles:
                close = difflib.get_close_matches(name, list(self.angles), n=1) if len(name) <= 40 else []
                hint = f"; did you mean '{close[0]}'?" if close else ""
                defined = ", ".join(short_repr(a, 40) if len(a) > 40 else a for a in sorted(self.angles)[:12])
                more = ", ..." if len(self.angles) > 12 else ""
                raise ValueError(
                    f"{where}: {short_repr(name)} is not one of the angles defined in 'angles' "
                    f"({defined}{more}){hint}"
                )

        check(self.rep.angle, "rep.angle")
        for name, f in self.angles.items():
            if f.minus is not None:
                check(f.minus, f"angles.{name}.minus")
                other = self.angles[f.minus]
                if other.minus is not None or other.pick is not None or f.minus == name:
                    raise ValueError(f"angles.{name}.minus: {short_repr(f.minus)} must be a plain feature "
                                     "(no 'minus' or 'pick' of its own)")
        flat = sorted(name for name, f in self.angles.items() if f.space != "world")
        if self.view == "oblique" and flat:
            raise ValueError(
                f"view: oblique: every angle must be measured in 3D ('space: world'), which an oblique "
                f"camera does not distort; {', '.join(short_repr(n, 40) for n in flat[:5])} "
                f"{'is' if len(flat) == 1 else 'are'} in the picture ('space: image')"
            )
        if self.sides_together == "one" and (self.sides != "both" or self.count_per != "side"):
            raise ValueError("sides_together: one: only with 'sides: both' and 'count_per: side'")
        if self.rep.side_from is not None:
            check(self.rep.side_from, "rep.side_from")
            if self.sides == "both":
                raise ValueError("rep.side_from: not with 'sides: both' (each side is judged on its own there)")
        if self.rep.start == "either" and (self.counting == "hold" or self.hold is not None or any(
                r.metric == "peak" for r in self.form_rules)):
            raise ValueError("rep.start: either: not with a hold or a rule on the peak value (a cycle may start there)")
        seen: set[str] = set()
        for i, rule in enumerate(self.form_rules):
            if rule.angle is not None:
                check(rule.angle, f"form_rules[{i}].angle")
            if rule.id in seen:
                raise ValueError(f"form_rules[{i}].id: fault id {short_repr(rule.id)} is used twice")
            # A side (front) exercise's camera is accepted turned up to 50 (40) degrees from side-on
            # (facing it), where the rules' view is already oblique: a fault that needs the camera
            # turned halfway (both hips of a bird dog in sight) can still be judged there.
            allowed = {"side": {"side", "oblique"}, "front": {"front", "oblique"},
                       "oblique": {"side", "oblique"}}.get(self.view)
            if rule.views is not None and allowed is not None and not allowed & set(rule.views):
                raise ValueError(f"form_rules[{i}].views: {rule.views} never happens in this exercise's "
                                 f"view ({self.view}): the fault would never be judged")
            seen.add(rule.id)
        return self
