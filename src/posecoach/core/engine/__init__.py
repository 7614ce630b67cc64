"""The exercise engine: counts reps, times holds and judges form for one side of the body.

- ``counter``: the rep/hold state machine (``ExerciseEngine``), the only place a rep is closed;
- ``rules``: the form rules (what is violated, and the fault tally);
- ``baseline``: the relative baseline (``rep.relative`` exercises);
- ``records``: what it hands out (``RepRecord``, ``EngineEvent``, ``Targets``, ``Phase``,
  and the ``EventKind``/``ResetReason`` enums).

Import from here: ``from posecoach.core.engine import ExerciseEngine, EngineEvent``.
"""

from __future__ import annotations

from posecoach.core.engine.counter import Closing, ExerciseEngine, hold_target, times_holds
from posecoach.core.engine.records import (
    EngineEvent,
    EventKind,
    Phase,
    RepRecord,
    ResetReason,
    Targets,
)

__all__ = ["Closing", "EngineEvent", "EventKind", "ExerciseEngine", "Phase", "RepRecord", "ResetReason", "Targets",
           "hold_target", "times_holds"]
