"""``run_app(argv) -> int``: the window, from ``posecoach`` or ``posecoach app``."""

from __future__ import annotations

import argparse
import os
import sys

__all__ = ["make_app", "run_app"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="posecoach app", description="The exercise coach's window.")
    p.add_argument("--source", default=None, help="camera index or video file: start coaching on it at once")
    p.add_argument("--exercise", "-e", default=None, help="exercise id (see `posecoach exercises`)")
    p.add_argument("--model", default=None, help="a pose_landmarker .task file (default: models/)")
    p.add_argument("--speed", type=float, default=1.0, help="video playback rate (1 = real time)")
    p.add_argument("--pain", type=int, default=None, help="pain before the session (0-10) when starting at once")
    p.add_argument("--patient", default=None,
                   help="whose session it is when starting at once (name or id; default: nobody's)")
    p.add_argument("--demo", action="store_true",
                   help="coach a generated stick-figure video (no camera, no model needed)")
    return p


def make_app():
    """The QApplication (made once), with OpenCV's Qt plugin path out of the way."""
    # Importing cv2 points QT_QPA_PLATFORM_PLUGIN_PATH at OpenCV's own Qt 5 plugins,
    # which PySide6 cannot load: import it first, then drop the variable.
    import cv2  # noqa: F401

    from posecoach.io.estimator import block_usage_logging

    # Here, on the main thread before any worker exists: the worker's own call then finds the
    # environment already set and writes nothing while other threads may read it.
    block_usage_logging()
    os.environ.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
        app.setApplicationName("posecoach")
    return app


def _no_display() -> str:
    """Why no window can be shown here, or "" (Linux without X11/Wayland and no QT_QPA_PLATFORM)."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return ""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return ("no display to open the window on (DISPLAY is not set); "
            "use `posecoach start` to be coached in the terminal")


def run_app(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    why = _no_display()
    if why:
        print(f"ERROR {why}", file=sys.stderr)
        return 2
    app = make_app()
    from posecoach.errors import PosecoachError
    from posecoach.app._qt.main_window import MainWindow

    estimator_factory = None
    plan: tuple[int | None, int | None] = (None, None)  # sets, reps: the set-up screen's
    source = args.source
    exercise = args.exercise
    if args.demo:
        from posecoach.app.synthvideo import demo_scenario, demo_video

        if exercise is not None:
            demo_scenario(exercise)  # SourceError naming the demo's exercises for one it has not
        demo = demo_video(exercise)
        exercise, source, estimator_factory = demo.exercise_id, str(demo.path), demo.estimator_factory
        plan = (1, demo.reps)  # one set of the reps the demo shows: done when the video is
    win = MainWindow(estimator_factory=estimator_factory, speed=args.speed, model=args.model)
    win.resize(1366, 768) if not getattr(win.settings, "window_geometry", None) else None
    win.show()
    if source is not None or exercise is not None:
        if source is None:
            source = str(win.settings.camera_index or 0)
        if exercise is None:
            exercise = win.setup.exercise_id() or "glute_bridge"
        try:
            start_at_once(win, source, exercise, args.pain, args.patient, plan)
        except PosecoachError as err:
            win.setup.show_error(str(err))
    _close_on_signals(app, win)
    return int(app.exec())


def start_at_once(win, source: str, exercise: str, pain: int | None, patient: str | None,
                  plan: tuple[int | None, int | None] = (None, None)) -> bool:
    """The session asked for on the command line.  It is ``patient``'s (a name or id), else
    nobody's: never whoever was last chosen in the window, whom the command line did not name."""
    pid = None
    if patient is not None:
        if win.clinic is None:
            win.setup.show_error("The patient database cannot be opened here: start without --patient.")
            return False
        pid = win.clinic.patient(patient).id
    return bool(win.start_session(source, exercise, pain, *plan, patient_id=pid))


def _close_on_signals(app, win) -> None:
    """Ctrl+C / SIGTERM close the window properly (the session is finished and saved)."""
    import signal

    from PySide6.QtCore import QTimer

    def handler(_sig, _frame) -> None:
        win.close()
        app.quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(sig, handler)
        except (ValueError, OSError):  # not the main thread, or not supported here
            return
    timer = QTimer(win)  # lets Python run the handler while Qt's loop waits
    timer.timeout.connect(lambda: None)
    timer.start(200)
