"""The "Programme" tab: the patient's exercises x sets x reps x hold, the days and the progression rule."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from posecoach.app._qt.therapist.common import PageContext, exercise_combo
from posecoach.clinic.records import DEFAULT_RULE, PlannedItem, Programme, ProgrammeItem
from posecoach.core.exercise.schema import Exercise
from posecoach.errors import PosecoachError

__all__ = ["ProgrammeTab", "dosage_of"]


def dosage_of(ex: Exercise | None) -> dict[str, Any]:
    """An exercise's own dosage for a new programme row: sets and reps (for a hold exercise, the
    number of holds) from its file, and the hold in seconds (a hold exercise's ``hold`` when its
    dosage names none; 0 = no hold)."""
    if ex is None:
        return {"sets": 2, "reps": 10, "hold_s": 0.0}
    hold = float(ex.dosage.hold_s or 0.0)
    if not hold and ex.hold is not None:
        hold = float(ex.hold.seconds)
    return {"sets": int(ex.dosage.sets), "reps": int(ex.dosage.reps), "hold_s": hold}


def _kind(reps: QSpinBox, ex: Exercise | None) -> None:
    """The reps field says what it counts: holds for a hold exercise, reps for the others."""
    holds = ex is not None and ex.counting == "hold"
    reps.setSuffix(" holds" if holds else " reps")
    reps.setToolTip("How many holds in each set" if holds else "How many reps in each set")


def _int_spin(lo: int, hi: int, value: int) -> QSpinBox:
    w = QSpinBox()
    w.setRange(lo, hi)
    w.setValue(value)
    return w


class ProgrammeTab(QWidget):
    """Emits ``saved`` after a programme is stored."""

    saved = Signal()

    def __init__(self, ctx: PageContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.prog_table = QTableWidget(0, 4)
        self.prog_table.setHorizontalHeaderLabels(["Exercise", "Sets", "Reps or holds", "Hold"])
        self.prog_table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for c in (1, 2, 3):  # "Reps or holds" and "12 holds" in full
            self.prog_table.horizontalHeader().setSectionResizeMode(c, QHeaderView.ResizeMode.ResizeToContents)
        self.prog_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.add_item_button = QPushButton("Add exercise")
        self.add_item_button.clicked.connect(lambda: self.add_programme_row())
        self.remove_item_button = QPushButton("Remove selected")
        self.remove_item_button.clicked.connect(self.remove_selected_rows)
        self.days = _int_spin(1, 7, 5)
        self.rule_add = _int_spin(0, 5, 1)
        self.rule_every = _int_spin(1, 30, 3)
        self.rule_max = _int_spin(1, 100, 15)
        self.rule_add_hold = QDoubleSpinBox()
        self.rule_add_hold.setRange(0, 60)
        self.rule_add_hold.setDecimals(0)
        self.rule_add_hold.setSuffix(" s")
        self.rule_add_hold.setValue(float(DEFAULT_RULE["add_hold_s"]))
        self.rule_max_hold = QDoubleSpinBox()
        self.rule_max_hold.setRange(1, 600)
        self.rule_max_hold.setDecimals(0)
        self.rule_max_hold.setSuffix(" s")
        self.rule_max_hold.setValue(float(DEFAULT_RULE["max_hold_s"]))
        self.rule_hold_back = QCheckBox("Hold back when pain rises (drop a step if it rose by 2 or more)")
        self.rule_hold_back.setChecked(True)
        self.save_prog_button = QPushButton("Save programme")
        self.save_prog_button.clicked.connect(self.save_programme)
        self.today_label = QLabel("")
        self.today_label.setWordWrap(True)
        self.today_label.setObjectName("hint")
        rule = QGroupBox("Days and progression")
        f = QFormLayout(rule)
        f.addRow("Days per week", self.days)
        f.addRow("...after this many sessions without more pain", self.rule_every)
        f.addRow("Rep exercises: add reps", self.rule_add)
        f.addRow("...up to reps", self.rule_max)
        f.addRow("Hold exercises: hold longer by", self.rule_add_hold)
        f.addRow("...up to", self.rule_max_hold)
        f.addRow(self.rule_hold_back)
        btns = QHBoxLayout()
        btns.addWidget(self.add_item_button)
        btns.addWidget(self.remove_item_button)
        btns.addStretch(1)
        v = QVBoxLayout(self)
        v.addWidget(self.prog_table, 1)
        v.addLayout(btns)
        v.addWidget(rule)
        v.addWidget(self.save_prog_button)
        v.addWidget(self.today_label)

    def add_programme_row(self, item: ProgrammeItem | Mapping[str, Any] | None = None) -> int:
        """A row for ``item``, or (new row) the first exercise with its own dosage; choosing another
        exercise in the row puts that exercise's dosage in (``dosage_of``)."""
        it = item.to_dict() if isinstance(item, ProgrammeItem) else dict(item or {})
        r = self.prog_table.rowCount()
        self.prog_table.insertRow(r)
        combo = exercise_combo(self.ctx.exercises)
        if it.get("exercise_id"):
            i = combo.findData(it["exercise_id"])
            if i >= 0:
                combo.setCurrentIndex(i)
        ex = self.ctx.exercises.get(combo.currentData())
        sets, reps, hold = QSpinBox(), QSpinBox(), QDoubleSpinBox()
        sets.setRange(1, 20)
        reps.setRange(1, 100)
        hold.setRange(0, 120)
        hold.setDecimals(0)
        hold.setSuffix(" s")
        hold.setSpecialValueText("-")  # 0: no hold
        d = dosage_of(ex)
        sets.setValue(int(it.get("sets") or d["sets"]))
        reps.setValue(int(it.get("reps") or d["reps"]))
        hold.setValue(float(it["hold_s"] if it.get("hold_s") is not None else d["hold_s"]))
        _kind(reps, ex)
        combo.currentIndexChanged.connect(lambda _i: self._exercise_changed(combo, sets, reps, hold))
        for c, w in enumerate((combo, sets, reps, hold)):
            self.prog_table.setCellWidget(r, c, w)
        return r

    def _exercise_changed(self, combo: QComboBox, sets: QSpinBox, reps: QSpinBox, hold: QDoubleSpinBox) -> None:
        """Another exercise in a row: its own sets, reps (or holds) and hold, not the last one's."""
        ex = self.ctx.exercises.get(combo.currentData())
        d = dosage_of(ex)
        sets.setValue(d["sets"])
        reps.setValue(d["reps"])
        hold.setValue(d["hold_s"])
        _kind(reps, ex)

    def remove_selected_rows(self) -> None:
        rows = sorted({i.row() for i in self.prog_table.selectionModel().selectedRows()}, reverse=True)
        if not rows and self.prog_table.currentRow() >= 0:
            rows = [self.prog_table.currentRow()]
        for r in rows:
            self.prog_table.removeRow(r)

    def programme_items(self) -> list[dict]:
        out = []
        for r in range(self.prog_table.rowCount()):
            combo, sets, reps, hold = (self.prog_table.cellWidget(r, c) for c in range(4))
            assert isinstance(combo, QComboBox) and isinstance(sets, QSpinBox) and isinstance(reps, QSpinBox)
            assert isinstance(hold, QDoubleSpinBox)
            out.append({"exercise_id": combo.currentData(), "sets": int(sets.value()), "reps": int(reps.value()),
                        "hold_s": float(hold.value())})
        return out

    def programme_rule(self) -> dict:
        return {"add_reps": int(self.rule_add.value()), "every_n_sessions": int(self.rule_every.value()),
                "max_reps": int(self.rule_max.value()), "hold_back_if_pain_rises": self.rule_hold_back.isChecked(),
                "add_hold_s": float(self.rule_add_hold.value()), "max_hold_s": float(self.rule_max_hold.value())}

    def show_programme(self) -> None:
        """The patient's current programme in the table and the rule fields, and today's plan below."""
        pid = self.ctx.patient_id()
        prog: Programme | None
        plan: list[PlannedItem]
        prog, plan = self.ctx.db(lambda c: (c.programme(pid), c.todays_plan(pid))) if pid is not None else (None, [])
        self.prog_table.setRowCount(0)
        if prog:
            for it in prog.items:
                self.add_programme_row(it)
            self.days.setValue(int(prog.days_per_week or 5))
            self.rule_add.setValue(prog.rule.add_reps)
            self.rule_every.setValue(prog.rule.every_n_sessions)
            self.rule_max.setValue(prog.rule.max_reps)
            self.rule_hold_back.setChecked(prog.rule.hold_back_if_pain_rises)
            self.rule_add_hold.setValue(prog.rule.add_hold_s)
            self.rule_max_hold.setValue(prog.rule.max_hold_s)
        self._show_today(plan)

    def _show_today(self, plan: list[PlannedItem]) -> None:
        if not plan:
            self.today_label.setText("No programme yet: add exercises and save.")
            return
        lines = [f"{self.ctx.exercise_name(i.exercise_id)} {i.sets} x {i.reps}"
                 + (f", hold {float(i.hold_s):g} s" if i.hold_s else "")
                 + (f" [{i.progression}]" if i.progression != "as prescribed" else "") for i in plan]
        self.today_label.setText("Today, after progression:\n" + "\n".join(lines))

    def save_programme(self) -> bool:
        pid = self.ctx.patient_id()
        if pid is None:
            return False
        items = self.programme_items()
        if not items:
            self.ctx.say("Add at least one exercise to the programme.")
            return False
        days, rule = int(self.days.value()), self.programme_rule()
        try:
            self.ctx.db(lambda c: c.set_programme(pid, items, days_per_week=days, rule=rule))
        except PosecoachError as exc:
            self.ctx.say(f"Programme not saved: {exc}")
            return False
        self.ctx.say("")
        self.show_programme()
        self.saved.emit()
        return True
