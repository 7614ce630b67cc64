"""Screenshots of the real window at 1366x768 for the docs: every screen a patient or therapist
sees, in the order they see it (``SCREENS``), on the synthetic patient of
``bench/make_sample_report.py`` (two weeks of sessions).

    Xvfb :99 -screen 0 1366x768x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb .venv/bin/python -m posecoach.app.screenshots docs/screenshots

Coaching is shown on a generated stick-figure video with replayed poses (no real person's
footage), so what is on screen is what the app draws: the skeleton, the angles, the counters, the
cue.  The history and settings go to a temporary folder.

``--source CLIP -e EXERCISE --out DIR`` runs the same flow (set-up -> coaching -> summary ->
therapist) on a real video with the real pose model instead, as a patient would with that clip as
the camera, and prints how many reps were counted; its shots go to ``DIR`` (keep them out of the
repository: the clips are not ours).  Every frame of the clip is judged (the app's ``lossless``
playback: slower than real time on a slow machine) so the count does not depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SIZE = (1366, 768)


def _pump(app, seconds: float, until=None) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < seconds:
        app.processEvents()
        time.sleep(0.005)
        if until is not None and until():
            return


@dataclass
class Tour:
    """What the screen steps share: the app, the window, the folders, and what a step leaves for
    the next one (the patient, the session's video)."""

    app: Any
    w: Any
    out: Path
    tmp: Path
    video: str
    exercise: str
    real: bool = False
    state: dict = field(default_factory=dict)

    def pump(self, seconds: float, until=None) -> None:
        _pump(self.app, seconds, until)

    def patient(self) -> int | None:
        """The patient of the therapist's screens, made when a screen first needs them (the
        synthetic patient's two weeks take about a minute to build)."""
        if "patient" not in self.state:
            self.state["patient"] = _patient(self.w, self.tmp, self.exercise, real=self.real)
        return self.state["patient"]

    def shot(self, name: str) -> Path:
        """The whole screen (a real window manager-less X screen: dialogs included), else the window."""
        self.pump(0.3)
        xcb = os.environ.get("QT_QPA_PLATFORM") == "xcb"
        pix = self.w.screen().grabWindow(0, 0, 0, *SIZE) if xcb else self.w.grab()
        path = self.out / f"{name}.png"
        pix.save(str(path))
        print(f"wrote {path}")
        return path


# -- the screens, in the order they are visited -------------------------------------------------
def recovery(t: Tour) -> None:
    """At start: the offer to close a session the app never finished (``_unfinished_session``)."""
    t.pump(5, lambda: t.w.recovery_box is not None and t.w.recovery_box.isVisible())


def setup(t: Tour) -> None:
    box = t.w.recovery_box
    if box is not None:  # answered as a patient would: close it and keep the reps
        box.button(box.StandardButton.Yes).click()
    if t.real:  # the clip is the camera (the generated video's temporary path is not worth showing)
        t.w.setup.set_video(t.video)
    t.w.setup.select_exercise(t.exercise)
    t.w.setup.pain.setValue(3)


def setup_settings(t: Tour) -> None:
    """The settings column scrolled down: voice, pain check, the warning at 8/10 and its confirmation."""
    s = t.w.setup
    s.pain.setValue(8)
    t.pump(0.3)
    s._scroll.ensureWidgetVisible(s.confirm)


def coaching(t: Tour) -> None:
    s, w = t.w.setup, t.w
    s.pain.setValue(3)
    if t.real:  # Start pressed on the set-up screen, the clip as the camera
        s._start()
        t.pump(1.0, lambda: w.red_flags.dialog is not None)
        t.state["red_flags_dialog"] = w.red_flags.dialog  # a first session: the safety questions, all "no"
        _answer_no(t)
    else:  # the generated video's temporary path stays off the set-up screen
        w.start_session(t.video, t.exercise, int(s.pain.value()), int(s.sets.value()), int(s.reps.value()))
    if t.real:  # a real clip: a few reps in, or two thirds of the way
        t.pump(60, lambda: w.view is not None and w.view.reps >= 2)
        return
    # rep 3, holding at the top after the fault of rep 2 was called
    t.pump(40, lambda: any("Lift your hips" in c for c in w.cue_history))
    t.pump(20, lambda: w.view is not None and w.view.reps >= 2 and w.coach.hold_label.text().startswith("Hold: 2."))


def it_hurts(t: Tour) -> None:
    t.pump(1.0)
    t.w.it_hurts()
    t.pump(1.0)
    if t.w.pain_dialog is not None:
        t.w.pain_dialog.set_value(5)


def summary(t: Tour) -> None:
    w = t.w
    if w.pain_dialog is not None:
        w.pain_dialog.accept()
    elif w._running:  # a real clip: let it play to its end
        t.pump(120, lambda: not w._running)
    t.pump(10, lambda: w.pages.currentWidget() is w.summary)


def setup_patient(t: Tour) -> None:
    w = t.w
    w.back_to_setup()
    w.setup.select_patient(t.patient())
    t.pump(0.3)  # laid out with the patient's plan, then scrolled to its top
    w.setup._scroll.verticalScrollBar().setValue(0)


def red_flags(t: Tour) -> None:
    """The safety questions before a patient's first session (answered "no" after the shot, so
    their coaching may start)."""
    w = t.w
    pid = t.patient()
    if pid is None:
        return
    w.red_flags.allow(w.clinic, pid, lambda: None)
    dlg = w.red_flags.dialog
    if dlg is not None:
        from posecoach.clinic.red_flags import QUESTIONS

        for i, q in enumerate(QUESTIONS):
            dlg.answer(q.id, yes=i == 0)  # one "yes" shown ticked: what a patient sees as they answer
    t.state["red_flags_dialog"] = dlg


def _answer_no(t: Tour) -> None:
    dlg = t.state.pop("red_flags_dialog", None)
    if dlg is not None:
        from posecoach.clinic.red_flags import QUESTIONS

        for q in QUESTIONS:
            dlg.answer(q.id, yes=False)
        dlg.accept()
        t.pump(0.3)


def posture_guide(t: Tour) -> None:
    """The "how to sit, stand and lift" page."""
    _answer_no(t)
    t.w.back_to_setup()
    t.w.posture.show_guide()


def posture_check(t: Tour) -> None:
    """The posture check's small window after a generated desk session (a minute and a half with
    the head forward: one reminder), on top of the set-up screen."""
    from posecoach.app._qt.posture import PostureWindow
    from posecoach.testing.scenarios.posture import laptop_session, seated

    t.w.back_to_setup()
    sc = laptop_session([(15.0, seated()), (90.0, seated(head_deg=25.0))], fps=5.0, noise_px=1.0, seed=1)
    win = t.state["posture_window"] = PostureWindow(poses=lambda stop: iter(sc.poses))
    win.show()
    t.pump(20, lambda: win.last is not None and win.last.t >= sc.poses[-1][0] - 1e-6)


def _therapist(t: Tour):
    """The therapist's page on the patient (opened if it is not shown yet)."""
    w = t.w
    if w.therapist is None or w.pages.currentWidget() is not w.therapist:
        w.show_therapist()
        w.therapist.select_patient(t.patient())
    return w.therapist


def therapist_targets(t: Tour) -> None:
    win = t.state.pop("posture_window", None)
    if win is not None:
        win.close()
    _answer_no(t)
    th = _therapist(t)
    th.ref_exercise.setCurrentIndex(th.ref_exercise.findData(t.exercise))
    th.tabs.setCurrentIndex(0)


def therapist_recording(t: Tour) -> None:
    """A reference being recorded from a video (held at its start until the shot is taken)."""
    th = t.w.therapist
    th.set_reference_video(t.video)
    th.record_reference()
    t.pump(5, lambda: t.state["recording"].is_set())


def therapist_recorded(t: Tour) -> None:
    t.state["release"].set()
    th = t.w.therapist
    t.pump(120, lambda: th.recorder is None)


def therapist_programme(t: Tour) -> None:
    _therapist(t).tabs.setCurrentIndex(1)


def therapist_progress(t: Tour) -> None:
    th = _therapist(t)
    th.tabs.setCurrentIndex(2)
    th.prog_exercise.setCurrentIndex(max(th.prog_exercise.findData(t.exercise), 0))
    t.pump(0.5)


# Every screen, in order: (file name, the step that brings the window there).  A new screen is
# one line here (and its step above); a step may leave ``t.state`` for a later one.
SCREENS: list[tuple[str, Callable[[Tour], None]]] = [
    ("recovery", recovery),
    ("setup", setup),
    ("setup_settings", setup_settings),
    ("coaching", coaching),
    ("it_hurts", it_hurts),
    ("summary", summary),
    ("setup_patient", setup_patient),
    ("red_flags", red_flags),
    ("posture_guide", posture_guide),
    ("posture_check", posture_check),
    ("therapist_targets", therapist_targets),
    ("therapist_recording", therapist_recording),
    ("therapist_recorded", therapist_recorded),
    ("therapist_programme", therapist_programme),
    ("therapist_progress", therapist_progress),
]
# A real clip: a patient's first session, then their therapist's view of it.
REAL_SCREENS = ["setup", "coaching", "summary", "setup_patient", "therapist_progress"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m posecoach.app.screenshots", description=__doc__.split("\n\n")[0])
    p.add_argument("folder", nargs="?", default=None, help="where the PNGs go (default docs/screenshots)")
    p.add_argument("--out", default=None, help="the same as FOLDER")
    p.add_argument("--source", default=None, help="a real video: run the flow on it with the pose model")
    p.add_argument("-e", "--exercise", default=None, help="the exercise done in --source")
    p.add_argument("--only", default=None, help="comma-separated screen names (default: all)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(sys.argv[1:] if argv is None else argv)
    out = Path(args.out or args.folder or "docs/screenshots")
    if args.source is not None:
        if args.exercise is None:
            print("error: --source needs the exercise done in it: add -e EXERCISE", file=sys.stderr)
            return 2
        if not Path(args.source).is_file():
            print(f"error: {args.source} is not a file: give a video file to --source", file=sys.stderr)
            return 2
        from posecoach.core.exercise import find_exercise
        from posecoach.errors import PosecoachError

        try:
            find_exercise(args.exercise)
        except PosecoachError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="posecoach-shots-"))
    os.environ["POSECOACH_HOME"] = str(tmp)

    from posecoach.app.main import make_app

    app = make_app()
    t = _tour(app, out, tmp, args)
    names = [n for n, _ in SCREENS] if args.source is None else REAL_SCREENS
    if args.only:
        wanted = set(args.only.split(","))
        names = [n for n in names if n in wanted]
    steps = dict(SCREENS)
    try:
        for name in names:
            t0 = time.monotonic()
            steps[name](t)
            t.shot(name)
            print(f"  {name}: {time.monotonic() - t0:.1f} s")
        done = t.w.last_summary
        if t.real and done is not None:
            print(f"{t.exercise}: {done.get('reps', 0)} reps counted in {Path(t.video).name}")
    finally:
        t.w.close()
    return 0


def _tour(app, out: Path, tmp: Path, args) -> Tour:
    """The window at 1366x768, with the synthetic patient in its database; a stick-figure video and
    replayed poses, or the real clip and the pose model."""
    from posecoach.app._qt.main_window import MainWindow
    from posecoach.app.services import make_speaker
    from posecoach.app.synthvideo import ReplayEstimator, demo_scenario, write_video

    state: dict = {"recording": threading.Event(), "release": threading.Event()}
    speaker = make_speaker(None, backend="wav")
    if args.source is None:
        sc = demo_scenario("glute_bridge", 4)
        video = str(write_video(tmp / "glute_bridge_stick_figure.mp4", sc.poses, sc.fps))
        exercise = "glute_bridge"

        def factory():
            return ReplayEstimator(sc.poses, sc.fps)

        kw: dict = {"estimator_factory": factory}
        _unfinished_session()
    else:
        video, exercise, kw = str(Path(args.source).resolve()), args.exercise, {}
    w = MainWindow(settings_path=tmp / "settings.json", speaker=speaker, speed=1.0, lossless=args.source is not None,
                   record_reference=_held_recorder(state), record_kwargs=dict(kw) or None, **kw)
    w.resize(*SIZE)
    w.move(0, 0)
    w.show()
    t = Tour(app, w, out, tmp, video, exercise, real=args.source is not None, state=state)
    if t.real:  # the clip's session is filed under them
        t.patient()
    return t


def _unfinished_session() -> None:
    """A session the app was killed during (its row still open, two reps in it): offered at start."""
    from posecoach.clinic.history import History

    with History() as h:
        sid = h.start_session("glute_bridge", source="camera 0", pain_before=2, planned_sets=2, planned_reps=8)
        for i in (1, 2):
            h.add_rep(sid, {"index": i, "start_s": 3.0 * i, "end_s": 3.0 * i + 2}, set_index=1)


def _held_recorder(state: dict) -> Callable[..., dict]:
    """The real reference recorder, held at its start until the screenshot of it is taken."""
    from posecoach.clinic.references import record_reference

    def record(**kw) -> dict:
        state["recording"].set()
        state["release"].wait(60)
        return record_reference(**kw)

    return record


def _patient(w, tmp: Path, exercise: str, *, real: bool) -> int | None:
    """The synthetic patient of ``bench/make_sample_report.py`` (two weeks), or for a real clip a
    new patient with that exercise on their programme; chosen on the set-up screen."""
    import importlib.util

    from posecoach.paths import repo_root

    if w.clinic is None:
        print("no clinic database: the patient's screens are skipped")
        return None
    if real:
        pid = w.clinic.add_patient("Trial patient")
        w.clinic.set_programme(pid, [{"exercise_id": exercise, "sets": 1, "reps": 5, "hold_s": 0}])
    else:
        script = repo_root() / "bench" / "make_sample_report.py"
        spec = importlib.util.spec_from_file_location("make_sample_report", script)
        if spec is None or spec.loader is None:
            raise SystemExit(f"{script} cannot be loaded: the therapist's screens need its sample patient")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        mod.build(w.clinic.path, tmp / "report", days=14)
        pid = w.clinic.patient(mod.PATIENT).id
    w.refresh_patients()
    if real:
        w.setup.select_patient(pid)
    return pid


if __name__ == "__main__":
    sys.exit(main())
