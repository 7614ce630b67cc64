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
    """Per-patient overrides of an exercise's counting thresholds and hold."""

    rest: float | None = None
    peak: float | None = None
    hold_s: float | None = None
