"""What the engine hands out: rep records, events, per-patient targets, phases.

Kept apart from the state machine so that code which only reads results
(history, cues, reports) depends on plain data, not on the counting logic.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

from posecoach.core.exercise.schema import FormRule
from posecoach.core.types import EventKind, ResetReason

__all__ = ["EngineEvent", "EventKind", "Phase", "RepRecord", "ResetReason", "Targets"]


class Phase(StrEnum):
    """Where the main feature is in the rep cycle (see ``posecoach.core.engine.counter``)."""

    UNKNOWN = "unknown"
    REST = "rest"
    MOVING = "moving"
    PEAK = "peak"
    RETURNING = "returning"


def _rounded(v: float | None) -> float | None:
    """JSON value of a measurement: 3 decimals, ``None`` for a missing (NaN) one."""
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else round(v, 3)


def short_by(target_s: float) -> float:
    """How far under its target a hold may read and still meet it (see ``RepRecord.short``)."""
    return min(0.5, 0.1 * target_s)


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
    hold_target_s: float = 0.0  # the hold each rep is to reach (0: none)
    measured: dict[str, float] = field(default_factory=dict)  # rule id -> the value it judged
    fault_details: list[dict] = field(default_factory=list)  # per fault: value, limit, where the limit came from
    why: str = ""  # a partial attempt: why it did not count ("short of the peak", "too fast")

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def short(self) -> bool:
        """Held less than its hold target: counted as a movement, but not as the prescribed work
        (a set is done only by reps that meet their hold; the summary shows it as short).  The
        timer may read a little under a hold timed by hand (it starts once the position is still,
        and at 10-15 frames a second a frame or two is lost at either end: 0.2-0.3 s on the
        footage bench), so ``short_by`` of it is forgiven: a tenth of the target, at most 0.5 s."""
        return self.hold_target_s > 0 and self.hold_s < self.hold_target_s - short_by(self.hold_target_s)

    def to_dict(self) -> dict:
        r = _rounded
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
            "hold_target_s": r(self.hold_target_s) if self.hold_target_s > 0 else None,
            "short": self.short,
            "fault_details": [dict(d) for d in self.fault_details],
            "measured": {k: r(v) for k, v in self.measured.items()},
            **({"why_not_counted": self.why} if self.why else {}),
        }


@dataclass(frozen=True)
class EngineEvent:
    """Something the engine noticed at time ``t``.

    ``kind`` (an ``EventKind``): ``rep`` (a rep completed; ``rep`` is set),
    ``partial`` (a rep started but did not reach the peak), ``fault``
    (``rule`` is set), ``hold_done`` (the hold target was reached), ``reset``
    (cycle abandoned: ``detail`` is the ``ResetReason``).  For other kinds
    ``detail`` is the text to say (partial and hold cues) or a note
    (``return not seen``).
    """

    t: float
    kind: EventKind
    rep: RepRecord | None = None
    rule: FormRule | None = None
    detail: str = ""


@dataclass(frozen=True)
class Targets:
    """Per-patient overrides of an exercise's counting thresholds and hold.

    ``rule_refs``: fault rule id -> the value the therapist's reference recording of this
    patient gave for that rule's measurement (median over its reps): the rules with personal
    limits (``FormRule.above_own`` / ``below_own``) are judged from it."""

    rest: float | None = None
    peak: float | None = None
    hold_s: float | None = None
    rule_refs: dict[str, float] = field(default_factory=dict)
