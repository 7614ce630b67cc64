"""Before starting: the exercise, the camera (or a video file), the pain check, the plan."""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup, QCheckBox, QComboBox, QFileDialog, QFrame, QGridLayout, QGroupBox, QHBoxLayout, QLabel, QListWidget,
    QListWidgetItem, QPushButton, QRadioButton, QScrollArea, QSlider, QSpinBox, QTextBrowser, QVBoxLayout, QWidget,
)

from posecoach.app.wording import dose_text, rest_text
from posecoach.core.exercise.schema import Exercise
from posecoach.io.sources import VIDEO_SUFFIXES

__all__ = ["SetupPage"]


class SetupPage(QWidget):
    """Emits ``start_requested(source, exercise_id, pain_before, sets, reps)``.

    With patients in the clinic database, "Who is exercising" picks one (``patient_changed(id or
    None)``); the window then fills "Today's plan" (``set_plan``) from their programme, and
    choosing a line of it picks the exercise with its sets and reps.  "Therapist..." emits
    ``therapist_requested``."""

    start_requested = Signal(object, str, int, int, int)
    patient_changed = Signal(object)
    therapist_requested = Signal()
    posture_guide_requested = Signal()
    posture_check_requested = Signal()
    demo_requested = Signal()  # "Try the demo": coaching on a generated video, no camera needed

    def __init__(self, exercises: list[Exercise], problems: list[str], parent=None) -> None:
        super().__init__(parent)
        self.exercises = {e.id: e for e in exercises}
        self.video_path: str | None = None
        left = self._exercise_column(exercises, problems)
        left.addWidget(self._posture_box())  # under the list: in view without scrolling
        self.details = QTextBrowser()
        self.details.setOpenExternalLinks(False)
        self.details.setMinimumWidth(360)
        right = QVBoxLayout()
        for box in (self._who_box(), self._camera_box(), self._plan_box(), self._speech_box(), self._pain_box()):
            right.addWidget(box)
        right.addStretch(1)
        # The settings scroll when the window is too low for them (a 768 px laptop screen with the
        # pain warning and its confirmation shown): squashed, their text was cut off.  Start and the
        # error line stay in view below them.
        boxes = QWidget()
        boxes.setLayout(right)
        scroll = self._scroll = QScrollArea()
        scroll.setWidget(boxes)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        column = QVBoxLayout()
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(scroll, 1)
        self._start_row(column)
        right_w = QFrame()
        right_w.setLayout(column)
        right_w.setFixedWidth(380)
        lay = QHBoxLayout(self)
        lay.addLayout(left)
        lay.addWidget(self.details, 1)
        lay.addWidget(right_w)
        if exercises:
            self.list.setCurrentRow(0)

    # -- building ---------------------------------------------------------------
    def _exercise_column(self, exercises: list[Exercise], problems: list[str]) -> QVBoxLayout:
        """The title, the exercise list and a note on exercise files that could not be read."""
        title = QLabel("Today's exercise")
        title.setObjectName("pageTitle")
        self.list = QListWidget()
        self.list.setMinimumWidth(220)
        self.list.setMaximumWidth(300)
        for e in exercises:
            item = QListWidgetItem(e.name)
            item.setData(Qt.ItemDataRole.UserRole, e.id)
            item.setToolTip(e.summary)
            self.list.addItem(item)
        self.list.currentItemChanged.connect(self._show_exercise)
        left = QVBoxLayout()
        left.addWidget(title)
        left.addWidget(self.list, 1)
        if problems:
            warn = QLabel("Not shown (invalid file): " + "; ".join(problems))
            warn.setWordWrap(True)
            warn.setObjectName("warning")
            left.addWidget(warn)
        return left

    def _camera_box(self) -> QGroupBox:
        box = QGroupBox("Camera")
        self.use_camera = QRadioButton("Camera number")
        self.use_video = QRadioButton("Video file")
        grp = QButtonGroup(self)
        grp.addButton(self.use_camera)
        grp.addButton(self.use_video)
        self.use_camera.setChecked(True)
        self.camera_index = QSpinBox()
        self.camera_index.setRange(0, 9)
        self.camera_index.setToolTip("0 is the laptop's own camera; try 1 for a plugged-in one")
        self.video_button = QPushButton("Play a video file instead...")
        self.video_button.clicked.connect(self._choose_video)
        self.video_label = QLabel("no video chosen")
        self.video_label.setWordWrap(True)
        self.video_label.setObjectName("hint")
        g = QGridLayout(box)
        g.addWidget(self.use_camera, 0, 0)
        g.addWidget(self.camera_index, 0, 1)
        g.addWidget(self.use_video, 1, 0, 1, 2)
        g.addWidget(self.video_button, 2, 0, 1, 2)
        g.addWidget(self.video_label, 3, 0, 1, 2)
        self.demo_button = QPushButton("Try the demo (no camera needed)")
        self.demo_button.setToolTip("Watch the coach count a stick figure's reps: nothing is saved")
        self.demo_button.clicked.connect(self.demo_requested.emit)
        g.addWidget(self.demo_button, 4, 0, 1, 2)
        return box

    def _who_box(self) -> QGroupBox:
        """The patient choice and today's programme."""
        box = QGroupBox("Who is exercising")
        self.patient = QComboBox()
        self.patient.addItem("Just me (no programme)", None)
        self.patient.currentIndexChanged.connect(lambda _i: self.patient_changed.emit(self.patient_id()))
        self.therapist_button = QPushButton("Therapist...")
        self.therapist_button.setToolTip("Patients, references, targets, programmes and progress")
        self.therapist_button.clicked.connect(self.therapist_requested.emit)
        self.plan_list = QListWidget()
        self.plan_list.setMaximumHeight(110)
        self.plan_list.currentItemChanged.connect(self._plan_chosen)
        self.plan_hint = QLabel("")
        self.plan_hint.setWordWrap(True)
        self.plan_hint.setObjectName("hint")
        g = QGridLayout(box)
        g.addWidget(self.patient, 0, 0)
        g.addWidget(self.therapist_button, 0, 1)
        g.addWidget(QLabel("Today's plan"), 1, 0, 1, 2)
        g.addWidget(self.plan_list, 2, 0, 1, 2)
        g.addWidget(self.plan_hint, 3, 0, 1, 2)
        self.plan_items: list[dict] = []
        self.set_plan([], "")
        return box

    def _plan_box(self) -> QGroupBox:
        box = QGroupBox("Plan")
        self.sets = QSpinBox()
        self.sets.setRange(1, 20)
        self.reps = QSpinBox()
        self.reps.setRange(1, 100)
        g = QGridLayout(box)
        g.addWidget(QLabel("Sets"), 0, 0)
        g.addWidget(self.sets, 0, 1)
        g.addWidget(QLabel("Reps per set"), 1, 0)
        g.addWidget(self.reps, 1, 1)
        return box

    def _speech_box(self) -> QGroupBox:
        box = QGroupBox("Voice")
        self.count_aloud = QCheckBox("Count the reps aloud")
        self.rate = QSpinBox()
        self.rate.setRange(80, 400)
        self.rate.setSingleStep(10)
        self.rate.setSuffix(" words/min")
        self.voice = QComboBox()
        self.voice.addItem("Default voice", None)
        g = QGridLayout(box)
        g.addWidget(self.count_aloud, 0, 0, 1, 2)
        g.addWidget(QLabel("Speed"), 1, 0)
        g.addWidget(self.rate, 1, 1)
        g.addWidget(QLabel("Voice"), 2, 0)
        g.addWidget(self.voice, 2, 1)
        return box

    def _pain_box(self) -> QGroupBox:
        box = QGroupBox("Pain check")
        self.pain = QSlider(Qt.Orientation.Horizontal)
        self.pain.setRange(0, 10)
        self.pain.setPageStep(1)
        self.pain.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.pain.setTickInterval(1)
        self.pain_label = QLabel()
        self.pain.valueChanged.connect(self._pain_changed)
        pv = QVBoxLayout(box)
        q = QLabel("How much does your back hurt right now? (0 = no pain, 10 = worst)")
        q.setWordWrap(True)
        pv.addWidget(q)
        row = QHBoxLayout()
        row.addWidget(self.pain, 1)
        row.addWidget(self.pain_label)
        pv.addLayout(row)
        self.pain_warning = QLabel("With pain this strong, rest today and talk to your doctor or physiotherapist.")
        self.pain_warning.setWordWrap(True)
        self.pain_warning.setObjectName("warning")
        pv.addWidget(self.pain_warning)
        self.caution_label = QLabel("")
        self.caution_label.setWordWrap(True)
        self.caution_label.setObjectName("safety")
        self.caution_label.hide()
        pv.addWidget(self.caution_label)
        self.confirm = QCheckBox("I have read this; I still want to exercise")
        self.confirm.toggled.connect(lambda _on: self._update_start())
        pv.addWidget(self.confirm)
        self._caution = ""
        return box

    def _posture_box(self) -> QGroupBox:
        """Posture education: the how-to page and the posture check at the laptop (``app._qt.posture``)."""
        box = QGroupBox("Posture")
        self.posture_guide_button = QPushButton("How to sit, stand and lift")
        self.posture_guide_button.clicked.connect(self.posture_guide_requested.emit)
        self.posture_check_button = QPushButton("Posture check at my laptop")
        self.posture_check_button.setToolTip("A small window on top watches your posture on the camera above "
                                             "and reminds you gently when you have slumped for a while")
        self.posture_check_button.clicked.connect(self.posture_check_requested.emit)
        lay = QVBoxLayout(box)
        lay.addWidget(self.posture_guide_button)
        lay.addWidget(self.posture_check_button)
        return box

    def _start_row(self, column: QVBoxLayout) -> None:
        """The error line and the big Start button, at the bottom of ``column``."""
        self.start_button = QPushButton("Start")
        self.start_button.setObjectName("startButton")
        self.start_button.setMinimumHeight(64)
        self.start_button.clicked.connect(self._start)
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setObjectName("error")
        self.error_label.hide()
        # A red-flag "yes" (``posecoach.app._qt.red_flags``): the advice, and Start stays grey for
        # this patient until their therapist clears it (no confirmation box can override it).
        self.blocked_label = QLabel("")
        self.blocked_label.setWordWrap(True)
        self.blocked_label.setObjectName("safety")
        self.blocked_label.hide()
        self._blocked = ""
        column.addWidget(self.blocked_label)
        column.addWidget(self.error_label)
        column.addWidget(self.start_button)
        self._pain_changed(0)

    def showEvent(self, event) -> None:
        """The exercise list as wide as its longest name in the window's font (known once shown): on a
        1366 px screen "Hamstring stretch (lying or seated)" was cut."""
        super().showEvent(event)
        lst = self.list
        widest = lst.sizeHintForColumn(0) + 2 * lst.frameWidth() + lst.verticalScrollBar().sizeHint().width() + 4
        lst.setMinimumWidth(max(220, widest))
        lst.setMaximumWidth(max(300, widest))

    # -- state ----------------------------------------------------------------
    def set_voices(self, voices: list[tuple[str, str]], current: str | None) -> None:
        """(id, name) pairs from the speaker; ``current`` is selected if present."""
        self.voice.blockSignals(True)
        self.voice.clear()
        self.voice.addItem("Default voice", None)
        for vid, name in voices:
            self.voice.addItem(name or vid, vid)
        i = self.voice.findData(current) if current else 0
        self.voice.setCurrentIndex(max(i, 0))
        self.voice.blockSignals(False)

    def select_exercise(self, exercise_id: str | None) -> None:
        for i in range(self.list.count()):
            if self.list.item(i).data(Qt.ItemDataRole.UserRole) == exercise_id:
                self.list.setCurrentRow(i)
                return

    def exercise_id(self) -> str | None:
        item = self.list.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def set_video(self, path: str | None) -> None:
        self.video_path = path
        self.video_label.setText(path or "no video chosen")
        if path:
            self.use_video.setChecked(True)

    def source(self) -> str | int | None:
        if self.use_video.isChecked():
            return self.video_path
        return int(self.camera_index.value())

    def set_caution(self, reason: str) -> None:
        """Why exercising now needs the patient's confirmation ("" = no reason): pain of 8 or more, or
        "It hurts", earlier today.  Start stays disabled until the box is ticked (asked afresh each time)."""
        self._caution = reason
        self.caution_label.setText(reason)
        self.caution_label.setVisible(bool(reason))
        self.confirm.setChecked(False)
        self._update_start()

    def set_blocked(self, reason: str) -> None:
        """Why this patient may not exercise now ("" = nothing): shown above Start, which stays grey."""
        self._blocked = reason
        self.blocked_label.setText(reason)
        self.blocked_label.setVisible(bool(reason))
        self._update_start()

    def needs_confirmation(self) -> bool:
        """Start needs the box ticked: a reason from today, or pain of 8 or more now."""
        return bool(self._caution) or self.pain.value() >= 8

    def _update_start(self) -> None:
        needed = self.needs_confirmation()
        shown = needed and not self.confirm.isVisibleTo(self)
        self.confirm.setVisible(needed)
        self.start_button.setEnabled(not getattr(self, "_blocked", "") and (not needed or self.confirm.isChecked()))
        scroll = getattr(self, "_scroll", None)
        if shown and scroll is not None:  # scrolled into view: on a low screen it appears below the visible part
            QTimer.singleShot(0, lambda: scroll.ensureWidgetVisible(self.confirm))

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    def set_patients(self, patients: list[dict], current: int | None = None) -> None:
        """The patient choice (``Clinic.patients()`` rows); keeps ``current`` (an id) if present."""
        self.patient.blockSignals(True)
        self.patient.clear()
        self.patient.addItem("Just me (no programme)", None)
        for p in patients:
            self.patient.addItem(str(p["name"]), int(p["id"]))
        i = self.patient.findData(current) if current is not None else 0
        self.patient.setCurrentIndex(max(i, 0))
        self.patient.blockSignals(False)

    def patient_id(self) -> int | None:
        v = self.patient.currentData()
        return None if v is None else int(v)

    def select_patient(self, patient_id: int | None) -> None:
        i = self.patient.findData(patient_id) if patient_id is not None else 0
        self.patient.setCurrentIndex(max(i, 0))

    def set_plan(self, items: list[dict], hint: str = "") -> None:
        """Today's programme items (``Clinic.todays_plan``); the first not done today is chosen."""
        self.plan_items = [dict(i) for i in items]
        self.plan_list.blockSignals(True)
        self.plan_list.clear()
        first = None
        for k, it in enumerate(self.plan_items):
            ex = self.exercises.get(it["exercise_id"])
            name = ex.name if ex else it["exercise_id"]
            hold = f", hold {float(it['hold_s']):g} s" if it.get("hold_s") else ""
            item = QListWidgetItem(f"{name}: {it['sets']} x {it['reps']}{hold}{_plan_state(it)}")
            item.setData(Qt.ItemDataRole.UserRole, k)
            if ex is None:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            elif first is None and not it.get("complete"):
                first = k
            self.plan_list.addItem(item)
        self.plan_list.blockSignals(False)
        # no taller than its lines (at most 110 px): on a 768 px screen the pain check stays in view
        rows = sum(self.plan_list.sizeHintForRow(i) for i in range(self.plan_list.count()))
        self.plan_list.setMaximumHeight(min(110, rows + 2 * self.plan_list.frameWidth() + 4))
        self.plan_list.setVisible(bool(items))
        self.plan_hint.setText(hint)
        self.plan_hint.setVisible(bool(hint))
        if first is not None:
            self.plan_list.setCurrentRow(first)

    def plan_item(self) -> dict | None:
        """The chosen line of today's plan if it matches the chosen exercise, else None."""
        item = self.plan_list.currentItem()
        if item is None:
            return None
        k = item.data(Qt.ItemDataRole.UserRole)
        it = self.plan_items[k] if k is not None and 0 <= k < len(self.plan_items) else None
        return it if it is not None and it["exercise_id"] == self.exercise_id() else None

    # -- slots ------------------------------------------------------------------
    def _plan_chosen(self, item, _prev=None) -> None:
        if item is None:
            return
        it = self.plan_items[item.data(Qt.ItemDataRole.UserRole)]
        self.select_exercise(it["exercise_id"])
        self._show_exercise(self.list.currentItem())  # fresh details even when it was already chosen
        self.sets.setValue(int(it["sets"]))
        self.reps.setValue(int(it["reps"]))
        ex = self.exercises.get(it["exercise_id"])
        dose = dose_text(int(it["sets"]), int(it["reps"]), it.get("hold_s"),
                         hold_exercise=ex is not None and ex.counting == "hold")
        self.details.append(f"<h3>Your plan today</h3><p><b>{html.escape(dose)}</b>"
                            " (from your therapist's programme).</p>")

    def _pain_changed(self, v: int) -> None:
        self.pain_label.setText(f"<b>{v}</b> / 10")
        self.pain_warning.setVisible(v >= 8)
        self._update_start()

    def _choose_video(self) -> None:
        pattern = " ".join(f"*{s}" for s in sorted(VIDEO_SUFFIXES))
        start = str(Path(self.video_path).parent) if self.video_path else ""
        path, _ = QFileDialog.getOpenFileName(self, "Play a video file", start, f"Videos ({pattern});;All files (*)")
        if path:
            self.set_video(path)

    def _show_exercise(self, item, _prev=None) -> None:
        if item is None:
            return
        e = self.exercises[item.data(Qt.ItemDataRole.UserRole)]
        d = e.dosage
        steps = "".join(f"<li>{html.escape(s)}</li>" for s in e.instructions)
        holds = e.counting == "hold"
        rest = rest_text(d.rest_s, d.sets, d.reps, hold_exercise=holds)
        self.details.setHtml(
            f"<h2>{html.escape(e.name)}</h2><p>{html.escape(e.summary)}</p>"
            f"<h3>Set up the camera</h3><p>{html.escape(e.camera_setup.strip())}</p>"
            f"<h3>How to do it</h3><ol>{steps}</ol>"
            f"<h3>Dose</h3><p>{html.escape(dose_text(d.sets, d.reps, d.hold_s, hold_exercise=holds))}"
            + (f", {rest}." if rest else ".")
            + (f" {html.escape(d.progression)}" if d.progression else "") + "</p>"
            f"<p><i>{html.escape(e.safety)}</i></p>"
        )
        self.sets.setValue(d.sets)
        self.reps.setValue(d.reps)

    def _start(self) -> None:
        if self._blocked or (self.needs_confirmation() and not self.confirm.isChecked()):
            return
        ex = self.exercise_id()
        if ex is None:
            self.show_error("Pick an exercise first.")
            return
        src = self.source()
        if src is None:
            self.show_error("Choose a video file, or switch back to the camera.")
            return
        self.show_error("")
        self.start_requested.emit(src, ex, int(self.pain.value()), int(self.sets.value()), int(self.reps.value()))


def _plan_state(item: dict) -> str:
    """How far today's work on a plan item is: done only when its prescribed reps are (a session
    stopped at 0 reps is not), "6 of 16 today" when part of it is."""
    if item.get("complete"):
        return "  ✓ done"
    done = int(item.get("reps_today") or 0)
    if done:
        return f"  ({done} of {int(item['sets']) * int(item['reps'])} today)"
    return ""
