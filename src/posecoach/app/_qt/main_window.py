"""The main window: set-up -> coaching -> summary.

The window owns the speaker, the history and the settings.  Each session is a Qt-free
``CoachingRun`` (``posecoach.app.run``: sets, cues, the patient's targets, history writes)
driven by a ``PipelineWorker`` on its own thread; the window shows the ``CoachView`` each
``LiveFrame`` carries and forwards the buttons (stop, it hurts, pain after).
"""

from __future__ import annotations

import time
from collections import deque
from datetime import date
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QStackedWidget

from posecoach.errors import PosecoachError
from posecoach.core.exercise import find_exercise, list_exercises
from posecoach.core.exercise.schema import Exercise
from posecoach.core.sets import SetPlan
from posecoach.app import services
from posecoach.app.coaching import DROPPED_EXPLAINED, LiveStats, frame_rate_warning, summary_html
from posecoach.app.recovery import find_offer
from posecoach.app.run import CoachingRun, CoachView
from posecoach.app.worker import LiveFrame, PipelineWorker, default_source_factory
from posecoach.app._qt.coach_page import CoachPage
from posecoach.app._qt.demo import start_demo
from posecoach.app._qt.pain_dialog import PainDialog
from posecoach.app._qt.posture import PostureLauncher
from posecoach.app._qt.red_flags import RedFlagGate
from posecoach.app._qt.setup_page import SetupPage
from posecoach.app._qt.summary_page import SummaryPage

__all__ = ["STYLE", "MainWindow"]

CUES_SHOWN_KEPT = 200  # the cues shown lately (``cue_history``), not all of a long session
CUE_SHOWN_S = 6.0  # a cue (form, praise, "set done") is cleared this long after it was shown

STYLE = """
QWidget { font-size: 11pt; }
/* the coaching panel's text sizes follow the window: coach_page.FONT_PX */
QLabel#pageTitle { font-size: 20pt; font-weight: bold; }
QLabel#exerciseName { font-size: 15pt; font-weight: bold; }
QLabel#caption { color: #666; }
QLabel#repCounter { font-weight: bold; color: #1b5e20; }
QLabel#holdTimer { font-weight: bold; }
QLabel#restLabel { font-weight: bold; color: #0d47a1; background: #e3f2fd;
                   border-radius: 8px; padding: 6px; }
QLabel#cueText { font-weight: bold; color: #222; background: #fff8e1;
                 border: 2px solid #ffcc80; border-radius: 10px; padding: 8px; }
QLabel#notice, QLabel#error { color: #b71c1c; font-weight: bold; }
QLabel#warning { color: #8d6e00; }
QLabel#hint { color: #555; }
QLabel#safety { background: #ffebee; border: 1px solid #e57373; border-radius: 6px; padding: 8px;
                font-size: 12pt; }
QPushButton#stopButton { font-size: 20pt; font-weight: bold; color: white; background: #c62828;
                         border-radius: 10px; }
QPushButton#stopButton:disabled { background: #bdbdbd; }
QPushButton#hurtButton { font-size: 15pt; font-weight: bold; color: white; background: #6a1b9a;
                         border-radius: 10px; }
QPushButton#hurtButton:disabled { background: #bdbdbd; }
QPushButton#startButton { font-size: 20pt; font-weight: bold; color: white; background: #2e7d32;
                          border-radius: 10px; }
QPushButton#startButton:disabled { background: #bdbdbd; color: #f5f5f5; }
QTextBrowser#summaryText { font-size: 13pt; }
QPushButton:checked { background: #6a1b9a; color: white; font-weight: bold; }
"""


def caution_reason(today: list[dict]) -> str:
    """Why a new session today needs the patient's confirmation ("" if it does not): a session
    stopped with "It hurts", or pain of 8 or more, earlier today (``today``: session rows with
    ``stopped``, ``pain_before``, ``pain_after``)."""
    why = ""
    for r in today:
        worst = max((int(v) for v in (r.get("pain_before"), r.get("pain_after")) if v is not None), default=None)
        if r.get("stopped") == "pain":
            after = f" (pain {worst}/10)" if worst is not None else ""
            why = f"Earlier today you stopped a session because it hurt{after}."
        elif worst is not None and worst >= 8 and not why:
            why = f"Earlier today your pain was {worst}/10."
    if not why:
        return ""
    return (f"{why} Exercising again today may make it worse: rest, and if the pain does not settle "
            "talk to your physiotherapist or doctor. Start again only if you feel well enough.")


class MainWindow(QMainWindow):
    """The patient's window.

    Everything it talks to can be given: ``speaker`` (else one is made from the
    settings), ``history``, ``estimator_factory`` (the worker's pose estimator;
    tests replay synthetic poses), ``source_factory(spec) -> callable`` and
    ``speed`` (video playback rate; 1 = real time) and ``lossless`` (judge every frame of a video,
    slowing it down when inference cannot keep up, instead of dropping frames as live coaching does).
    ``camera_retry_s`` / ``camera_wait_s``: a camera lost mid-session is opened again that often, for
    that long, while the session waits with its reps (then it ends as ``camera_lost``).
    """

    def __init__(
        self,
        *,
        settings: Any = None,
        settings_path: Any = None,
        speaker: Any = None,
        history: Any = None,
        estimator_factory: Callable | None = None,
        source_factory: Callable[[Any], Callable] | None = None,
        speed: float = 1.0,
        lossless: bool = False,
        model: str | None = None,
        clinic: Any = None,
        record_reference: Callable[..., dict] | None = None,
        record_kwargs: dict | None = None,
        camera_retry_s: float = 1.0,
        camera_wait_s: float = 600.0,
    ) -> None:
        super().__init__()
        self.camera_retry_s, self.camera_wait_s = camera_retry_s, camera_wait_s
        self.setWindowTitle("posecoach: your back exercise coach")
        self.setStyleSheet(STYLE)
        self._settings_path = settings_path
        self.settings = settings if settings is not None else services.load_app_settings(settings_path)
        self.speaker = speaker if speaker is not None else services.make_speaker(self.settings)
        hist_err = self._open_history(history, clinic)
        if estimator_factory is None:
            from posecoach.app.worker import default_estimator_factory

            estimator_factory = default_estimator_factory(model)
        self._estimator_factory = estimator_factory
        self._model = model
        self._source_factory = source_factory or default_source_factory
        self.speed = speed
        self.lossless = lossless
        self._build_pages(record_reference, record_kwargs)
        self._build_status_bar(hist_err)
        self._reset_session_state()
        self._connect_pages()
        self._build_shortcuts()
        self._tick = QTimer(self)
        self._tick.setInterval(250)
        self._tick.timeout.connect(self._on_tick)
        self._tick.start()
        self._apply_settings()
        self._on_tick()
        self.recovery_box: QMessageBox | None = None
        self.recovery = find_offer(self.history)  # sessions the app never finished (killed, crashed)
        if self.recovery is not None:
            QTimer.singleShot(0, self._offer_recovery)

    # -- building -----------------------------------------------------------------
    def _open_history(self, history: Any, clinic: Any) -> str:
        """The history (given, the clinic's, or the default database) and the clinic; the error."""
        if history is None and clinic is not None:
            history = clinic.history
        hist_err = ""
        if history is None:
            history, hist_err = services.open_history()
        self.history = history
        # The patients' side of the same database (None with a fake or broken history).
        self.clinic = clinic if clinic is not None else services.open_clinic(history)
        return hist_err

    def _build_pages(self, record_reference: Callable[..., dict] | None, record_kwargs: dict | None) -> None:
        good, bad = list_exercises()
        self.setup = SetupPage(good, [str(b) for b in bad])
        self.coach = CoachPage()
        self.summary = SummaryPage()
        self.therapist: Any = None
        self._therapist_args = (good, record_reference, record_kwargs)
        self.pages = QStackedWidget()
        for w in (self.setup, self.coach, self.summary):
            self.pages.addWidget(w)
        self.setCentralWidget(self.pages)
        self.posture = PostureLauncher(self.pages, self.back_to_setup, self.setup.source, model=self._model,
                                       speaker=self.speaker, on_error=self.setup.show_error)

    def _build_status_bar(self, hist_err: str) -> None:
        self.stats_label = QLabel("")
        self.stats_label.setToolTip(DROPPED_EXPLAINED)
        self.speech_label = QLabel("")
        self.statusBar().addPermanentWidget(self.speech_label)
        self.statusBar().addPermanentWidget(self.stats_label)
        if hist_err:
            self.statusBar().showMessage(hist_err)

    def _reset_session_state(self) -> None:
        self.worker: PipelineWorker | None = None
        self.run: CoachingRun | None = None
        self.view: CoachView | None = None
        self.exercise: Exercise | None = None
        self.plan = SetPlan()
        self.stats = LiveStats()
        self.pain_before: int | None = None
        self.pain_after: int | None = None
        self.stop_reason: str | None = None
        self.end_reason = ""
        self.end_message = ""
        self.last_summary: dict | None = None
        self.cue_history: deque[str] = deque(maxlen=CUES_SHOWN_KEPT)
        self.last_guidance = ""
        self.source_paused = False  # the camera was lost and is waited for
        self.speech_status = ""
        self.pain_dialog: PainDialog | None = None
        self._running = False
        self._all_done_timer: QTimer | None = None
        self._problem_told = ""
        self.stopped = ""
        self._shut = False
        self.patient_id: int | None = None

    def _connect_pages(self) -> None:
        self.red_flags = RedFlagGate(self, self.setup, lambda text: self.statusBar().showMessage(text))
        self.setup.start_requested.connect(self.start_session)
        self.coach.stop_button.clicked.connect(lambda: self.stop("user"))
        self.coach.hurt_button.clicked.connect(self.it_hurts)
        self.coach.skip_rest_button.clicked.connect(self.skip_rest)
        self.coach.mute_button.toggled.connect(self.set_muted)
        self.coach.video.shown.connect(self._frame_shown)
        self.summary.pain_after_saved.connect(self._save_pain_after)
        self.setup.count_aloud.toggled.connect(self.set_count_aloud)
        self.setup.rate.valueChanged.connect(self.set_rate)
        self.setup.voice.currentIndexChanged.connect(lambda _i: self.set_voice(self.setup.voice.currentData()))
        self.summary.new_session.connect(self.back_to_setup)
        self.setup.patient_changed.connect(self._patient_changed)
        self.setup.therapist_requested.connect(self.show_therapist)
        self.setup.posture_guide_requested.connect(self.posture.show_guide)
        self.setup.posture_check_requested.connect(self.posture.start_check)
        self.setup.demo_requested.connect(lambda: start_demo(self, self.setup.exercise_id()))
        self.setup.therapist_button.setEnabled(self.clinic is not None)
        self.refresh_patients()
        self.summary.quit_requested.connect(self.close)

    def _build_shortcuts(self) -> None:
        """Space/Escape stop, H ("it hurts") and R (skip the rest) while coaching; M mutes and F11
        goes full screen."""
        self._coach_keys = []
        for key, slot in ((Qt.Key.Key_Space, lambda: self.stop("user")), (Qt.Key.Key_Escape, lambda: self.stop("user")),
                          (Qt.Key.Key_H, self.it_hurts), (Qt.Key.Key_R, self.skip_rest)):
            sc = QShortcut(QKeySequence(key), self)
            sc.activated.connect(slot)
            sc.setEnabled(False)
            self._coach_keys.append(sc)
        QShortcut(QKeySequence(Qt.Key.Key_M), self).activated.connect(lambda: self.coach.mute_button.toggle())
        QShortcut(QKeySequence(Qt.Key.Key_F11), self).activated.connect(self.toggle_fullscreen)

    # -- settings ---------------------------------------------------------------
    def _apply_settings(self) -> None:
        s = self.settings
        self.setup.camera_index.setValue(int(getattr(s, "camera_index", 0) or 0))
        if getattr(s, "video_path", None):
            self.setup.set_video(s.video_path)
            self.setup.use_camera.setChecked(True)  # the camera stays the default choice
        if getattr(s, "exercise_id", None):
            self.setup.select_exercise(s.exercise_id)
        if getattr(s, "last_pain", None) is not None and self.setup.patient_id() is None:
            self.setup.pain.setValue(int(s.last_pain))  # a patient's own last pain is set from their history
        for wdg in (self.setup.count_aloud, self.setup.rate):
            wdg.blockSignals(True)
        self.setup.count_aloud.setChecked(bool(getattr(s, "count_aloud", False)))
        self.setup.rate.setValue(int(getattr(s, "rate_wpm", 165) or 165))
        for wdg in (self.setup.count_aloud, self.setup.rate):
            wdg.blockSignals(False)
        self._apply_voices(getattr(s, "voice", None))
        self.coach.mute_button.blockSignals(True)
        self.coach.mute_button.setChecked(bool(getattr(s, "muted", False)))
        self.coach.mute_button.blockSignals(False)
        self._mute_text()
        geo = getattr(s, "window_geometry", None)
        if geo:
            try:
                self.restoreGeometry(QByteArray.fromBase64(geo.encode("ascii")))
            except Exception:
                pass

    def _apply_voices(self, current: str | None) -> None:
        try:
            voices = list(self.speaker.voices())
        except Exception:
            voices = []
        self.setup.set_voices(voices[:60], current)
        self.setup.voice.setEnabled(bool(voices))

    def save_settings(self) -> None:
        s = self.settings
        s.window_geometry = bytes(self.saveGeometry().toBase64().data()).decode("ascii")
        msg = services.save_app_settings(s, self._settings_path)
        if msg:
            self.statusBar().showMessage(msg)

    def _reopen_history(self) -> None:
        """The database could not be opened (a full or read-only data folder): try again now."""
        if not isinstance(self.history, services.NullHistory):
            return
        history, err = services.open_history()
        if err:
            return
        self.history, self.clinic = history, services.open_clinic(history)
        self.statusBar().showMessage("The session history can be saved again.", 8000)

    # -- an unfinished session from before ----------------------------------------
    def _offer_recovery(self) -> None:
        """Ask (without blocking) whether to close the sessions the app never finished."""
        if self.recovery is None or self.recovery_box is not None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "An unfinished session", self.recovery.text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self)
        box.button(QMessageBox.StandardButton.Yes).setText("Close it and keep the reps")
        box.button(QMessageBox.StandardButton.No).setText("Not now")
        box.finished.connect(self._recovery_answered)
        self.recovery_box = box
        box.open()

    def _recovery_answered(self, result: int) -> None:
        box, self.recovery_box = self.recovery_box, None
        offer, self.recovery = self.recovery, None
        if box is not None:
            box.deleteLater()
        if offer is not None and result == QMessageBox.StandardButton.Yes:
            self.statusBar().showMessage(offer.accept(self.history), 15000)  # (news, not a lasting state)

    # -- starting ---------------------------------------------------------------
    def start_session(self, source: Any, exercise_id: str, pain_before: int | None = None,
                      sets: int | None = None, reps: int | None = None, *, patient_id: Any = "setup",
                      demo: Any = None) -> bool:
        """Start coaching ``exercise_id`` on ``source`` (camera index or video path).

        ``patient_id``: whose session it is (default: the one chosen on the set-up screen; None:
        nobody's).  A patient's session is judged against their targets and linked to them.
        ``demo``: a ``DemoSession`` (``_qt.demo``): its own estimator and a history that keeps
        nothing, no clinic, and the source is not remembered in the settings."""
        if self.worker is not None:
            return False
        self._reopen_history()
        pid = self.setup.patient_id() if patient_id == "setup" else patient_id
        if not self.red_flags.allow(self.clinic, pid, lambda: self.start_session(
                source, exercise_id, pain_before, sets, reps, patient_id=patient_id)):
            return False  # a red flag stops coaching, or the screen is asked first
        run = self._new_run(exercise_id, sets, reps, patient_id, demo)
        if run is None:
            self.pages.setCurrentWidget(self.setup)
            return False
        self.setup.show_error("")  # a failed start's message is history now
        self.posture.shutdown()  # one user of the camera at a time: the exercise takes it
        self._begin(run, pain_before)
        src_name = self._remember_choices(source, run.exercise, pain_before, video=demo is None)
        run.start(source=src_name, pain_before=pain_before)
        self._show_coach_page(run, camera=src_name.startswith("camera"))
        self._start_worker(run, source, self._estimator_factory if demo is None else demo.estimator_factory)
        return True

    def _new_run(self, exercise_id: str, sets: int | None, reps: int | None, patient_id: Any,
                 demo: Any = None) -> CoachingRun | None:
        """The coaching run, or None (the reason shown on the set-up page)."""
        try:
            ex = find_exercise(exercise_id)
        except PosecoachError as err:
            self.setup.show_error(str(err))
            return None
        pid = self.setup.patient_id() if patient_id == "setup" else patient_id
        item = self.setup.plan_item()
        hold = item.get("hold_s") if item and item.get("exercise_id") == ex.id else None
        try:
            history, clinic = (self.history, self.clinic) if demo is None else (demo.history, None)
            return CoachingRun(ex, SetPlan.of(ex, sets, reps), history=history, clinic=clinic,
                               patient_id=pid, plan_hold_s=hold,
                               count_aloud=bool(getattr(self.settings, "count_aloud", False)))
        except (ValueError, KeyError, PosecoachError) as err:
            self.setup.show_error(f"The patient's targets cannot be used ({err}): ask the therapist to fix them.")
            return None

    def _begin(self, run: CoachingRun, pain_before: int | None) -> None:
        """The window's state for a new run (the previous run's writer is let go)."""
        if self.run is not None:
            self.run.close()
        self.run, self.view = run, run.view
        self.exercise, self.plan, self.patient_id = run.exercise, run.plan, run.patient_id
        self.stats = LiveStats()
        self.pain_before, self.pain_after = pain_before, None
        self.stop_reason, self.end_reason, self.end_message = None, "", ""
        self.last_summary = None
        self.cue_history = deque(maxlen=CUES_SHOWN_KEPT)
        self._cue_shown: tuple[str, float] | None = None
        self.last_guidance = ""
        self.source_paused = False
        self._problem_told = ""

    def _remember_choices(self, source: Any, ex: Exercise, pain_before: int | None, *, video: bool = True) -> str:
        """Save the exercise, source and pain in the settings; the source's name for the history.
        ``video``: False for a video that is not the user's (the demo's temporary file)."""
        s = self.settings
        s.exercise_id = ex.id
        from posecoach.io.sources import camera_index

        try:
            index = camera_index(source)
        except PosecoachError:  # a number no camera has: the worker reports it when it opens the source
            index = None
        if index is not None:
            s.camera_index = index
            src_name = f"camera {index}"
        else:
            if video:
                s.video_path = str(source)
            src_name = str(source)
        if pain_before is not None and self.setup.patient_id() is None:  # a patient's is in their history
            s.last_pain = int(pain_before)
        self.save_settings()
        return src_name

    def _show_coach_page(self, run: CoachingRun, *, camera: bool) -> None:
        ex = run.exercise
        self.coach.exercise_label.setText(ex.name)
        self.coach.video.set_exercise(ex)
        self.coach.video.clear("Starting the camera..." if camera else "Opening the video...")
        self.coach.video.banner = ""
        self.coach.cue_label.setText(ex.instructions[0])
        self.coach.set_notice("")
        self.coach.rate_label.hide()
        self.coach.rest_label.hide()
        self.coach.hold_label.setVisible(run.has_hold)
        self.coach.reps_caption.setText("Holds in this set" if ex.counting == "hold" else "Reps in this set")
        self._update_counters(0.0)
        self.coach.set_running(True)
        self.pages.setCurrentWidget(self.coach)
        self.coach.video.setFocus()  # keys go to the window's shortcuts, not a list or spin box
        for sc in self._coach_keys:
            sc.setEnabled(True)

    def _start_worker(self, run: CoachingRun, source: Any, estimator_factory: Any) -> None:
        self.worker = PipelineWorker(
            run.exercise, self._source_factory(source), estimator_factory=estimator_factory,
            speaker=self.speaker, speed=self.speed, lossless=self.lossless, session=run.session,
            on_result=run.on_result, camera_retry_s=self.camera_retry_s, camera_wait_s=self.camera_wait_s,
        )
        self.worker.frame_ready.connect(self._on_frame)
        self.worker.source_failed.connect(self._on_source_failed)
        self.worker.source_paused.connect(self._on_source_paused)
        self.worker.source_resumed.connect(self._on_source_resumed)
        self.worker.ended.connect(self._on_ended)
        self.worker.finished.connect(self._finalize)
        self._running = True
        self.worker.start()

    @property
    def session_id(self) -> Any:
        """The history's id of the current (or last) session, once its start is written."""
        return None if self.run is None else self.run.session_id

    # -- per frame ----------------------------------------------------------------
    def _on_frame(self, live: LiveFrame) -> None:
        """Show one frame and the run's view of it (the run has done everything else)."""
        view: CoachView | None = live.coach
        self.stats.dropped = live.dropped
        self.stats.processed = live.processed
        self.stats.analysed(live.t)
        if view is None:
            return
        self.view = view
        if view.problem != self._problem_told:
            if view.problem:
                self.statusBar().showMessage(view.problem)
            elif self._problem_told:  # the writes went through after all
                self.statusBar().showMessage("The session history is saved again.", 8000)
            self._problem_told = view.problem
        if not self._running:
            return
        self.coach.video.show_frame(live)
        self.last_guidance = live.guidance
        for text in view.show:
            self._show_cue(text)
        if view.all_done and self._all_done_timer is None:
            self._all_done_timer = QTimer(self)
            self._all_done_timer.setSingleShot(True)
            self._all_done_timer.timeout.connect(lambda: self.stop("completed"))
            self._all_done_timer.start(2500)
        if self.coach.hold_label.isVisible():
            self.coach.hold_label.setText(view.hold_text)
        self._update_counters(time.monotonic())

    def _show_cue(self, text: str) -> None:
        self.coach.cue_label.setText(text)
        self.cue_history.append(text)
        self._cue_shown = (text, time.monotonic())

    def _fade_cue(self, now: float) -> None:
        """Clear the cue ``CUE_SHOWN_S`` after it was shown: "Lift your hips" no longer applies half a
        minute later.  (Set-up guidance is on the picture, where it follows every frame.)"""
        shown = getattr(self, "_cue_shown", None)
        if shown is None:
            return
        text, at = shown
        if now - at >= CUE_SHOWN_S:
            if self.coach.cue_label.text() == text:
                self.coach.cue_label.setText("")
            self._cue_shown = None

    def _update_counters(self, now: float) -> None:
        v = self.view
        if v is None:
            return
        self.coach.set_label.setText(v.set_line)
        self.coach.reps_label.setText(v.rep_line)
        self.coach.progress_label.setText(v.progress_line)
        rest = v.rest_line(now)
        if rest and self._running:
            self.coach.rest_label.setText(rest)
            self.coach.rest_label.show()
        else:
            self.coach.rest_label.hide()
        self.coach.skip_rest_button.setVisible(bool(rest) and self._running)

    def skip_rest(self) -> None:
        """The patient is ready before the rest countdown ends: count again from now."""
        if self._running and self.run is not None and self.view is not None and self.view.rest_until is not None:
            self.run.skip_rest()

    def _show_rate_warning(self) -> None:
        """Below the frame rate the count stays exact at, say so in plain words (and what to do)."""
        label = self.coach.rate_label
        text = frame_rate_warning(self.stats.analysed_fps(), label.isVisible()) if self._running else ""
        if text != label.text():
            label.setText(text)
        label.setVisible(bool(text))

    def _frame_shown(self, captured_at: float, now: float) -> None:
        self.stats.frame_shown(now, captured_at)

    def _on_tick(self) -> None:
        now = time.monotonic()
        if self.worker is not None:
            self.stats_label.setText(self.stats.status_line(now))
            self._update_counters(now)
            self._fade_cue(now)
            self._show_rate_warning()
        msg = None
        try:
            msg = self.speaker.status_once()
        except Exception:
            pass
        if msg:
            self.speech_status = msg
            self.speech_label.setText(msg)
            self.coach.speech_label.setText(msg)
            self.coach.speech_label.setVisible(not msg.lower().startswith("speech is on."))

    # -- stopping -------------------------------------------------------------------
    def stop(self, reason: str = "user") -> None:
        """Stop the session now (the summary follows when the worker has let go)."""
        if not self._running or self.worker is None:
            return
        self._running = False
        self.stop_reason = reason
        self.worker.stop()
        self._coaching_over()
        self.coach.video.banner = "Stopped"
        self.coach.video.update()
        if self._all_done_timer is not None:
            self._all_done_timer.stop()
            self._all_done_timer = None

    def _coaching_over(self) -> None:
        for sc in self._coach_keys:
            sc.setEnabled(False)
        self.coach.set_running(False)

    def it_hurts(self) -> None:
        if not self._running:
            return
        self.stop("pain")
        self.pain_dialog = PainDialog(self, initial=None)
        self.pain_dialog.finished.connect(self._pain_dialog_done)
        self.pain_dialog.open()

    def _pain_dialog_done(self, _result: int) -> None:
        dlg, self.pain_dialog = self.pain_dialog, None
        if dlg is None:
            return
        v = dlg.value()
        dlg.deleteLater()
        if v is not None:
            self._save_pain_after(v)

    def _on_source_failed(self, message: str) -> None:
        self.coach.set_notice(message)
        self.coach.video.banner = message
        self.coach.video.update()
        self.setup.show_error(message)

    def _on_source_paused(self, message: str) -> None:
        """The camera was lost: say so over the picture; the session waits for it."""
        self.source_paused = True
        self.coach.set_notice(message)
        self.coach.video.banner = message
        self.coach.video.update()
        self.statusBar().showMessage(message)

    def _on_source_resumed(self) -> None:
        self.source_paused = False
        self.coach.set_notice("")
        self.coach.video.banner = ""
        self.coach.video.update()
        self.statusBar().showMessage("The camera is back: coaching goes on.", 5000)

    def _on_ended(self, reason: str, message: str) -> None:
        self.end_reason, self.end_message = reason, message
        if self._running:  # the source ended by itself
            self._running = False
            self._coaching_over()

    def _stopped_as(self) -> str:
        if self.stop_reason in ("pain", "completed"):
            return self.stop_reason
        if self.end_reason in ("camera_lost", "error"):
            return self.end_reason
        if self.stop_reason == "user":
            return "user"
        return self.end_reason or "user"

    def _finalize(self) -> None:
        """The worker has stopped: the run stores the summary, the window shows it."""
        w, self.worker = self.worker, None
        if w is None:
            return
        w.wait(5000)
        self._running = False
        for sc in self._coach_keys:
            sc.setEnabled(False)
        self.stopped = self._stopped_as()
        run = self.run
        if run is not None and not run.started and self.stopped in ("error", "camera_lost"):
            self._failed_start(w)
            return
        if run is not None:
            self.last_summary = run.finish(self.stopped, self.pain_after)
            self._tell_problem(run)
        w.deleteLater()
        self._show_summary()
        self.pages.setCurrentWidget(self.summary)
        # The keys go to the pain-after question: the page would give the focus back to the button
        # clicked there last ("New session"), and a second Space to stop would skip the summary.
        self.summary.pain.setFocus(Qt.FocusReason.OtherFocusReason)

    def _failed_start(self, worker: PipelineWorker) -> None:
        """The source gave no frame (no camera, not a video, a missing file): nothing was coached,
        so nothing is stored and there is no summary; the set-up screen says why."""
        worker.deleteLater()
        self.last_summary = None
        self.setup.show_error(self.end_message or "The video source could not be opened: choose another one.")
        self.pages.setCurrentWidget(self.setup)

    def _tell_problem(self, run: CoachingRun) -> None:
        problem = run.writer.problem
        if problem and problem != self._problem_told:
            self._problem_told = problem
            self.statusBar().showMessage(problem)

    def _show_summary(self) -> None:
        if self.last_summary is None or self.exercise is None:
            return
        ex = self.exercise
        cues = {r.id: r.cue for r in ex.form_rules}
        msg = self.end_message if self.stopped in ("camera_lost", "error") else ""
        done = self.last_summary.get("reps_met", self.last_summary.get("reps", 0))  # holds short of target: not done
        if self.stopped == "completed" and done < self.plan.total:
            msg = "The video ended before the plan was done."
        not_saved = self.run.writer.problem if self.run is not None else ""
        if self.run is not None and self.run.not_kept and not not_saved:
            not_saved = f"This session was not saved: {self.run.not_kept}."
        if not_saved:
            msg = f"{msg} {not_saved}".strip()
        text = summary_html(self.last_summary, exercise=ex, plan=self.plan, stopped=self.stopped,
                            pain_before=self.pain_before, pain_after=self.pain_after, fault_cues=cues)
        sim = self.last_summary.get("similarity_median")
        if sim is not None:
            text += (f"<p>Like your therapist's reference movement: <b>{sim:.0f}</b> / 100 "
                     "(typical rep).</p>")
        worse = (self.pain_after is not None and self.pain_before is not None
                 and self.pain_after >= self.pain_before + 2)
        self.summary.show_summary(text, message=msg, pain_after=self.pain_after,
                                  safety=self.stopped == "pain" or worse)

    def _save_pain_after(self, value: int) -> None:
        self.pain_after = int(value)
        if self.last_summary is not None and self.run is not None:
            self.run.save_pain_after(self.pain_after)
            self._tell_problem(self.run)
            self._show_summary()
        if self.patient_id is None:  # a patient's pain is read from their own history
            self.settings.last_pain = self.pain_after
        self.save_settings()

    def back_to_setup(self) -> None:
        self.stats_label.clear()  # (the last session's frame rate belongs to that session)
        self.refresh_patients()
        if self.clinic is None:  # else _patient_changed did it
            self._pain_check(None)
        self.pages.setCurrentWidget(self.setup)

    # -- the pain check: per patient, and a confirmation after pain today -------------------
    def _todays_sessions(self, pid: int | None) -> list[dict]:
        """Today's finished sessions of the patient (of nobody in particular when ``pid`` is None), oldest first."""
        today = date.today().isoformat()
        try:
            if pid is not None and self.clinic is not None:
                return [r for r in self.clinic.progress(int(pid)) if r["date"] == today]
            rows = [r for r in self.history.sessions(50) if str(r.get("started_at") or "")[:10] == today]
            if self.clinic is not None:
                rows = [r for r in rows if self.clinic.session_patient(r["id"]) is None]
        except Exception:  # an unreadable history: no reason known
            return []
        return [r for r in reversed(rows) if r.get("stopped")]

    def _pain_check(self, pid: int | None) -> None:
        """The pain slider at this person's last pain (never another patient's) and the reason, if
        any, why a session now needs a confirmation: "It hurts" or pain of 8 or more earlier today."""
        if pid is not None and self.clinic is not None:
            last = 0
            try:
                rows = self.clinic.progress(int(pid))
            except Exception:
                rows = []
            for r in rows:
                for v in (r.get("pain_before"), r.get("pain_after")):
                    if v is not None:
                        last = int(v)
            self.setup.pain.setValue(last)
        elif getattr(self.settings, "last_pain", None) is not None:
            self.setup.pain.setValue(int(self.settings.last_pain))
        self.setup.set_caution(caution_reason(self._todays_sessions(pid)))

    # -- patients (the clinic) --------------------------------------------------------
    def refresh_patients(self) -> None:
        """Reload the patient choice and today's plan from the clinic database."""
        if self.clinic is None:
            return
        try:
            patients = self.clinic.patients()
        except Exception as exc:
            self.statusBar().showMessage(f"The patient list cannot be read ({exc}).")
            return
        current = self.setup.patient_id()
        if current is None:
            current = self.settings.patient_id  # who was exercising last time
        self.setup.set_patients([p.to_dict() for p in patients], current)
        self._patient_changed(self.setup.patient_id())

    def _patient_changed(self, pid: Any) -> None:
        self.settings.patient_id = int(pid) if pid is not None else None
        self._pain_check(self.settings.patient_id)
        self.red_flags.show_state(self.clinic, self.settings.patient_id)
        if self.clinic is None or pid is None:
            self.setup.set_plan([], "")
            return
        try:
            plan = self.clinic.todays_plan(int(pid))
        except Exception as exc:
            self.setup.set_plan([], f"Today's plan cannot be read ({exc}).")
            return
        hint = "" if plan else "No programme yet: ask your therapist, or pick an exercise."
        if plan and all(i.complete for i in plan):
            hint = "Everything on today's plan is done. Well done!"
        self.setup.set_plan([i.to_dict() for i in plan], hint)

    def show_therapist(self) -> None:
        if self.clinic is None:
            self.setup.show_error("The patient database cannot be opened here.")
            return
        if self.therapist is None:
            from posecoach.app._qt.therapist import TherapistPage

            good, record, record_kwargs = self._therapist_args
            self.therapist = TherapistPage(self.clinic, good, record=record, record_kwargs=record_kwargs)
            self.therapist.back_requested.connect(self.back_to_setup)
            self.pages.addWidget(self.therapist)
        else:
            self.therapist.refresh()
        pid = self.setup.patient_id()
        if pid is not None:
            self.therapist.select_patient(pid)
        self.pages.setCurrentWidget(self.therapist)

    # -- misc -------------------------------------------------------------------
    def set_muted(self, muted: bool) -> None:
        try:
            self.speaker.set_muted(bool(muted))
        except Exception:
            pass
        self.settings.muted = bool(muted)
        self._mute_text()

    def set_count_aloud(self, on: bool) -> None:
        """Counting aloud is the cue policy's choice: it applies from the next session on."""
        self.settings.count_aloud = bool(on)

    def set_rate(self, wpm: int) -> None:
        self.settings.rate_wpm = int(wpm)
        try:
            self.speaker.set_rate(int(wpm))
        except Exception:
            pass

    def set_voice(self, voice: str | None) -> None:
        self.settings.voice = voice or None
        try:
            self.speaker.set_voice(voice or None)
        except Exception:
            pass

    def _mute_text(self) -> None:
        self.coach.mute_button.setText("Unmute  (M)" if self.coach.mute_button.isChecked() else "Mute  (M)")

    def toggle_fullscreen(self) -> None:
        self.showNormal() if self.isFullScreen() else self.showFullScreen()

    def shutdown(self) -> None:
        """Stop everything this window started (the session, speech, the history). Idempotent."""
        if self._shut:
            return
        self._shut = True
        if self.worker is not None:
            self.stop(self.stop_reason or "user")
            self.worker.wait(5000)
            self._finalize()
        if self.run is not None:
            self.run.close()
        self._tick.stop()
        self.posture.shutdown()
        if self.therapist is not None:
            self.therapist.shutdown()
        self.save_settings()
        for stop in (self.speaker.stop, self._close_history):
            try:
                stop()
            except Exception:
                pass

    def _close_history(self) -> None:
        if hasattr(self.history, "close"):
            self.history.close()
        elif hasattr(self.history, "__exit__"):
            self.history.__exit__(None, None, None)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.shutdown()
        super().closeEvent(event)
