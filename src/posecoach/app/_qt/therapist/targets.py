"""The targets box (on the "Reference and targets" tab): review, adjust and save a patient's targets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
)

from posecoach.app._qt.therapist.common import PageContext, spin
from posecoach.clinic.targets import value_unit
from posecoach.core.exercise.schema import Exercise
from posecoach.errors import PosecoachError

__all__ = ["TargetsBox"]


def _source_line(ex: Exercise, t: dict) -> str:
    """Where the targets come from, and the exercise's own thresholds."""
    default = f"The exercise's own thresholds: rest {ex.rep.rest:g}, peak {ex.rep.peak:g}"
    if ex.hold is not None:
        default += f", hold {ex.hold.seconds:g} s"
    if t.get("reference_id"):
        share = t.get("rom_share")
        src = f"From reference #{t['reference_id']}" + (f" at {100 * float(share):.0f}% of its range" if share else "")
    elif t:
        src = "Set by hand"
    else:
        src = "No targets yet"
    return f"{src}. {default}."


class TargetsBox(QGroupBox):
    """``show(exercise, targets)`` fills the fields; ``save`` checks them as the coach would, then stores."""

    def __init__(self, ctx: PageContext, exercise_id: Callable[[], str | None]) -> None:
        super().__init__("Targets the coach judges this patient against (review, adjust, save)")
        self.ctx = ctx
        self._exercise_id = exercise_id
        self.shown: dict = {}
        self.t_rest = spin(-1, 360, 1, " deg")
        self.t_peak = spin(-1, 360, 1, " deg")
        self.t_hold = spin(-0.1, 120, 1, " s")
        self.t_tempo = spin(-0.1, 60, 1, " s/rep")
        self.t_note = QLineEdit()
        self.t_source = QLabel("")
        self.t_source.setObjectName("hint")
        self.t_source.setWordWrap(True)
        self.save_targets_button = QPushButton("Save targets")
        self.clear_targets_button = QPushButton("Use the exercise's defaults")
        self.clear_targets_button.clicked.connect(self.clear)
        f = QFormLayout(self)
        f.addRow("Rest (main angle)", self.t_rest)
        f.addRow("Peak (main angle)", self.t_peak)
        f.addRow("Hold", self.t_hold)
        f.addRow("Tempo", self.t_tempo)
        f.addRow("Note", self.t_note)
        f.addRow(self.t_source)
        b = QHBoxLayout()
        b.addWidget(self.save_targets_button)
        b.addWidget(self.clear_targets_button)
        f.addRow(b)

    @staticmethod
    def _set(w: QDoubleSpinBox, v: Any) -> None:
        w.setValue(w.minimum() if v is None else float(v))

    @staticmethod
    def _value(w: QDoubleSpinBox) -> float | None:
        return None if w.value() <= w.minimum() else round(float(w.value()), w.decimals())

    def _units(self, ex: Exercise) -> None:
        """Degrees, or (a pelvic tilt's hip slide) fractions of the body length to 0.0001."""
        unit, digits = value_unit(ex)
        for w in (self.t_rest, self.t_peak):
            w.setDecimals(digits)
            w.setSuffix(unit)
            w.setRange(-1, 360 if digits == 1 else 1)
            w.setSingleStep(1.0 if digits == 1 else 0.0005)

    def show_targets(self, ex: Exercise, targets: dict | None) -> None:
        t = dict(targets or {})
        self.shown = t
        self._units(ex)
        self._set(self.t_rest, t.get("rest"))
        self._set(self.t_peak, t.get("peak"))
        self._set(self.t_hold, t.get("hold_s"))
        self._set(self.t_tempo, t.get("tempo_s"))
        self.t_note.setText(str(t.get("note") or ""))
        self.t_source.setText(_source_line(ex, t))

    def from_form(self) -> dict:
        t = dict(self.shown)
        t.update(rest=self._value(self.t_rest), peak=self._value(self.t_peak), hold_s=self._value(self.t_hold),
                 tempo_s=self._value(self.t_tempo), note=self.t_note.text().strip())
        return t

    def save(self) -> bool:
        """Check the targets the way the coach will use them, then store them; False with a message if not."""
        from posecoach.clinic.targets import targets_for

        pid, ex_id = self.ctx.patient_id(), self._exercise_id()
        if pid is None or ex_id is None:
            return False
        t = self.from_form()
        ex = self.ctx.exercises[ex_id]
        try:
            targets_for(ex, t)  # the same check the coach makes
            self.ctx.db(lambda c: c.set_targets(pid, ex_id, t))
        except PosecoachError as exc:
            self.ctx.say(f"Targets not saved: {exc}")
            return False
        self.ctx.say("")
        return True

    def clear(self) -> None:
        for w in (self.t_rest, self.t_peak, self.t_hold, self.t_tempo):
            self._set(w, None)
