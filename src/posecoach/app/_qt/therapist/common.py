"""What the therapist page's tabs share: the clinic, the exercises, the chosen patient, messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox

from posecoach.app._qt.therapist.jobs import off_gui
from posecoach.core.exercise.schema import Exercise

__all__ = ["PageContext", "exercise_combo", "spin"]

T = TypeVar("T")


@dataclass(frozen=True)
class PageContext:
    """Handed to every tab: ``db(fn)`` runs ``fn(clinic)`` off the GUI thread and returns its result."""

    clinic: Any
    exercises: dict[str, Exercise]
    patient_id: Callable[[], int | None]
    say: Callable[..., None]  # say(text): a problem; say(text, ok=True): news, not an error

    def db(self, fn: Callable[[Any], T]) -> T:
        clinic = self.clinic
        return off_gui(lambda: fn(clinic))

    def exercise_name(self, exercise_id: str) -> str:
        ex = self.exercises.get(exercise_id)
        return ex.name if ex else exercise_id


def spin(lo: float, hi: float, decimals: int = 1, suffix: str = "") -> QDoubleSpinBox:
    """A number field whose minimum shows "-" and means "not set"."""
    w = QDoubleSpinBox()
    w.setRange(lo, hi)
    w.setDecimals(decimals)
    w.setSuffix(suffix)
    w.setSpecialValueText("-")
    return w


def exercise_combo(exercises: dict[str, Exercise]) -> QComboBox:
    c = QComboBox()
    for e in exercises.values():
        c.addItem(e.name, e.id)
    return c
